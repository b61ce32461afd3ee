"""Retention: the policy in force, legal holds, and for every record the earliest date it could
leave primary storage (nothing is ever deleted by the system)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.retention import LegalHold, RecordClass, RetentionPolicy, earliest_removal
from projections.base import ReadModel, col, on, upsert


class RetentionModel(ReadModel):
    """Rows in ``retention_policy`` and ``legal_holds``."""

    name = "retention"
    tables = ("retention_policy", "legal_holds")

    @on(RetentionPolicy.Adopted, RetentionPolicy.Changed)
    def policy(self, curs: Cursor[DictRow], event: Any, position: int) -> None:
        """The presets in force."""
        env = event.envelope
        upsert(
            curs,
            "retention_policy",
            {
                "id": event.originator_id,
                "presets": list(event.presets),
                "changed_at": env.occurred_at,
                "changed_by": env.actor,
                "reason": env.reason,
                "version": event.originator_version,
                "position": position,
            },
        )

    @on(LegalHold.Placed)
    def placed(self, curs: Cursor[DictRow], event: LegalHold.Placed, position: int) -> None:
        """A first hold on its subject."""
        env = event.envelope
        upsert(
            curs,
            "legal_holds",
            {
                "subject_id": event.subject_id,
                "hold_id": event.originator_id,
                "active": True,
                "placed_at": env.occurred_at,
                "placed_by": env.actor,
                "reason": env.reason,
                "lifted_at": None,
                "version": event.originator_version,
                "position": position,
            },
            key="subject_id",
        )

    @on(LegalHold.Replaced)
    def replaced(self, curs: Cursor[DictRow], event: LegalHold.Replaced, position: int) -> None:
        """A new hold after an earlier one was lifted."""
        env = event.envelope
        curs.execute(
            "UPDATE legal_holds SET active = true, lifted_at = NULL, placed_at = %s,"
            " placed_by = %s, reason = %s, version = %s, position = %s WHERE hold_id = %s",
            (
                env.occurred_at,
                env.actor,
                env.reason,
                event.originator_version,
                position,
                event.originator_id,
            ),
        )

    @on(LegalHold.Lifted)
    def lifted(self, curs: Cursor[DictRow], event: LegalHold.Lifted, position: int) -> None:
        """The hold no longer applies."""
        curs.execute(
            "UPDATE legal_holds SET active = false, lifted_at = %s, version = %s, position = %s"
            " WHERE hold_id = %s",
            (event.envelope.occurred_at, event.originator_version, position, event.originator_id),
        )


def presets_in_force(curs: Cursor[DictRow]) -> list[str] | None:
    """The presets recorded as in force, or None before any was adopted."""
    curs.execute("SELECT presets FROM retention_policy LIMIT 1")
    found = curs.fetchone()
    return None if found is None else list(found["presets"])


def active_holds(curs: Cursor[DictRow]) -> set[UUID]:
    """Subjects under a legal hold now."""
    curs.execute("SELECT subject_id FROM legal_holds WHERE active")
    return {r["subject_id"] for r in curs.fetchall()}


@dataclass(frozen=True)
class RetentionLine:
    """One record's retention: its class, the deciding preset, and the earliest removal date."""

    record_id: UUID = col("The record (client, order, staff member, …).")
    record_class: str = col("Its class for retention.", enum=RecordClass)
    booked_on: date = col("When it was booked.")
    relationship_ended_on: date | None = col("When the relationship ended, if it did.")
    preset: str = col("The preset that decides (the longest wins).")
    earliest_removal: date | None = col(
        "First day it could leave primary storage; null while its clock waits."
    )
    held: bool = col("A legal hold stops its clock.")

    def eligible(self, today: date) -> bool:
        """True when the record could leave primary storage today."""
        return (
            not self.held and self.earliest_removal is not None and self.earliest_removal <= today
        )


def _day(value: datetime | date | None, tz: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        from zoneinfo import ZoneInfo

        return value.astimezone(ZoneInfo(tz)).date()
    return value


def report(curs: Cursor[DictRow], presets: list[str], timezone: str) -> Iterator[RetentionLine]:
    """A line for every record of every class the system keeps."""
    holds = active_holds(curs)

    def line(
        rid: UUID, cls: RecordClass, booked: date, ended: date | None, held: bool
    ) -> RetentionLine:
        when, preset = earliest_removal(presets, cls, booked, ended)
        return RetentionLine(rid, cls.value, booked, ended, preset, when, held)

    curs.execute(
        "SELECT id, registered_at, opened_at, closed_on, identity_verified FROM clients ORDER BY id"
    )
    for c in curs.fetchall():
        held = c["id"] in holds
        if c["identity_verified"]:
            yield line(
                c["id"],
                RecordClass.CLIENT_IDENTITY,
                _day(c["registered_at"], timezone) or date.min,
                c["closed_on"],
                held,
            )
        if c["opened_at"] is not None:
            yield line(
                c["id"],
                RecordClass.ACCOUNT_OPENING,
                _day(c["opened_at"], timezone) or date.min,
                c["closed_on"],
                held,
            )
    curs.execute("SELECT id, client_id, received_on FROM orders ORDER BY received_on, id")
    for o in curs.fetchall():
        yield line(
            o["id"],
            RecordClass.ORDERS_TRADES,
            o["received_on"],
            None,
            o["id"] in holds or o["client_id"] in holds,
        )
    curs.execute("SELECT id, client_id, received_on FROM complaints ORDER BY received_on, id")
    for cp in curs.fetchall():
        yield line(
            cp["id"],
            RecordClass.COMPLAINTS,
            cp["received_on"],
            None,
            cp["id"] in holds or cp["client_id"] in holds,
        )
    curs.execute(
        "SELECT id, submitted_at AS booked FROM expenses"
        " UNION ALL SELECT id, set_at FROM budgets ORDER BY booked, id"
    )
    for x in curs.fetchall():
        booked = _day(x["booked"], timezone) or date.min
        yield line(x["id"], RecordClass.EXPENSES_BUDGETS, booked, None, x["id"] in holds)
    curs.execute("SELECT id, registered_at, deactivated_at FROM staff ORDER BY id")
    for s in curs.fetchall():
        yield line(
            s["id"],
            RecordClass.STAFF,
            _day(s["registered_at"], timezone) or date.min,
            _day(s["deactivated_at"], timezone),
            s["id"] in holds,
        )
