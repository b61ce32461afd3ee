"""The instrument catalogue (reference data for orders)."""

from domain.instruments.aggregate import (
    PERMISSION_BOARDS,
    Board,
    Instrument,
    InstrumentStatus,
    ProductRisk,
    instrument_id,
)
from domain.instruments.commands import SecurityCode, UpsertInstrument

__all__ = [
    "PERMISSION_BOARDS",
    "Board",
    "Instrument",
    "InstrumentStatus",
    "ProductRisk",
    "SecurityCode",
    "UpsertInstrument",
    "instrument_id",
]
