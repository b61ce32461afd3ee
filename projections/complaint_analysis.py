"""The complaint analysis for any period (year, half-year, quarter, month, ISO week): counts
of complaints received, chased, replied and called back, by category, cause, department
and attributed person; and reply timeliness (first replies within their deadline ÷ first
replies) per owner, branch and month. Days are the branch's calendar days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.periods import period_bounds
from projections.base import col

WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")
#: The dimensions of the analysis and the SQL that names a complaint's value in each.
DIMENSIONS: dict[str, str] = {
    "category": "category",
    "cause": "cause",
    "department": "department",
    # A person when one is named, failing that the unit (the department).
    "attributed_person": "coalesce(attributed_to::text, 'unit:' || department)",
}


def analysis_bounds(period: str) -> tuple[date, date]:
    """[start, end) of 2026, 2026-H1, 2026-Q3, 2026-11 or 2026-W48 (an ISO week)."""
    m = WEEK.match(period.strip().upper())
    if m is None:
        return period_bounds(period)
    try:
        start = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValueError(f"period {period!r}: no such ISO week") from None
    return start, start + timedelta(days=7)


@dataclass(frozen=True)
class ComplaintCount:
    """Complaints with each activity in the period, for one value of a dimension."""

    key: str | None = col(
        "The category, cause or department; for people a staff id, or unit:<department> "
        "when attributed to a unit; null when not known yet."
    )
    received: int = col("Complaints received in the period.")
    chased: int = col("Complaints chased (a late stage escalated) in the period.")
    replied: int = col("Complaints replied to in the period.")
    called_back: int = col("Complaints whose feedback was recorded in the period.")


@dataclass(frozen=True)
class ReplyTimeliness:
    """First replies in one month: how many met their deadline."""

    branch: str = col("The branch.")
    month: str = col("YYYY-MM of the first reply (branch time zone).")
    replied: int = col("Complaints first replied to in the month.")
    within_deadline: int = col("Of those, replied on or before their reply due date.")
    rate: Decimal = col("within_deadline ÷ replied.")
    owner: UUID | None = col(
        "The first responder (complaints stay attributed to them); null on branch lines.",
        default=None,
    )


@dataclass(frozen=True)
class ComplaintAnalysis:
    """The complaint analysis of a period: counts by dimension and reply timeliness."""

    branch: str | None = col("The branch (null: every branch).")
    period: str = col("2026, 2026-H1, 2026-Q3, 2026-11 or 2026-W48 (branch time zone).")
    starts_on: date = col("The first day of the period.")
    ends_on: date = col("The last day of the period.")
    totals: ComplaintCount = col("Every complaint (key null).")
    by_category: list[ComplaintCount] = col("By category.")
    by_cause: list[ComplaintCount] = col("By the cause the analysis found.")
    by_department: list[ComplaintCount] = col("By the department that fixes it.")
    by_attributed_person: list[ComplaintCount] = col("By the person (or unit) attributed.")
    reply_timeliness: Decimal | None = col(
        "First replies in the period within their deadline ÷ first replies (null: none)."
    )
    timeliness_by_owner: list[ReplyTimeliness] = col("Per first responder and month.")
    timeliness_by_month: list[ReplyTimeliness] = col("Per branch and month.")


_ACTIVITY = """
WITH t AS (
    SELECT complaint_id,
        bool_or(event_type = 'Chased') AS chased,
        bool_or(event_type IN ('Replied', 'ResolvedAtOnce')) AS replied,
        bool_or(event_type = 'FeedbackRecorded') AS called_back
    FROM complaint_timeline
    WHERE event_type IN ('Chased', 'Replied', 'ResolvedAtOnce', 'FeedbackRecorded')
      AND (occurred_at AT TIME ZONE %(tz)s)::date >= %(s)s
      AND (occurred_at AT TIME ZONE %(tz)s)::date < %(e)s
    GROUP BY complaint_id
), a AS (
    SELECT c.*, (c.received_on >= %(s)s AND c.received_on < %(e)s) AS was_received,
        coalesce(t.chased, false) AS was_chased,
        coalesce(t.replied, false) AS was_replied,
        coalesce(t.called_back, false) AS was_called_back
    FROM complaints c LEFT JOIN t ON t.complaint_id = c.id
    WHERE (%(b)s::text IS NULL OR c.branch = %(b)s)
      AND ((c.received_on >= %(s)s AND c.received_on < %(e)s) OR t.complaint_id IS NOT NULL)
)
SELECT {key} AS key,
    count(*) FILTER (WHERE was_received) AS received,
    count(*) FILTER (WHERE was_chased) AS chased,
    count(*) FILTER (WHERE was_replied) AS replied,
    count(*) FILTER (WHERE was_called_back) AS called_back
FROM a GROUP BY 1 ORDER BY 2 DESC, 1
"""


def counts(
    curs: Cursor[DictRow], dimension: str | None, window: dict[str, Any]
) -> list[ComplaintCount]:
    """Counts per value of ``dimension`` (None: one line for all)."""
    key = "NULL::text" if dimension is None else DIMENSIONS[dimension]
    curs.execute(_ACTIVITY.format(key=key), window)  # noqa: S608 - keys are code constants
    return [
        ComplaintCount(r["key"], r["received"], r["chased"], r["replied"], r["called_back"])
        for r in curs.fetchall()
    ]


def _rate(timely: int, replied: int) -> Decimal:
    return (Decimal(timely) / Decimal(replied)).quantize(Decimal("0.0001"))


def timeliness(
    curs: Cursor[DictRow], branch: str | None, start: date, end: date, *, by_owner: bool
) -> list[ReplyTimeliness]:
    """First replies in [start, end) per branch and month (and per first responder)."""
    owner = "first_responder" if by_owner else "NULL::uuid"
    curs.execute(
        f"SELECT branch, to_char(first_replied_on, 'YYYY-MM') AS month, {owner} AS owner,"  # noqa: S608
        " count(*) AS replied, count(*) FILTER (WHERE replied_within_deadline) AS timely"
        " FROM complaints WHERE first_replied_on >= %s AND first_replied_on < %s"
        " AND (%s::text IS NULL OR branch = %s) GROUP BY 1, 2, 3 ORDER BY 2, 1, 3",
        (start, end, branch, branch),
    )
    return [
        ReplyTimeliness(
            r["branch"],
            r["month"],
            int(r["replied"]),
            int(r["timely"]),
            _rate(int(r["timely"]), int(r["replied"])),
            r["owner"],
        )
        for r in curs.fetchall()
    ]


def analysis(
    curs: Cursor[DictRow], branch: str | None, period: str, timezone: str
) -> ComplaintAnalysis:
    """The whole analysis of one period for one branch (None: every branch)."""
    start, end = analysis_bounds(period)
    window = {"b": branch, "s": start, "e": end, "tz": timezone}
    totals = counts(curs, None, window)
    monthly = timeliness(curs, branch, start, end, by_owner=False)
    replied = sum(t.replied for t in monthly)
    return ComplaintAnalysis(
        branch=branch,
        period=period.strip().upper(),
        starts_on=start,
        ends_on=end - timedelta(days=1),
        totals=totals[0] if totals else ComplaintCount(None, 0, 0, 0, 0),
        by_category=counts(curs, "category", window),
        by_cause=counts(curs, "cause", window),
        by_department=counts(curs, "department", window),
        by_attributed_person=counts(curs, "attributed_person", window),
        reply_timeliness=(
            _rate(sum(t.within_deadline for t in monthly), replied) if replied else None
        ),
        timeliness_by_owner=timeliness(curs, branch, start, end, by_owner=True),
        timeliness_by_month=monthly,
    )
