"""The audit trail: every event's envelope, filterable, in notification order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor
from psycopg.rows import DictRow

from domain.envelope import Envelope
from projections.base import ReadModel, upsert


def event_type(event: object) -> tuple[str, str]:
    """(aggregate type, event type) of an event, e.g. ("Client", "Client.Registered")."""
    qualname = type(event).__qualname__
    return qualname.split(".", 1)[0], qualname


class AuditModel(ReadModel):
    """Rows in ``audit_log``: every event of every aggregate, present and future."""

    name = "audit"
    topics = ()  # all of them
    tables = ("audit_log",)

    def apply(self, curs: Cursor[DictRow], event: DomainEventProtocol[Any], position: int) -> None:
        envelope = getattr(event, "envelope", None)
        if not isinstance(envelope, Envelope):
            raise TypeError(f"{type(event).__qualname__} at {position} has no envelope")
        aggregate, kind = event_type(event)
        upsert(
            curs,
            "audit_log",
            {
                "notification_id": position,
                "originator_id": event.originator_id,
                "originator_version": event.originator_version,
                "aggregate_type": aggregate,
                "event_type": kind,
                "actor": envelope.actor,
                "actor_role": envelope.actor_role,
                "branch": envelope.branch_id,
                "occurred_at": envelope.occurred_at,
                "recorded_at": event.timestamp,  # type: ignore[attr-defined]
                "reason": envelope.reason,
                "correlation_id": envelope.correlation_id,
                "causation_id": envelope.causation_id,
            },
            key="notification_id",
        )


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the audit stream; None means any."""

    event_type: str | None = None
    aggregate_type: str | None = None
    actor: UUID | None = None
    branch: str | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    originator_id: UUID | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit trail."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    aggregate_type: str
    event_type: str
    actor: UUID
    actor_role: str
    branch: str
    occurred_at: datetime
    recorded_at: datetime
    reason: str | None
    correlation_id: UUID
    causation_id: UUID


_COLUMNS = tuple(AuditEntry.__dataclass_fields__)


def entries(
    curs: Cursor[DictRow], flt: AuditFilter, after: int, limit: int | None
) -> list[AuditEntry]:
    """Entries after notification id ``after`` matching ``flt``, in notification order."""
    where, params = ["notification_id > %s"], [after]  # type: tuple[list[str], list[Any]]
    for column, value in (
        ("event_type", flt.event_type),
        ("aggregate_type", flt.aggregate_type),
        ("actor", flt.actor),
        ("branch", flt.branch),
        ("originator_id", flt.originator_id),
    ):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if flt.recorded_from is not None:
        where.append("recorded_at >= %s")
        params.append(flt.recorded_from)
    if flt.recorded_to is not None:
        where.append("recorded_at < %s")
        params.append(flt.recorded_to)
    sql = (
        f"SELECT {', '.join(_COLUMNS)} FROM audit_log WHERE {' AND '.join(where)}"  # noqa: S608
        " ORDER BY notification_id"
    )
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    curs.execute(sql, params)
    return [AuditEntry(**r) for r in curs.fetchall()]
