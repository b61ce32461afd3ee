"""The instrument catalogue as a table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow

from domain.instruments import Instrument, InstrumentStatus
from projections.base import ReadModel, select_one, upsert


@dataclass(frozen=True)
class InstrumentRow:
    """One row of ``instruments``."""

    id: UUID
    code: str
    name: str
    board: str
    risk_level: str
    board_lot: int
    status: str
    restricted: bool
    version: int
    position: int


def evolve(
    row: InstrumentRow | None, event: DomainEventProtocol[Any], position: int
) -> InstrumentRow:
    """The catalogue row after ``event``."""
    if isinstance(event, Instrument.Listed):
        return InstrumentRow(
            event.originator_id,
            event.code,
            event.name,
            event.board,
            event.risk_level,
            event.board_lot,
            InstrumentStatus.LISTED.value,
            False,
            event.originator_version,
            position,
        )
    if row is None:
        raise LookupError(f"{type(event).__name__} for unknown instrument {event.originator_id}")
    row = replace(row, version=event.originator_version, position=position)
    if isinstance(event, Instrument.Revised):
        return replace(
            row,
            name=event.name,
            board=event.board,
            risk_level=event.risk_level,
            board_lot=event.board_lot,
        )
    if isinstance(event, Instrument.StatusChanged):
        return replace(row, status=event.status)
    if isinstance(event, Instrument.RestrictionChanged):
        return replace(row, restricted=event.restricted)
    return row


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
    topics = tuple(
        get_topic(c)
        for c in (
            Instrument.Listed,
            Instrument.Revised,
            Instrument.StatusChanged,
            Instrument.RestrictionChanged,
        )
    )
    tables = ("instruments",)

    def apply(self, curs: Cursor[DictRow], event: DomainEventProtocol[Any], position: int) -> None:
        found = select_one(curs, "instruments", _COLUMNS, "id = %s", event.originator_id)
        row = evolve(None if found is None else InstrumentRow(**found), event, position)
        upsert(curs, "instruments", asdict(row))
