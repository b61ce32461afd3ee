"""How long each class of record must be kept, by preset.

Nothing is ever deleted by the system: these rules only say from when a record *could* leave
primary storage, for the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.errors import Code, ValidationError


class RecordClass(StrEnum):
    """Classes of record with their own retention rules."""

    CLIENT_IDENTITY = "client_identity"
    ACCOUNT_OPENING = "account_opening"
    ORDERS_TRADES = "orders_trades"
    COMPLAINTS = "complaints"
    EXPENSES_BUDGETS = "expenses_budgets"
    STAFF = "staff"


class Clock(StrEnum):
    """When the retention period starts counting."""

    END_OF_YEAR_BOOKED = "end_of_year_booked"
    END_OF_YEAR_RELATIONSHIP_ENDED = "end_of_year_relationship_ended"
    RELATIONSHIP_ENDED = "relationship_ended"
    BOOKED = "booked"


@dataclass(frozen=True)
class Rule:
    """Keep for ``years`` from ``clock``."""

    years: int
    clock: Clock

    def earliest(self, booked_on: date, relationship_ended_on: date | None) -> date | None:
        """The first day the record may leave primary storage; None while the clock waits
        for a relationship that has not ended."""
        if self.clock in (Clock.END_OF_YEAR_RELATIONSHIP_ENDED, Clock.RELATIONSHIP_ENDED):
            if relationship_ended_on is None:
                return None
            start = relationship_ended_on
        else:
            start = booked_on
        if self.clock in (Clock.END_OF_YEAR_BOOKED, Clock.END_OF_YEAR_RELATIONSHIP_ENDED):
            return date(start.year + 1 + self.years, 1, 1)
        try:
            return start.replace(year=start.year + self.years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + self.years, day=28)


_T, _R = Clock.END_OF_YEAR_BOOKED, Clock.END_OF_YEAR_RELATIONSHIP_ENDED
_TX, _REL = Clock.BOOKED, Clock.RELATIONSHIP_ENDED
C = RecordClass

PRESETS: dict[str, dict[RecordClass, Rule]] = {
    # The source documents (PBOC 2007): transactions 5 years from the end of the year booked;
    # identity 5 years from the end of the year the relationship ended.
    "pboc-2007": {
        C.CLIENT_IDENTITY: Rule(5, _R),
        C.ACCOUNT_OPENING: Rule(5, _R),
        C.ORDERS_TRADES: Rule(5, _T),
        C.COMPLAINTS: Rule(5, _T),
        C.EXPENSES_BUDGETS: Rule(5, _T),
        C.STAFF: Rule(5, _R),
    },
    # AML Law 2025 Art. 34 (10 years after the relationship / transaction ends) and
    # Securities Law Art. 137 (account-opening, order and trade records at least 20 years).
    "cn-2025": {
        C.CLIENT_IDENTITY: Rule(10, _REL),
        C.ACCOUNT_OPENING: Rule(20, _REL),
        C.ORDERS_TRADES: Rule(20, _TX),
        C.COMPLAINTS: Rule(10, _TX),
        C.EXPENSES_BUDGETS: Rule(10, _TX),
        C.STAFF: Rule(10, _REL),
    },
    # SEC 17a-4 / FINRA 4511: 6 years.
    "us-17a-4": {
        C.CLIENT_IDENTITY: Rule(6, _REL),
        C.ACCOUNT_OPENING: Rule(6, _REL),
        C.ORDERS_TRADES: Rule(6, _TX),
        C.COMPLAINTS: Rule(6, _TX),
        C.EXPENSES_BUDGETS: Rule(6, _TX),
        C.STAFF: Rule(6, _REL),
    },
    # MiFIR Art. 25: 5 years.
    "eu-mifid": {
        C.CLIENT_IDENTITY: Rule(5, _REL),
        C.ACCOUNT_OPENING: Rule(5, _REL),
        C.ORDERS_TRADES: Rule(5, _TX),
        C.COMPLAINTS: Rule(5, _TX),
        C.EXPENSES_BUDGETS: Rule(5, _TX),
        C.STAFF: Rule(5, _REL),
    },
}


def parse_presets(names: list[str]) -> list[str]:
    """Known preset names, deduplicated and sorted."""
    chosen = sorted({n.strip().lower() for n in names if n.strip()})
    if not chosen:
        raise ValidationError("at least one retention preset is needed", "presets", Code.REQUIRED)
    unknown = [n for n in chosen if n not in PRESETS]
    if unknown:
        raise ValidationError(
            f"unknown preset(s) {', '.join(unknown)}; known: {', '.join(PRESETS)}",
            "presets",
            Code.INVALID_CHOICE,
        )
    return chosen


def earliest_removal(
    presets: list[str],
    record_class: RecordClass,
    booked_on: date,
    relationship_ended_on: date | None,
) -> tuple[date | None, str]:
    """Where several presets apply the longest wins: (earliest date or None, deciding preset)."""
    best: tuple[date | None, str] | None = None
    for name in presets:
        when = PRESETS[name][record_class].earliest(booked_on, relationship_ended_on)
        if best is None or when is None or (best[0] is not None and when > best[0]):
            best = (when, name)
            if when is None:
                break
    assert best is not None
    return best
