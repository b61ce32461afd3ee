"""Reporting periods: a year, a half-year, a quarter or a month ("2026", "2026-H1", "2026-Q3",
"2026-11"), as business dates. Budgets are set per period and KPIs are read per period, so
both sides parse them here."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

PERIOD = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|\d{2}))?$")


class PeriodKind(StrEnum):
    """How long a period is."""

    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


def normal_period(period: str) -> str:
    """The period as it is stored ("2026-q3" → "2026-Q3"); ValueError if it is not one."""
    period_bounds(period)
    return period.strip().upper()


def period_kind(period: str) -> PeriodKind:
    """Month, quarter, half-year or year."""
    part = normal_period(period)[5:]
    if not part:
        return PeriodKind.YEAR
    if part.startswith("H"):
        return PeriodKind.HALF_YEAR
    if part.startswith("Q"):
        return PeriodKind.QUARTER
    return PeriodKind.MONTH


def period_bounds(period: str) -> tuple[date, date]:
    """[start, end) of "2026", "2026-H1", "2026-Q3" or "2026-11" (business dates)."""
    m = PERIOD.match(period.strip().upper())
    if not m:
        raise ValueError(f"period {period!r} must look like 2026, 2026-H1, 2026-Q3 or 2026-11")
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        return date(year, 1, 1), date(year + 1, 1, 1)
    if part.startswith("H"):
        first, months = 6 * int(part[1]) - 5, 6
    elif part.startswith("Q"):
        first, months = 3 * int(part[1]) - 2, 3
    else:
        first, months = int(part), 1
        if not 1 <= first <= 12:
            raise ValueError(f"period {period!r}: month must be 01-12")
    end_month = first + months
    end = date(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return date(year, first, 1), end


def quarter_of(day: date) -> str:
    """The quarter ``day`` falls in, e.g. "2026-Q4"."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
