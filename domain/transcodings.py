"""How values that JSON does not know are stored inside an event's state."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.envelope import Envelope
from domain.orders import ClientFacts, InstrumentFacts


class FactsAsDict(Transcoding):
    """Facts as they stood at a moment (a frozen dataclass), stored as a mapping."""

    def __init__(self, cls: type[ClientFacts] | type[InstrumentFacts], name: str) -> None:
        self.type = cls
        self.name = name

    def encode(self, obj: Any) -> dict[str, Any]:
        return dict(obj.__dict__)

    def decode(self, data: dict[str, Any]) -> Any:
        if "trading_permissions" in data:
            data = {**data, "trading_permissions": tuple(data["trading_permissions"])}
        return self.type(**data)


class EnvelopeAsDict(Transcoding):
    """Stores an Envelope as a plain mapping inside the event's JSON state."""

    type = Envelope
    name = "envelope"

    def encode(self, obj: Envelope) -> dict[str, Any]:
        return dict(obj.__dict__)

    def decode(self, data: dict[str, Any]) -> Envelope:
        return Envelope(**data)


class DateAsISO(Transcoding):
    """Calendar dates (business dates, birth dates) as ISO 8601 text."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)
