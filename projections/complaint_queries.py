"""The complaint queue's queries: by id, number and client; filtered pages; the overdue
list (late stages are computed for the day asked about); timelines; the deadline policy in
force; reply timeliness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.access import Role
from domain.complaints import (
    ComplaintCategory,
    ComplaintStage,
    ComplaintStatus,
    ResponsibleDepartment,
    late_stages,
)
from projections.base import col
from projections.complaints import TABLE, ComplaintRow
from projections.paging import Key, Page


@dataclass(frozen=True)
class DeadlinePolicyRow:
    """The deadline terms in force (complaints fix the version in force at their receipt)."""

    reply_days: int = col("Days to reply.")
    reply_days_abroad: int = col("Days to reply to a complainant abroad.")
    branch_days: int = col("The branch's stage.")
    marketing_days: int = col("Marketing's stage (analysis and assignment).")
    department_days: int = col("The responsible department's stage (the fix).")
    analyst_role: str = col("The role that analyses and assigns complaints.", enum=Role)
    version: int = col("The policy version (0: the defaults, never changed).")
    changed_at: datetime | None = col("When it was last changed.")
    changed_by: UUID | None = col("Who changed it.")
    reason: str | None = col("Why.")


def by_number(curs: Cursor[DictRow], branch: str | None, number: str) -> ComplaintRow | None:
    """The complaint with this number in ``branch`` (None: the first branch that has it)."""
    curs.execute(
        TABLE.select
        + " WHERE number = %s AND (%s::text IS NULL OR branch = %s) ORDER BY branch LIMIT 1",
        (number.strip().upper(), branch, branch),
    )
    found = curs.fetchone()
    return None if found is None else TABLE.decode(found)


@dataclass(frozen=True)
class ComplaintFilter:
    """Filters of the complaint queue; a filter left out matches every complaint."""

    branch: str | None = col(
        "Only this branch (default: yours, or all for head office).", default=None
    )
    status: str | None = col("Only complaints in this status.", enum=ComplaintStatus, default=None)
    owner: UUID | None = col("Only complaints this staff member owns.", default=None)
    department: str | None = col(
        "Only complaints assigned to this department.", enum=ResponsibleDepartment, default=None
    )
    category: str | None = col("Only this category.", enum=ComplaintCategory, default=None)
    client_id: UUID | None = col("Only this client's complaints.", default=None)
    overdue: bool | None = col(
        "Only overdue (true) or not overdue (false) complaints, today.", default=None
    )
    received_from: date | None = col("Received on or after this business date.", default=None)
    received_to: date | None = col("Received on or before this business date.", default=None)


def _where(flt: ComplaintFilter, today: date) -> list[tuple[str, Any]]:
    overdue: tuple[str, Any] = ("TRUE", None)
    if flt.overdue is not None:
        overdue = (
            ("next_due_on < %s", today)
            if flt.overdue
            else ("(next_due_on IS NULL OR next_due_on >= %s)", today)
        )
    return [
        ("branch = %s", flt.branch),
        ("status = %s", flt.status),
        ("owner = %s", flt.owner),
        ("department = %s", flt.department),
        ("category = %s", flt.category),
        ("client_id = %s", flt.client_id),
        overdue,
        ("received_on >= %s", flt.received_from),
        ("received_on <= %s", flt.received_to),
    ]


def page(
    curs: Cursor[DictRow], flt: ComplaintFilter, first: int, after: str | None, today: date
) -> Page[ComplaintRow]:
    """Complaints by receipt time, ``first`` at a time after the cursor ``after``; overdue
    means a deadline still pending ended before ``today``."""
    order = [Key("received_at", datetime.fromisoformat), Key("id", UUID)]
    return TABLE.page(curs, _where(flt, today), order, first, after)


def count(curs: Cursor[DictRow], flt: ComplaintFilter, today: date) -> int:
    """How many complaints match ``flt`` on ``today``."""
    return TABLE.count(curs, _where(flt, today))


@dataclass(frozen=True)
class OverdueComplaint:
    """A late stage of an open complaint (a complaint late on its stage and on its reply is
    listed twice, once per stage)."""

    complaint_id: UUID = col("The complaint's id.")
    number: str = col("Its number.")
    branch: str = col("Its branch.")
    owner: UUID = col("Who owns it.")
    status: str = col("Where it is.", enum=ComplaintStatus)
    late_stage: str = col("The stage that is late.", enum=ComplaintStage)
    due_on: date = col("The last day the stage was on time.")
    days_overdue: int = col("Calendar days since then.")
    chased: int = col("Times it was chased so far.")


def overdue(curs: Cursor[DictRow], branch: str | None, today: date) -> list[OverdueComplaint]:
    """Every late stage of every complaint on ``today``, most overdue first."""
    curs.execute(
        TABLE.select + " WHERE next_due_on < %s AND (%s::text IS NULL OR branch = %s)"
        " ORDER BY next_due_on, received_at, id",
        (today, branch, branch),
    )
    out = []
    for r in curs.fetchall():
        row = TABLE.decode(r)
        for stage, due in late_stages(row.status, row.stage_due_on, row.reply_due_on, today):
            out.append(
                OverdueComplaint(
                    row.id,
                    row.number,
                    row.branch,
                    row.owner,
                    row.status,
                    stage.value,
                    due,
                    (today - due).days,
                    row.chased,
                )
            )
    return sorted(out, key=lambda o: (-o.days_overdue, o.number, o.late_stage))


def of_client(curs: Cursor[DictRow], client_id: UUID) -> list[ComplaintRow]:
    """A client's complaints, newest first."""
    curs.execute(
        TABLE.select + " WHERE client_id = %s ORDER BY received_at DESC, id",
        (client_id,),
    )
    return [TABLE.decode(r) for r in curs.fetchall()]


def of_clients(curs: Cursor[DictRow], client_ids: Sequence[UUID]) -> dict[UUID, list[ComplaintRow]]:
    """Each client's complaints, newest first, in one statement."""
    curs.execute(
        TABLE.select + " WHERE client_id = ANY(%s) ORDER BY client_id, received_at DESC, id",
        (list(client_ids),),
    )
    found: dict[UUID, list[ComplaintRow]] = {c: [] for c in client_ids}
    for r in curs.fetchall():
        found[r["client_id"]].append(TABLE.decode(r))
    return found


@dataclass(frozen=True)
class ComplaintStep:
    """One step of a complaint's life: who did what, when, in which role, and why."""

    version: int = col("The complaint's version after this step.")
    position: int = col("Notification id of the event.")
    event_type: str = col("What happened, e.g. Assigned or Replied.")
    occurred_at: datetime = col("Business time of the step.")
    actor: UUID = col("The staff member who did it (all zeros: the system).")
    actor_role: str = col("The role they acted in.")
    reason: str | None = col("The reason they gave, if any.")
    details: dict[str, Any] = col("The event's data (personal data masked by role).")


def timeline(curs: Cursor[DictRow], complaint_id: UUID) -> list[ComplaintStep]:
    """Every event of a complaint, in order."""
    curs.execute(
        "SELECT version, position, event_type, occurred_at, actor, actor_role, reason, details"
        " FROM complaint_timeline WHERE complaint_id = %s ORDER BY version",
        (complaint_id,),
    )
    return [ComplaintStep(**r) for r in curs.fetchall()]


def timelines(
    curs: Cursor[DictRow], complaint_ids: Sequence[UUID]
) -> dict[UUID, list[ComplaintStep]]:
    """Every event of each complaint, in order, in one statement."""
    curs.execute(
        "SELECT complaint_id, version, position, event_type, occurred_at, actor, actor_role,"
        " reason, details FROM complaint_timeline WHERE complaint_id = ANY(%s)"
        " ORDER BY complaint_id, version",
        (list(complaint_ids),),
    )
    found: dict[UUID, list[ComplaintStep]] = {c: [] for c in complaint_ids}
    for r in curs.fetchall():
        found[r.pop("complaint_id")].append(ComplaintStep(**r))
    return found


def deadline_policy(curs: Cursor[DictRow]) -> DeadlinePolicyRow | None:
    """The recorded terms in force (None: never set, the defaults apply)."""
    curs.execute(
        "SELECT reply_days, reply_days_abroad, branch_days, marketing_days, department_days,"
        " analyst_role, version, changed_at, changed_by, reason FROM complaint_policy LIMIT 1"
    )
    found = curs.fetchone()
    return None if found is None else DeadlinePolicyRow(**found)


def reply_timeliness(
    curs: Cursor[DictRow], branch: str | None, start: date, end: date
) -> Decimal | None:
    """Complaints first replied in [start, end) within their deadline ÷ those replied (None
    when none was replied)."""
    curs.execute(
        "SELECT count(*) AS replied, count(*) FILTER (WHERE replied_within_deadline) AS timely"
        " FROM complaints WHERE first_replied_on >= %s AND first_replied_on < %s"
        " AND (%s::text IS NULL OR branch = %s)",
        (start, end, branch, branch),
    )
    found = curs.fetchone()
    if not found or not found["replied"]:
        return None
    return (Decimal(found["timely"]) / Decimal(found["replied"])).quantize(Decimal("0.0001"))
