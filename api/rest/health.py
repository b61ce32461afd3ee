"""``/health`` (database reachable, projection lag) and ``/metrics`` (Prometheus text)."""

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

router = APIRouter()


def health_report(runtime: Runtime) -> tuple[bool, dict[str, Any]]:
    """Whether the service is healthy, and the details behind that answer."""
    report: dict[str, Any] = {"database": "ok", "projections": {}}
    healthy = True
    try:
        lags = runtime.runner.lags()
    except Exception as exc:  # the database is the usual cause; say so rather than crash
        return False, {"database": f"unreachable: {type(exc).__name__}", "projections": {}}
    failed = runtime.runner.error
    for lag in lags:
        report["projections"][lag.name] = {
            "position": lag.position,
            "head": lag.head,
            "lag": lag.lag,
            "active_here": lag.name in runtime.runner.active,
        }
    if failed is not None:
        healthy = False
        report["error"] = str(failed)
    # A refused checkpoint means the record no longer proves: as loud as a failed projection.
    if runtime.checkpoints is not None and runtime.checkpoints.error is not None:
        healthy = False
        report["checkpoints"] = f"failing: {runtime.checkpoints.error}"
    report["status"] = "ok" if healthy else "failing"
    return healthy, report


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
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for item in lags:
            position.add_metric([item.name], item.position)
            lag.add_metric([item.name], item.lag)
        head.add_metric([], lags[0].head if lags else self.runtime.runner.head())
        failed = GaugeMetricFamily(
            "backoffice_projection_failed", "1 when the in-process runner stopped on an error"
        )
        failed.add_metric([], 1 if self.runtime.runner.error else 0)
        yield from (up, head, position, lag, failed)


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
