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
from projections.base import ReadModel, col, upsert


def event_type(event: object) -> tuple[str, str]:
    """(aggregate type, event type) of an event, e.g. ("Client", "Client.Registered")."""
    qualname = type(event).__qualname__
    return qualname.split(".", 1)[0], qualname


class AuditModel(ReadModel):
    """Rows in ``audit_log``: every event of every aggregate, present and future."""

    name = "audit"
    tables = ("audit_log",)
    reads_everything = True

    def apply_any(
        self, curs: Cursor[DictRow], event: DomainEventProtocol[Any], position: int
    ) -> None:
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
    """Filters of the audit trail; a filter left out matches every event. Times are the
    recording clock (when the store recorded the event)."""

    event_type: str | None = col("Only this event type, e.g. Order.Reviewed.", default=None)
    aggregate_type: str | None = col("Only this kind of record, e.g. Client.", default=None)
    actor: UUID | None = col("Only events caused by this staff member.", default=None)
    branch: str | None = col("Only events given in this branch.", default=None)
    recorded_from: datetime | None = col("Recorded at or after this time.", default=None)
    recorded_to: datetime | None = col("Recorded before this time.", default=None)
    originator_id: UUID | None = col("Only events of this record.", default=None)


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit trail: an event's envelope."""

    notification_id: int = col("The event's position in the log.")
    originator_id: UUID = col("The record the event belongs to.")
    originator_version: int = col("The record's version after the event.")
    aggregate_type: str = col("The kind of record, e.g. Client.")
    event_type: str = col("The event's type, e.g. Client.Registered.")
    actor: UUID = col("Who caused it (all zeros: the operator on the command line).")
    actor_role: str = col("The role they acted in.")
    branch: str = col("The branch they acted for.")
    occurred_at: datetime = col("Business time, given with the command.")
    recorded_at: datetime = col("When the store recorded it.")
    reason: str | None = col("The reason given, if any.")
    correlation_id: UUID = col("Ties together the events of one request.")
    causation_id: UUID = col("What caused this event.")


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
