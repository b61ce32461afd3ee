"""The staff read model: who works here, in which branch and roles, and their tokens."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow

from domain.staff import Staff
from projections.base import ReadModel, select_one, upsert
from projections.paging import BadCursor, Page, check_first, decode_cursor, encode_cursor


@dataclass(frozen=True)
class StaffRow:
    """One row of ``staff``."""

    id: UUID
    name: str
    branch: str
    roles: tuple[str, ...]
    active: bool
    registered_at: datetime
    deactivated_at: datetime | None
    version: int
    position: int


def evolve(row: StaffRow | None, event: DomainEventProtocol[Any], position: int) -> StaffRow:
    """The staff row after ``event``: a pure function of the row before it."""
    version = event.originator_version
    if isinstance(event, Staff.Registered):
        return StaffRow(
            id=event.originator_id,
            name=event.name,
            branch=event.branch,
            roles=tuple(sorted(event.roles)),
            active=True,
            registered_at=event.envelope.occurred_at,
            deactivated_at=None,
            version=version,
            position=position,
        )
    if row is None:
        raise LookupError(f"{type(event).__name__} for unknown staff {event.originator_id}")
    if isinstance(event, Staff.RoleGranted):
        return replace(
            row, roles=tuple(sorted({*row.roles, event.role})), version=version, position=position
        )
    if isinstance(event, Staff.RoleRevoked):
        return replace(
            row,
            roles=tuple(r for r in row.roles if r != event.role),
            version=version,
            position=position,
        )
    if isinstance(event, Staff.Deactivated):
        return replace(
            row,
            active=False,
            deactivated_at=event.envelope.occurred_at,
            version=version,
            position=position,
        )
    return replace(row, version=version, position=position)


_COLUMNS = (
    "id",
    "name",
    "branch",
    "roles",
    "active",
    "registered_at",
    "deactivated_at",
    "version",
    "position",
)


def _load(curs: Cursor[DictRow], staff_id: UUID) -> StaffRow | None:
    found = select_one(curs, "staff", _COLUMNS, "id = %s", staff_id)
    return None if found is None else StaffRow(**{**found, "roles": tuple(found["roles"])})


def _save(curs: Cursor[DictRow], row: StaffRow) -> None:
    upsert(curs, "staff", {**{c: getattr(row, c) for c in _COLUMNS}, "roles": list(row.roles)})


class StaffModel(ReadModel):
    """Rows in ``staff``, ``staff_role_periods`` and ``staff_tokens``."""

    name = "staff"
    topics = tuple(
        get_topic(cls)
        for cls in (
            Staff.Registered,
            Staff.RoleGranted,
            Staff.RoleRevoked,
            Staff.TokenIssued,
            Staff.TokenRevoked,
            Staff.Deactivated,
        )
    )
    tables = ("staff", "staff_role_periods", "staff_tokens")

    def apply(self, curs: Cursor[DictRow], event: DomainEventProtocol[Any], position: int) -> None:
        staff_id = event.originator_id
        row = evolve(_load(curs, staff_id), event, position)
        _save(curs, row)
        at = event.envelope.occurred_at  # type: ignore[attr-defined]
        if isinstance(event, Staff.Registered):
            for role in event.roles:
                self._grant(curs, staff_id, role, at)
        elif isinstance(event, Staff.RoleGranted):
            self._grant(curs, staff_id, event.role, at)
        elif isinstance(event, Staff.RoleRevoked):
            curs.execute(
                "UPDATE staff_role_periods SET revoked_at = %s"
                " WHERE staff_id = %s AND role = %s AND revoked_at IS NULL",
                (at, staff_id, event.role),
            )
        elif isinstance(event, Staff.TokenIssued):
            curs.execute(
                "INSERT INTO staff_tokens (token_hash, staff_id, issued_at) VALUES (%s, %s, %s)",
                (bytes.fromhex(event.token_hash), staff_id, at),
            )
        elif isinstance(event, Staff.TokenRevoked):
            curs.execute(
                "UPDATE staff_tokens SET revoked_at = %s WHERE token_hash = %s",
                (at, bytes.fromhex(event.token_hash)),
            )
        elif isinstance(event, Staff.Deactivated):
            curs.execute(
                "UPDATE staff_role_periods SET revoked_at = %s"
                " WHERE staff_id = %s AND revoked_at IS NULL",
                (at, staff_id),
            )
            curs.execute(
                "UPDATE staff_tokens SET revoked_at = %s"
                " WHERE staff_id = %s AND revoked_at IS NULL",
                (at, staff_id),
            )

    @staticmethod
    def _grant(curs: Cursor[DictRow], staff_id: UUID, role: str, at: datetime) -> None:
        curs.execute(
            "INSERT INTO staff_role_periods (staff_id, role, granted_at) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (staff_id, role, at),
        )


# -- queries -------------------------------------------------------------------------------


def get(curs: Cursor[DictRow], staff_id: UUID) -> StaffRow | None:
    """One staff member."""
    return _load(curs, staff_id)


def by_token(curs: Cursor[DictRow], token_hash: bytes) -> StaffRow | None:
    """The active staff member holding a live token with this SHA-256."""
    curs.execute(
        f"SELECT {', '.join('s.' + c for c in _COLUMNS)} FROM staff_tokens t"  # noqa: S608
        " JOIN staff s ON s.id = t.staff_id"
        " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND s.active",
        (token_hash,),
    )
    found = curs.fetchone()
    return None if found is None else StaffRow(**{**found, "roles": tuple(found["roles"])})


@dataclass(frozen=True)
class StaffFilter:
    """Filters of the staff list; None means any."""

    branch: str | None = None
    role: str | None = None
    active: bool | None = None
    name_prefix: str | None = None


def page(curs: Cursor[DictRow], flt: StaffFilter, first: int, after: str | None) -> Page[StaffRow]:
    """Staff ordered by name then id, ``first`` at a time after the cursor ``after``."""
    where, params = ["TRUE"], []  # type: tuple[list[str], list[Any]]
    if flt.branch is not None:
        where.append("branch = %s")
        params.append(flt.branch)
    if flt.role is not None:
        where.append("%s = ANY(roles)")
        params.append(flt.role)
    if flt.active is not None:
        where.append("active = %s")
        params.append(flt.active)
    if flt.name_prefix:
        where.append("starts_with(name, %s)")
        params.append(flt.name_prefix)
    if after is not None:
        key = decode_cursor(after)
        if len(key) != 2:
            raise BadCursor("cursor is not one this service handed out")
        where.append("(name, id) > (%s, %s)")
        params.extend([key[0], UUID(str(key[1]))])
    curs.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM staff WHERE {' AND '.join(where)}"  # noqa: S608
        " ORDER BY name, id LIMIT %s",
        [*params, check_first(first) + 1],
    )
    rows = [StaffRow(**{**r, "roles": tuple(r["roles"])}) for r in curs.fetchall()]
    has_next = len(rows) > first
    rows = rows[:first]
    end = encode_cursor([rows[-1].name, str(rows[-1].id)]) if rows else None
    return Page(rows, end, has_next)
