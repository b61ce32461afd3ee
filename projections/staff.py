"""The staff read model: who works here, in which branch and roles, and their tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.access import Role
from domain.staff import Staff
from projections.base import Evolver, ReadModel, col, on, replace, select_one, upsert
from projections.paging import Key, Ordering, Page, keyset, like_prefix
from projections.paging import count as count_rows


@dataclass(frozen=True)
class StaffRow:
    """One row of ``staff``: a staff member as the staff read model has it."""

    id: UUID = col("The staff member's id.")
    name: str = col("Full name.")
    branch: str = col("The branch they work for (HQ for head office).")
    roles: tuple[str, ...] = col("The roles they hold now.", enum=Role)
    active: bool = col("False once deactivated: no role or token works any more.")
    registered_at: datetime = col("When they were registered (business time).")
    deactivated_at: datetime | None = col("When their access ended.")
    version: int = col("The record's version: pass it as expectedVersion.")
    position: int = col("Notification id of the record's last event.")
    pending_roles: tuple[str, ...] = col(
        "Roles asked for, waiting for a second admin.", enum=Role, default=()
    )


evolve: Evolver[StaffRow] = Evolver()


@evolve.creates(Staff.Registered)
def _registered(e: Staff.Registered, position: int) -> StaffRow:
    return StaffRow(
        id=e.originator_id,
        name=e.name,
        branch=e.branch,
        roles=tuple(sorted(e.roles)),
        active=True,
        registered_at=e.envelope.occurred_at,
        deactivated_at=None,
        version=e.originator_version,
        position=position,
    )


@evolve.on(Staff.RoleGranted)
def _granted(row: StaffRow, e: Staff.RoleGranted, _: int) -> StaffRow:
    pending = tuple(r for r in row.pending_roles if r != e.role)
    return replace(row, roles=tuple(sorted({*row.roles, e.role})), pending_roles=pending)


@evolve.on(Staff.RoleRevoked)
def _revoked(row: StaffRow, e: Staff.RoleRevoked, _: int) -> StaffRow:
    return replace(row, roles=tuple(r for r in row.roles if r != e.role))


@evolve.on(Staff.Deactivated)
def _deactivated(row: StaffRow, e: Staff.Deactivated, _: int) -> StaffRow:
    return replace(row, active=False, deactivated_at=e.envelope.occurred_at)


@evolve.on(Staff.RoleGrantRequested)
def _asked(row: StaffRow, e: Staff.RoleGrantRequested, _: int) -> StaffRow:
    return replace(row, pending_roles=tuple(sorted({*row.pending_roles, e.role})))


@evolve.on(Staff.RoleGrantRejected)
def _refused(row: StaffRow, e: Staff.RoleGrantRejected, _: int) -> StaffRow:
    return replace(row, pending_roles=tuple(r for r in row.pending_roles if r != e.role))


@evolve.on(Staff.TokenIssued, Staff.TokenRevoked)
def _token(row: StaffRow, _e: object, _: int) -> StaffRow:
    return row


_COLUMNS = tuple(StaffRow.__dataclass_fields__)


def _row(found: DictRow) -> StaffRow:
    return StaffRow(
        **{**found, "roles": tuple(found["roles"]), "pending_roles": tuple(found["pending_roles"])}
    )


def _load(curs: Cursor[DictRow], staff_id: UUID) -> StaffRow | None:
    found = select_one(curs, "staff", _COLUMNS, "id = %s", staff_id)
    return None if found is None else _row(found)


def _save(curs: Cursor[DictRow], row: StaffRow) -> None:
    values = {c: getattr(row, c) for c in _COLUMNS}
    upsert(
        curs,
        "staff",
        {**values, "roles": list(row.roles), "pending_roles": list(row.pending_roles)},
    )


class StaffModel(ReadModel):
    """Rows in ``staff``, ``staff_role_periods`` and ``staff_tokens``."""

    name = "staff"
    tables = ("staff", "staff_role_periods", "staff_tokens")

    @on(*evolve.events)
    def row(self, curs: Cursor[DictRow], event: Any, position: int) -> None:
        """The member's row."""
        _save(curs, evolve(_load(curs, event.originator_id), event, position))

    @on(Staff.Registered, Staff.RoleGranted)
    def granted(self, curs: Cursor[DictRow], event: Any, _: int) -> None:
        """A period of holding a role begins."""
        roles = event.roles if isinstance(event, Staff.Registered) else [event.role]
        for role in roles:
            curs.execute(
                "INSERT INTO staff_role_periods (staff_id, role, granted_at) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (event.originator_id, role, event.envelope.occurred_at),
            )

    @on(Staff.RoleRevoked, Staff.Deactivated)
    def revoked(self, curs: Cursor[DictRow], event: Any, _: int) -> None:
        """Periods of holding a role (or every role) end."""
        role = getattr(event, "role", None)
        curs.execute(
            "UPDATE staff_role_periods SET revoked_at = %s"
            " WHERE staff_id = %s AND revoked_at IS NULL AND (%s::text IS NULL OR role = %s)",
            (event.envelope.occurred_at, event.originator_id, role, role),
        )

    @on(Staff.TokenIssued)
    def token_issued(self, curs: Cursor[DictRow], event: Staff.TokenIssued, _: int) -> None:
        """A token that authenticates its holder."""
        curs.execute(
            "INSERT INTO staff_tokens (token_hash, staff_id, issued_at) VALUES (%s, %s, %s)",
            (bytes.fromhex(event.token_hash), event.originator_id, event.envelope.occurred_at),
        )

    @on(Staff.TokenRevoked, Staff.Deactivated)
    def token_revoked(self, curs: Cursor[DictRow], event: Any, _: int) -> None:
        """One token (or every token of a deactivated member) stops working."""
        token = getattr(event, "token_hash", None)
        curs.execute(
            "UPDATE staff_tokens SET revoked_at = %s WHERE staff_id = %s AND revoked_at IS NULL"
            " AND (%s::bytea IS NULL OR token_hash = %s)",
            (
                event.envelope.occurred_at,
                event.originator_id,
                None if token is None else bytes.fromhex(token),
                None if token is None else bytes.fromhex(token),
            ),
        )


# -- queries -------------------------------------------------------------------------------


def get(curs: Cursor[DictRow], staff_id: UUID) -> StaffRow | None:
    """One staff member."""
    return _load(curs, staff_id)


def get_many(curs: Cursor[DictRow], ids: Sequence[UUID]) -> dict[UUID, StaffRow]:
    """The staff members with these ids (those that exist), in one statement."""
    curs.execute(f"SELECT {', '.join(_COLUMNS)} FROM staff WHERE id = ANY(%s)", (list(ids),))  # noqa: S608
    return {r["id"]: _row(r) for r in curs.fetchall()}


def token_holder(curs: Cursor[DictRow], token_hash: bytes) -> UUID | None:
    """Whose token has this SHA-256 (revoked or not: the staff record decides that)."""
    curs.execute("SELECT staff_id FROM staff_tokens WHERE token_hash = %s", (token_hash,))
    found = curs.fetchone()
    return None if found is None else UUID(str(found["staff_id"]))


@dataclass(frozen=True)
class StaffFilter:
    """Filters of the staff list; a filter left out matches every member."""

    branch: str | None = col(
        "Only this branch (default: yours, or all for head office).", default=None
    )
    role: str | None = col("Only members holding this role.", enum=Role, default=None)
    active: bool | None = col("Only active (true) or deactivated (false) members.", default=None)
    name_prefix: str | None = col("Names starting with this.", default=None)


class StaffSort(StrEnum):
    """How the staff list is sorted: NAME, or REGISTERED_AT (oldest first); ties by id. A
    cursor works only with the sort that handed it out."""

    NAME = "name"
    REGISTERED_AT = "registered_at"


SORTS = {
    StaffSort.NAME: Ordering("name", (Key("name"), Key("id", UUID))),
    StaffSort.REGISTERED_AT: Ordering(
        "registered_at", (Key("registered_at", datetime.fromisoformat), Key("id", UUID))
    ),
}


def _where(flt: StaffFilter) -> list[tuple[str, Any]]:
    return [
        ("branch = %s", flt.branch),
        ("%s = ANY(roles)", flt.role),
        ("active = %s", flt.active),
        ("name LIKE %s", like_prefix(flt.name_prefix)),
    ]


def page(
    curs: Cursor[DictRow],
    flt: StaffFilter,
    first: int,
    after: str | None,
    sort: StaffSort = StaffSort.NAME,
) -> Page[StaffRow]:
    """Staff in ``sort`` order (default: by name then id), ``first`` at a time after the
    cursor ``after``."""
    found = keyset(
        curs,
        table="staff",
        columns=_COLUMNS,
        where=_where(flt),
        order=SORTS[sort],
        first=first,
        after=after,
    )
    return Page([_row(r) for r in found.items], found.end_cursor, found.has_next_page)


def count(curs: Cursor[DictRow], flt: StaffFilter) -> int:
    """How many members match ``flt``."""
    return count_rows(curs, "staff", _where(flt))
