"""``/health`` (database reachable, projection lag, stopped read models, the runner) and
``/metrics`` (Prometheus text)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from api.runtime import Runtime
from projections import incidents
from projections.runner import Lag
from projections.supervision import is_transient

router = APIRouter()


def health_report(runtime: Runtime) -> tuple[bool, dict[str, Any]]:
    """Whether the service is healthy, and the details behind that answer."""
    runner = runtime.runner
    try:
        lags = runner.lags()
        with runner.datastore.get_connection() as conn:
            stopped = incidents.stopped(conn)
    except Exception as exc:  # the database is the usual cause; say so rather than crash
        state = "unreachable" if is_transient(exc) else "error"
        return False, {
            "status": "failing",
            "database": f"{state}: {type(exc).__name__}",
            "projections": {},
        }
    report: dict[str, Any] = {"database": "ok", "projections": {}}
    for lag in lags:
        report["projections"][lag.name] = {
            "position": lag.position,
            "head": lag.head,
            "lag": lag.lag,
            "active_here": lag.name in runner.active,
            "state": "stopped" if lag.name in stopped else "running",
        }
    problems = [
        f"projection {i.model!r} {i.describe()} (position {i.position}, incident {i.id})"
        for i in stopped.values()
    ]
    if stopped:
        report["stopped"] = [_stopped(i) for i in stopped.values()]
        for incident in stopped.values():
            if incident.model in report["projections"]:
                report["projections"][incident.model]["stopped"] = _stopped(incident)
    if runner.error is not None and runner.error.model not in stopped:
        problems.append(str(runner.error))
    runner_state: dict[str, Any] = {"state": runner.state}
    if runner.state == "reconnecting" and runner.outage is not None:
        runner_state.update(since=runner.outage.since.isoformat(), error=runner.outage.error)
        problems.append(f"projection runner reconnecting since {runner.outage.since.isoformat()}")
    report["runner"] = runner_state
    if problems:
        report["error"] = "; ".join(problems)
    report["status"] = "failing" if problems else "ok"
    return not problems, report


def _stopped(incident: incidents.Incident) -> dict[str, Any]:
    return {
        "model": incident.model,
        "notification_id": incident.notification_id,
        "position": incident.position,
        "error": incident.error,
        "since": incident.recorded_at.isoformat(),
        "incident": incident.id,
        "resume": f"backoffice project resume {incident.model} --reason '...'",
    }


@router.get("/health")
async def health(request: Request) -> Response:
    """200 with projection positions when healthy, 503 with the reason when not."""
    runtime: Runtime = request.app.state.runtime
    healthy, report = await run_in_threadpool(health_report, runtime)
    return JSONResponse(report, status_code=200 if healthy else 503)


class ProjectionCollector(Collector):
    """Reads lag from the database at scrape time, so every API replica reports the truth."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        position = GaugeMetricFamily(
            "backoffice_projection_position", "Last notification id applied", labels=["projection"]
        )
        lag = GaugeMetricFamily(
            "backoffice_projection_lag",
            "Events recorded but not yet applied",
            labels=["projection"],
        )
        head = GaugeMetricFamily("backoffice_events_head", "Newest notification id in the store")
        up = GaugeMetricFamily("backoffice_database_up", "1 when PostgreSQL answered the scrape")
        try:
            lags = self.runtime.runner.lags()
            with self.runtime.runner.datastore.get_connection() as conn:
                stopped = incidents.stopped(conn)
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for item in lags:
            position.add_metric([item.name], item.position)
            lag.add_metric([item.name], item.lag)
        head.add_metric([], lags[0].head if lags else self.runtime.runner.head())
        yield from (up, head, position, lag, *self._failures(lags, stopped))

    def _failures(
        self, lags: list[Lag], stopped: dict[str, incidents.Incident]
    ) -> Iterator[GaugeMetricFamily]:
        runner = self.runtime.runner
        failed = GaugeMetricFamily(
            "backoffice_projection_failed",
            "1 when the read model stopped on an event it could not apply",
            labels=["projection"],
        )
        failed_at = GaugeMetricFamily(
            "backoffice_projection_failed_at",
            "Notification id of the event a stopped read model could not apply",
            labels=["projection"],
        )
        for name in sorted({item.name for item in lags} | stopped.keys()):
            failed.add_metric([name], 1 if name in stopped else 0)
            incident = stopped.get(name)
            if incident is not None and incident.notification_id is not None:
                failed_at.add_metric([name], incident.notification_id)
        yield failed
        yield failed_at
        if runner.state != "not running":
            connected = GaugeMetricFamily(
                "backoffice_projection_runner_connected",
                "1 when this process's projection runner is following the store, 0 reconnecting",
            )
            connected.add_metric([], 1 if runner.state == "following" else 0)
            yield connected


def metrics_registry(runtime: Runtime) -> CollectorRegistry:
    """A registry holding this service's collectors."""
    registry = CollectorRegistry()
    registry.register(ProjectionCollector(runtime))
    return registry


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus exposition text."""
    registry: CollectorRegistry = request.app.state.metrics
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
