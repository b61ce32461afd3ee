"""The reference catalogue of instruments, itself event-sourced."""

from __future__ import annotations

import re
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.envelope import BackofficeAggregate, Envelope
from domain.errors import ValidationError

CODE = re.compile(r"^\d{6}\.(SH|SZ|BJ)$")


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


def parse_code(code: str, field: str = "code") -> str:
    """A security code like 600519.SH."""
    value = code.strip().upper()
    if not CODE.match(value):
        raise ValidationError(f"security code {code!r} must look like 600519.SH", field)
    return value


def parse_board(board: str, field: str = "board") -> str:
    """A board name."""
    try:
        return Board(board.strip().lower()).value
    except ValueError:
        valid = ", ".join(b.value for b in Board)
        raise ValidationError(f"board {board!r} is not one of: {valid}", field) from None


def parse_risk(level: str, field: str = "riskLevel") -> str:
    """A product risk level R1-R5."""
    try:
        return ProductRisk(level.strip().upper()).value
    except ValueError:
        raise ValidationError(f"risk level {level!r} is not one of R1-R5", field) from None


class Instrument(BackofficeAggregate):
    """One security in the catalogue."""

    class Listed(BackofficeAggregate.Created):
        """The instrument entered the catalogue."""

        envelope: Envelope
        code: str
        name: str
        board: str
        risk_level: str
        board_lot: int

    class Revised(BackofficeAggregate.Event):
        """Its name, board, risk level or lot changed."""

        envelope: Envelope
        name: str
        board: str
        risk_level: str
        board_lot: int

    class StatusChanged(BackofficeAggregate.Event):
        """Listed, suspended or delisted."""

        envelope: Envelope
        status: str

    class RestrictionChanged(BackofficeAggregate.Event):
        """Put on or taken off the restricted list."""

        envelope: Envelope
        restricted: bool

    @classmethod
    def list(
        cls, envelope: Envelope, code: str, name: str, board: str, risk_level: str, board_lot: int
    ) -> Instrument:
        """Add an instrument to the catalogue."""
        code = parse_code(code)
        return cls(
            envelope=envelope,
            code=code,
            name=_name(name),
            board=parse_board(board),
            risk_level=parse_risk(risk_level),
            board_lot=_lot(board_lot),
        )

    @event(Listed)
    def __init__(
        self, envelope: Envelope, code: str, name: str, board: str, risk_level: str, board_lot: int
    ) -> None:
        self.code = code
        self.name = name
        self.board = board
        self.risk_level = risk_level
        self.board_lot = board_lot
        self.status = InstrumentStatus.LISTED.value
        self.restricted = False

    @staticmethod
    def create_id(code: str, **_: object) -> UUID:
        """Keyed by code."""
        return instrument_id(code)

    def revise(self, envelope: Envelope, name: str, board: str, risk_level: str, lot: int) -> bool:
        """Change reference data; return False (and record nothing) when nothing changed."""
        values = (_name(name), parse_board(board), parse_risk(risk_level), _lot(lot))
        if values == (self.name, self.board, self.risk_level, self.board_lot):
            return False
        self._revised(
            envelope=envelope,
            name=values[0],
            board=values[1],
            risk_level=values[2],
            board_lot=values[3],
        )
        return True

    @event(Revised)
    def _revised(
        self, envelope: Envelope, name: str, board: str, risk_level: str, board_lot: int
    ) -> None:
        self.name, self.board, self.risk_level, self.board_lot = name, board, risk_level, board_lot

    def set_status(self, envelope: Envelope, status: str) -> bool:
        """Set listed/suspended/delisted; False when unchanged."""
        try:
            value = InstrumentStatus(status.strip().lower()).value
        except ValueError:
            raise ValidationError(
                f"status {status!r} is not listed, suspended or delisted", "status"
            ) from None
        if value == self.status:
            return False
        self._status_changed(envelope=envelope, status=value)
        return True

    @event(StatusChanged)
    def _status_changed(self, envelope: Envelope, status: str) -> None:
        self.status = status

    def set_restricted(self, envelope: Envelope, restricted: bool) -> bool:
        """Put on or take off the restricted list; False when unchanged."""
        if restricted == self.restricted:
            return False
        self._restriction_changed(envelope=envelope, restricted=restricted)
        return True

    @event(RestrictionChanged)
    def _restriction_changed(self, envelope: Envelope, restricted: bool) -> None:
        self.restricted = restricted


def _name(name: str) -> str:
    if not name or not name.strip():
        raise ValidationError("instrument name must not be empty", "name")
    return name.strip()


def _lot(lot: int) -> int:
    if lot < 1:
        raise ValidationError("board lot must be at least 1", "boardLot")
    return lot
