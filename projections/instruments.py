"""The instrument catalogue as a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.instruments import Board, Instrument, InstrumentStatus, ProductRisk
from projections.base import Evolver, ReadModel, col, on, replace, row_values, select_one, upsert
from projections.paging import Key, Ordering, Page, keyset, like_prefix
from projections.paging import count as count_rows


@dataclass(frozen=True)
class InstrumentRow:
    """One row of ``instruments``."""

    id: UUID = col("The instrument's id (derived from its code).")
    code: str = col("Security code with exchange, e.g. 600519.SH.")
    name: str = col("Short name.")
    board: str = col("Where it trades.", enum=Board)
    risk_level: str = col("Product risk level, R1 (lowest) to R5.", enum=ProductRisk)
    board_lot: int = col("Shares per board lot.")
    status: str = col("Whether it may be traded.", enum=InstrumentStatus)
    restricted: bool = col("On the restricted list (orders get flagged).")
    version: int = col("The record's version.")
    position: int = col("Notification id of the record's last event.")


evolve: Evolver[InstrumentRow] = Evolver()


@evolve.creates(Instrument.Listed)
def _listed(e: Instrument.Listed, position: int) -> InstrumentRow:
    return InstrumentRow(
        e.originator_id,
        e.code,
        e.name,
        e.board,
        e.risk_level,
        e.board_lot,
        InstrumentStatus.LISTED.value,
        False,
        e.originator_version,
        position,
    )


@evolve.on(Instrument.Revised)
def _revised(row: InstrumentRow, e: Instrument.Revised, _: int) -> InstrumentRow:
    return replace(row, name=e.name, board=e.board, risk_level=e.risk_level, board_lot=e.board_lot)


@evolve.on(Instrument.StatusChanged)
def _status(row: InstrumentRow, e: Instrument.StatusChanged, _: int) -> InstrumentRow:
    return replace(row, status=e.status)


@evolve.on(Instrument.RestrictionChanged)
def _restriction(row: InstrumentRow, e: Instrument.RestrictionChanged, _: int) -> InstrumentRow:
    return replace(row, restricted=e.restricted)


_COLUMNS = tuple(InstrumentRow.__dataclass_fields__)


def get(curs: Cursor[DictRow], code: str) -> InstrumentRow | None:
    """One instrument by code."""
    found = select_one(curs, "instruments", _COLUMNS, "code = %s", code)
    return None if found is None else InstrumentRow(**found)


def get_many(curs: Cursor[DictRow], codes: Sequence[str]) -> dict[str, InstrumentRow]:
    """The instruments with these codes (those in the catalogue), in one statement."""
    curs.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM instruments WHERE code = ANY(%s)",  # noqa: S608
        (list(codes),),
    )
    return {r["code"]: InstrumentRow(**r) for r in curs.fetchall()}


def search(
    curs: Cursor[DictRow], prefix: str | None, board: str | None, limit: int
) -> list[InstrumentRow]:
    """Instruments by code or name prefix and board, in code order."""
    curs.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM instruments"  # noqa: S608
        " WHERE (%(p)s::text IS NULL OR code LIKE %(p)s || '%%' OR name LIKE %(p)s || '%%')"
        " AND (%(b)s::text IS NULL OR board = %(b)s) ORDER BY code LIMIT %(n)s",
        {"p": prefix, "b": board, "n": limit},
    )
    return [InstrumentRow(**r) for r in curs.fetchall()]


class InstrumentModel(ReadModel):
    """Rows in ``instruments``."""

    name = "instruments"
    tables = ("instruments",)

    @on(*evolve.events)
    def row(self, curs: Cursor[DictRow], event: Any, position: int) -> None:
        """The instrument's row."""
        found = select_one(curs, "instruments", _COLUMNS, "id = %s", event.originator_id)
        row = evolve(None if found is None else InstrumentRow(**found), event, position)
        upsert(curs, "instruments", row_values(row))


@dataclass(frozen=True)
class InstrumentFilter:
    """Filters of the catalogue; a filter left out matches every instrument."""

    prefix: str | None = col("Codes or names starting with this.", default=None)
    board: str | None = col("Only this board.", enum=Board, default=None)
    risk_level: str | None = col("Only this product risk level.", enum=ProductRisk, default=None)
    status: str | None = col(
        "Only instruments in this status.", enum=InstrumentStatus, default=None
    )
    restricted: bool | None = col(
        "Only instruments on (true) or off (false) the restricted list.", default=None
    )


class InstrumentSort(StrEnum):
    """How the catalogue is sorted: CODE, or NAME (then code). A cursor works only with the
    sort that handed it out."""

    CODE = "code"
    NAME = "name"


SORTS = {
    InstrumentSort.CODE: Ordering("code", (Key("code"),)),
    InstrumentSort.NAME: Ordering("name", (Key("name"), Key("code"))),
}


def _where(flt: InstrumentFilter) -> list[tuple[str, Any]]:
    return [
        ("(code LIKE %s OR name LIKE %s)", like_prefix(flt.prefix)),
        ("board = %s", flt.board),
        ("risk_level = %s", flt.risk_level),
        ("status = %s", flt.status),
        ("restricted = %s", flt.restricted),
    ]


def page(
    curs: Cursor[DictRow],
    flt: InstrumentFilter,
    first: int,
    after: str | None,
    sort: InstrumentSort = InstrumentSort.CODE,
) -> Page[InstrumentRow]:
    """Instruments in ``sort`` order (default: by code), ``first`` at a time after the cursor
    ``after``."""
    found = keyset(
        curs,
        table="instruments",
        columns=_COLUMNS,
        where=_where(flt),
        order=SORTS[sort],
        first=first,
        after=after,
    )
    return Page([InstrumentRow(**r) for r in found.items], found.end_cursor, found.has_next_page)


def count(curs: Cursor[DictRow], flt: InstrumentFilter) -> int:
    """How many instruments match ``flt``."""
    return count_rows(curs, "instruments", _where(flt))
