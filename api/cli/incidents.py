"""``backoffice project status`` tables and ``backoffice project resume``: the operator's view of
read models stopped on an event, and the recorded way to set them going again after a fix."""

from __future__ import annotations

import getpass
import socket
from typing import Annotated

import typer
from rich.console import Console, RenderableType
from rich.text import Text

from api.cli.common import table
from api.runtime import Runtime, open_runtime
from api.settings import get_settings
from projections import incidents
from projections.runner import EVENTS_CHANNEL, positions

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _operator() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):  # no login name in some containers
        return f"unknown@{socket.gethostname()}"


def status_report(runtime: Runtime, recent: int = 20) -> list[RenderableType]:
    """Every read model with its position, lag and state; then the newest incidents, one a
    line (not a table: errors are long, and a wrapped cell is hard to read or grep)."""
    with runtime.connect() as conn:
        stopped = incidents.stopped(conn)
        history = incidents.history(conn, recent)
    models = table("read model", "position", "head", "lag", "state")
    for lag in runtime.runner.lags():
        incident = stopped.get(lag.name)
        state = f"[red]stopped (incident {incident.id})[/red]" if incident else "running"
        models.add_row(lag.name, str(lag.position), str(lag.head), str(lag.lag), state)
    report: list[RenderableType] = [models]
    if history:
        report.append(Text(f"incidents (newest {len(history)}, newest first):"))
    for i in history:
        report.append(
            Text(
                f"  #{i.id} {i.recorded_at.isoformat(timespec='seconds')} {i.model}"
                f" {i.describe()} (by {i.recorded_by}, release {i.release})",
                style="red" if i.model in stopped and i.id == stopped[i.model].id else "",
            )
        )
    return report


def status_document(runtime: Runtime, recent: int = 20) -> dict[str, object]:
    """``project status --json``: every read model and the newest incidents."""
    with runtime.connect() as conn:
        stopped = incidents.stopped(conn)
        history = incidents.history(conn, recent)
    return {
        "models": [
            {
                "name": lag.name,
                "position": lag.position,
                "head": lag.head,
                "lag": lag.lag,
                "state": "stopped" if lag.name in stopped else "running",
                "incident": stopped[lag.name].id if lag.name in stopped else None,
            }
            for lag in runtime.runner.lags()
        ],
        "incidents": history,
    }


def project_resume(
    name: Annotated[str, typer.Argument(help="Read model name.")],
    reason: Annotated[
        str, typer.Option(help="What was fixed, e.g. the release that fixes it (recorded).")
    ],
    by: Annotated[str | None, typer.Option(help="Who resumes (default: login@host).")] = None,
) -> None:
    """Set a stopped read model going again, after releasing the fix; recorded as an incident.
    A running runner retries it from where it stopped within a second."""
    if not reason.strip():
        raise _fail("--reason must say what was fixed", 2)
    runtime = open_runtime(get_settings(), create=False)
    try:
        # No check against the models this release knows: a model stopped by another
        # deployment (or a renamed one) can be resumed too; NotStopped covers typos.
        with runtime.connect() as conn:
            position = positions(conn, [name])[name]
            try:
                incident = incidents.record_resume(
                    conn, name, position, reason.strip(), by or _operator()
                )
            except incidents.NotStopped as exc:
                raise _fail(str(exc), 1) from None
            conn.execute(f"NOTIFY {EVENTS_CHANNEL}")  # wake the runners now
        out.print(
            f"{name}: resumed at position {position} (incident {incident.id});"
            " a running runner takes it from there"
        )
    finally:
        runtime.close()


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)
