"""The record of read models that stopped on an event, and of operators resuming them.

A stopped model stays stopped across restarts and for every runner (the newest row of a model
in ``projection_incidents`` decides), so a bad event is met once, not once per process; it
runs again only after someone records a resume, which says who, when and what was released.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import metadata
from typing import Any

import psycopg
from psycopg.rows import class_row

INCIDENTS_TABLE = "projection_incidents"
_COLUMNS = (
    "id, model, kind, position, notification_id, error, recorded_by, note, release, recorded_at"
)


@dataclass(frozen=True)
class Incident:
    """One row of the record: a model stopped (``failed``) or was ``resumed``."""

    id: int
    model: str
    kind: str
    position: int
    notification_id: int | None
    error: str | None
    recorded_by: str
    note: str | None
    release: str
    recorded_at: datetime

    def describe(self) -> str:
        """One line for a log, a table or ``/health``."""
        if self.kind == "resumed":
            return f"resumed at position {self.position}: {self.note}"
        at = self.notification_id if self.notification_id is not None else f"> {self.position}"
        return f"stopped at notification id {at}: {self.error}"


class NotStopped(LookupError):
    """Resume was asked for a model that is not stopped."""


@cache
def release() -> str:
    """The installed release of this service, recorded with each incident."""
    try:
        return metadata.version("backoffice")
    except metadata.PackageNotFoundError:
        return "unknown"


def record_failure(
    conn: psycopg.Connection[Any],
    model: str,
    position: int,
    notification_id: int | None,
    error: str,
    by: str,
) -> Incident:
    """Record that ``model`` stopped after ``position`` on the event ``notification_id``."""
    with conn.cursor(row_factory=class_row(Incident)) as curs:
        row = curs.execute(
            f"INSERT INTO {INCIDENTS_TABLE}"  # noqa: S608 - a constant
            " (model, kind, position, notification_id, error, recorded_by, release)"
            f" VALUES (%s, 'failed', %s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
            (model, position, notification_id, error, by, release()),
        ).fetchone()
    assert row is not None
    return row


def record_resume(
    conn: psycopg.Connection[Any], model: str, position: int, note: str, by: str
) -> Incident:
    """Record that an operator resumed a stopped ``model``; NotStopped when it is not."""
    with conn.transaction(), conn.cursor(row_factory=class_row(Incident)) as curs:
        # Two operators resuming at once: the second sees the first's row and is told so.
        curs.execute(f"LOCK TABLE {INCIDENTS_TABLE} IN SHARE ROW EXCLUSIVE MODE")
        if model not in stopped(conn):
            raise NotStopped(f"read model {model!r} is not stopped")
        row = curs.execute(
            f"INSERT INTO {INCIDENTS_TABLE} (model, kind, position, recorded_by, note, release)"
            f" VALUES (%s, 'resumed', %s, %s, %s, %s) RETURNING {_COLUMNS}",  # noqa: S608
            (model, position, by, note, release()),
        ).fetchone()
    assert row is not None
    return row


def stopped(conn: psycopg.Connection[Any]) -> dict[str, Incident]:
    """The models whose newest incident is a failure, with that failure."""
    with conn.cursor(row_factory=class_row(Incident)) as curs:
        rows = curs.execute(
            f"SELECT DISTINCT ON (model) {_COLUMNS} FROM {INCIDENTS_TABLE}"  # noqa: S608
            " ORDER BY model, id DESC"
        ).fetchall()
    return {r.model: r for r in rows if r.kind == "failed"}


def history(conn: psycopg.Connection[Any], limit: int = 20) -> list[Incident]:
    """The newest ``limit`` incidents, newest first."""
    with conn.cursor(row_factory=class_row(Incident)) as curs:
        return curs.execute(
            f"SELECT {_COLUMNS} FROM {INCIDENTS_TABLE} ORDER BY id DESC LIMIT %s",  # noqa: S608
            (limit,),
        ).fetchall()
