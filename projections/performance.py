"""Branch performance: the KPIs of the other read models for one branch and period."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from psycopg import Cursor
from psycopg.rows import DictRow

PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|\d{2}))?$")


def period_bounds(period: str) -> tuple[date, date]:
    """[start, end) of "2026", "2026-Q3" or "2026-11"."""
    m = PERIOD.match(period.strip().upper())
    if not m:
        raise ValueError(f"period {period!r} must look like 2026, 2026-Q3 or 2026-11")
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        return date(year, 1, 1), date(year + 1, 1, 1)
    if part.startswith("Q"):
        start = date(year, 3 * int(part[1]) - 2, 1)
    else:
        month = int(part)
        if not 1 <= month <= 12:
            raise ValueError(f"period {period!r}: month must be 01-12")
        start = date(year, month, 1)
    months = 3 if part.startswith("Q") else 1
    end_month = start.month + months
    end = date(start.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return start, end


@dataclass(frozen=True)
class BranchPerformance:
    """One branch's period, from the read models that exist."""

    branch: str
    period: str
    clients_developed: int
    clients_developed_by_manager: list[tuple[Any, int]]
    active_clients: int
    orders_received: int
    orders_reviewed: int
    review_accuracy: Decimal | None
    average_minutes_to_review: Decimal | None
    average_minutes_to_feedback: Decimal | None
    flagged_orders: int


def branch_performance(
    curs: Cursor[DictRow], branch: str, period: str, timezone: str
) -> BranchPerformance:
    """Clients developed, order review accuracy and timeliness, flags, for one period."""
    start, end = period_bounds(period)
    window = {"b": branch, "s": start, "e": end, "tz": timezone}
    curs.execute(
        "SELECT account_manager, count(*) AS n FROM clients WHERE branch = %(b)s"
        " AND (opened_at AT TIME ZONE %(tz)s)::date >= %(s)s"
        " AND (opened_at AT TIME ZONE %(tz)s)::date < %(e)s GROUP BY 1 ORDER BY 2 DESC, 1",
        window,
    )
    by_manager = [(r["account_manager"], int(r["n"])) for r in curs.fetchall()]
    curs.execute(
        "SELECT count(*) AS n FROM clients WHERE branch = %(b)s AND status = 'active'", window
    )
    active = curs.fetchone()
    curs.execute(
        "SELECT count(*) AS received,"
        " count(reviewed_at) AS reviewed,"
        " count(*) FILTER (WHERE reviewed_at IS NOT NULL AND reason_codes = '{}'"
        "   AND cancel_cause = 'error') AS errors,"
        " avg(extract(epoch FROM reviewed_at - received_at) / 60) AS to_review,"
        " avg(extract(epoch FROM fed_back_at - last_executed_at) / 60)"
        "   FILTER (WHERE fed_back_at IS NOT NULL AND last_executed_at IS NOT NULL) AS to_feedback,"
        " count(*) FILTER (WHERE flag_status <> 'none') AS flagged"
        " FROM orders WHERE branch = %(b)s AND received_on >= %(s)s AND received_on < %(e)s",
        window,
    )
    o = curs.fetchone() or {}
    reviewed = int(o.get("reviewed") or 0)

    def minutes(value: Any) -> Decimal | None:
        return None if value is None else Decimal(value).quantize(Decimal("0.1"))

    return BranchPerformance(
        branch=branch,
        period=period.upper(),
        clients_developed=sum(n for _, n in by_manager),
        clients_developed_by_manager=by_manager,
        active_clients=int(active["n"]) if active else 0,
        orders_received=int(o.get("received") or 0),
        orders_reviewed=reviewed,
        review_accuracy=(
            (1 - Decimal(o["errors"]) / reviewed).quantize(Decimal("0.0001")) if reviewed else None
        ),
        average_minutes_to_review=minutes(o.get("to_review")),
        average_minutes_to_feedback=minutes(o.get("to_feedback")),
        flagged_orders=int(o.get("flagged") or 0),
    )
