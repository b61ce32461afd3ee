"""The command that keeps the catalogue: list an instrument or revise it."""

from __future__ import annotations

from typing import Annotated

from domain.access import Permission
from domain.commands import Command, Decision, command
from domain.fields import Int, Text, describe
from domain.instruments.aggregate import (
    Board,
    Instrument,
    InstrumentStatus,
    ProductRisk,
    instrument_id,
)

SecurityCode = Annotated[
    str,
    Text(
        9,
        "A security code with its exchange, e.g. 600519.SH.",
        pattern=r"\d{6}\.(SH|SZ|BJ)",
        shape="like 600519.SH",
        upper=True,
        remove=r"\s",
    ),
]
InstrumentName = Annotated[str, Text(100, "The instrument's short name.")]
BoardLot = Annotated[int, Int(1, 1_000_000, "Shares per board lot.")]


@command("upsert_instrument", Permission.MANAGE_INSTRUMENTS)
class UpsertInstrument(Command):
    """List an instrument, or revise it to these values (nothing is recorded when nothing
    changed)."""

    code: SecurityCode
    name: InstrumentName
    board: Board
    risk_level: ProductRisk
    board_lot: BoardLot
    status: InstrumentStatus = describe("Default: listed.", default=InstrumentStatus.LISTED)
    restricted: bool = describe("On the restricted list.", default=False)

    def decide(self, d: Decision[Instrument]) -> Instrument:
        found = d.find(Instrument, instrument_id(self.code))
        terms = {
            "name": self.name,
            "board": self.board.value,
            "risk_level": self.risk_level.value,
            "board_lot": self.board_lot,
        }
        if found is None:
            made = d.new(Instrument, Instrument.Listed, code=self.code, **terms)
        else:
            made = found
            now = {k: getattr(made, k) for k in terms}
            if now != terms:
                d.record_on(made, Instrument.Revised, **terms)
        if made.status != self.status.value:
            d.record_on(made, Instrument.StatusChanged, status=self.status.value)
        if made.restricted != self.restricted:
            d.record_on(made, Instrument.RestrictionChanged, restricted=self.restricted)
        return made
