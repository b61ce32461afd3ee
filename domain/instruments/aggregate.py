"""The reference catalogue of instruments, itself event-sourced."""

from __future__ import annotations

from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.envelope import BackofficeAggregate, Envelope


class Board(StrEnum):
    """Where an instrument trades; some boards need a client's trading permission."""

    MAIN = "main"
    CHINEXT = "chinext"
    STAR = "star"
    BSE = "bse"
    BOND = "bond"
    FUND = "fund"


#: Boards a client must hold an explicit trading permission for.
PERMISSION_BOARDS = frozenset({Board.CHINEXT.value, Board.STAR.value, Board.BSE.value})


class ProductRisk(StrEnum):
    """Product risk level, R1 (lowest) to R5."""

    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R4 = "R4"
    R5 = "R5"


class InstrumentStatus(StrEnum):
    """Whether an instrument may be traded."""

    LISTED = "listed"
    SUSPENDED = "suspended"
    DELISTED = "delisted"


def instrument_id(code: str) -> UUID:
    """The id of the instrument with this code (so the catalogue is keyed by code)."""
    return uuid5(NAMESPACE_URL, f"backoffice:instrument:{code.strip().upper()}")


class Instrument(BackofficeAggregate, formerly="domain.instruments"):
    """One security in the catalogue."""

    def __init__(self) -> None:
        self.code = ""
        self.name = ""
        self.board = Board.MAIN.value
        self.risk_level = ProductRisk.R1.value
        self.board_lot = 1
        self.status = InstrumentStatus.LISTED.value
        self.restricted = False

    class Listed(BackofficeAggregate.Created):
        """The instrument entered the catalogue."""

        envelope: Envelope
        code: str
        name: str
        board: str
        risk_level: str
        board_lot: int

        def apply(self, i: Instrument) -> None:
            i.code, i.name, i.board = self.code, self.name, self.board
            i.risk_level, i.board_lot = self.risk_level, self.board_lot

    class Revised(BackofficeAggregate.Event):
        """Its name, board, risk level or lot changed."""

        envelope: Envelope
        name: str
        board: str
        risk_level: str
        board_lot: int

        def apply(self, i: Instrument) -> None:
            i.name, i.board, i.risk_level, i.board_lot = (
                self.name,
                self.board,
                self.risk_level,
                self.board_lot,
            )

    class StatusChanged(BackofficeAggregate.Event):
        """Listed, suspended or delisted."""

        envelope: Envelope
        status: str

        def apply(self, i: Instrument) -> None:
            i.status = self.status

    class RestrictionChanged(BackofficeAggregate.Event):
        """Put on or taken off the restricted list."""

        envelope: Envelope
        restricted: bool

        def apply(self, i: Instrument) -> None:
            i.restricted = self.restricted

    @staticmethod
    def create_id(code: str, **_: object) -> UUID:
        """Keyed by code."""
        return instrument_id(code)
