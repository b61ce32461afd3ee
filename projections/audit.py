"""The audit trail: every event's envelope, filterable, in notification order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor
from psycopg.rows import DictRow

from domain.application import BackOffice  # noqa: F401 - every record kind, for the names
from domain.envelope import Envelope, event_type_names
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
    """Filters of the audit trail; a filter left out matches every event. recordedFrom/To
    read the recording clock (when the store recorded the event), occurredFrom/To the
    business clock (the time given with the command)."""

    event_type: str | None = col("Only this event type, e.g. Order.Reviewed.", default=None)
    aggregate_type: str | None = col("Only this kind of record, e.g. Client.", default=None)
    actor: UUID | None = col("Only events caused by this staff member.", default=None)
    branch: str | None = col("Only events given in this branch.", default=None)
    recorded_from: datetime | None = col(
        "Recorded at or after this time (recording clock: when the store recorded it).",
        default=None,
    )
    recorded_to: datetime | None = col("Recorded before this time (recording clock).", default=None)
    originator_id: UUID | None = col("Only events of this record.", default=None)
    occurred_from: datetime | None = col(
        "Given at or after this time (business clock: the time the command gave).",
        default=None,
    )
    occurred_to: datetime | None = col("Given before this time (business clock).", default=None)


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
    occurred_at: datetime = col("Business time: the time given with the command.")
    recorded_at: datetime = col("Recording time: when the store recorded it.")
    reason: str | None = col("The reason given, if any.")
    correlation_id: UUID = col("Ties together the events of one request.")
    causation_id: UUID = col("What caused this event.")


_COLUMNS = tuple(AuditEntry.__dataclass_fields__)


def check_filter(flt: AuditFilter) -> None:
    """Refuse (ValueError) an event or record type that does not exist: a typo must not
    answer with nothing."""
    known = event_type_names()
    if flt.aggregate_type is not None and flt.aggregate_type not in known:
        raise ValueError(
            f"unknown record type {flt.aggregate_type!r}; known: {', '.join(sorted(known))}"
        )
    if flt.event_type is not None:
        events = {e for names in known.values() for e in names}
        if flt.event_type not in events:
            kind = flt.event_type.split(".", 1)[0]
            hint = ", ".join(known.get(kind, [])) or ", ".join(sorted(known))
            raise ValueError(f"unknown event type {flt.event_type!r}; known: {hint}")


def _where(flt: AuditFilter, after: int) -> tuple[str, list[Any]]:
    where, params = ["notification_id > %s"], [after]  # type: tuple[list[str], list[Any]]
    for condition, value in (
        ("event_type = %s", flt.event_type),
        ("aggregate_type = %s", flt.aggregate_type),
        ("actor = %s", flt.actor),
        ("branch = %s", flt.branch),
        ("originator_id = %s", flt.originator_id),
        ("recorded_at >= %s", flt.recorded_from),
        ("recorded_at < %s", flt.recorded_to),
        ("occurred_at >= %s", flt.occurred_from),
        ("occurred_at < %s", flt.occurred_to),
    ):
        if value is not None:
            where.append(condition)
            params.append(value)
    return " AND ".join(where), params


def entries(
    curs: Cursor[DictRow], flt: AuditFilter, after: int, limit: int | None
) -> list[AuditEntry]:
    """Entries after notification id ``after`` matching ``flt``, in notification order."""
    where, params = _where(flt, after)
    sql = f"SELECT {', '.join(_COLUMNS)} FROM audit_log WHERE {where} ORDER BY notification_id"  # noqa: S608
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    curs.execute(sql, params)
    return [AuditEntry(**r) for r in curs.fetchall()]


def count(curs: Cursor[DictRow], flt: AuditFilter) -> int:
    """How many entries match ``flt`` (for progress bars)."""
    where, params = _where(flt, 0)
    curs.execute(f"SELECT count(*) AS n FROM audit_log WHERE {where}", params)  # noqa: S608
    found = curs.fetchone()
    return int(found["n"]) if found else 0
