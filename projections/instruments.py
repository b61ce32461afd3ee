"""The instrument catalogue as a table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.instruments import Board, Instrument, InstrumentStatus, ProductRisk
from projections.base import Evolver, ReadModel, col, on, select_one, upsert


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
        upsert(curs, "instruments", asdict(row))
