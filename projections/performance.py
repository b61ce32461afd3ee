"""KPIs and policy metrics over the read models: clients developed, the document-type
policy, trader review accuracy, and branch performance for a period."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.clients.identity import DocumentType
from domain.periods import period_bounds
from projections.base import col
from projections.budgets import BudgetAdherence, budget_adherence
from projections.complaint_queries import reply_timeliness

#: At most this share of individual clients may be on documents other than the 18-digit ID.
NON_RESIDENT_ID_LIMIT = Decimal("0.03")


@dataclass(frozen=True)
class ManagerCount:
    """Accounts opened for one account manager's clients in the period."""

    account_manager: UUID = col("The account manager.")
    count: int = col("Accounts opened.")


@dataclass(frozen=True)
class BranchPerformance:
    """One branch's KPIs for a period, combined from the read models."""

    branch: str = col("The branch.")
    period: str = col("The period: 2026, 2026-H1, 2026-Q3 or 2026-11 (branch time zone).")
    clients_developed: int = col("Accounts opened in the period.")
    clients_developed_by_manager: list[ManagerCount] = col("Accounts opened, per manager.")
    active_clients: int = col("Clients active now.")
    orders_received: int = col("Orders received in the period.")
    orders_reviewed: int = col("Of those, orders reviewed.")
    review_accuracy: Decimal | None = col("1 − accepted-then-cancelled-for-error ÷ reviewed.")
    average_minutes_to_review: Decimal | None = col("Mean minutes from receipt to review.")
    average_minutes_to_feedback: Decimal | None = col(
        "Mean minutes from the last fill to feedback."
    )
    flagged_orders: int = col("Orders flagged to risk management.")
    complaint_reply_timeliness: Decimal | None = col(
        "Complaints first replied in the period within their deadline ÷ those replied."
    )
    budget_adherence: list[BudgetAdherence] = col(
        "Per department: cost and expense lines within the period against what was spent.",
        default_factory=list,
    )


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
    by_manager = [ManagerCount(r["account_manager"], int(r["n"])) for r in curs.fetchall()]
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
        clients_developed=sum(m.count for m in by_manager),
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
        complaint_reply_timeliness=reply_timeliness(curs, branch, start, end),
        budget_adherence=budget_adherence(curs, branch, period),
    )


@dataclass(frozen=True)
class DocumentPolicy:
    """Share of individual clients on documents other than the 18-digit ID, per branch (the
    policy allows at most 3%)."""

    branch: str = col("The branch.")
    individuals: int = col("Individual clients with a verified identity, not closed.")
    other_documents: int = col("Of those, on a document other than the 18-digit ID.")
    limit: Decimal = col("The most the policy allows.", default=NON_RESIDENT_ID_LIMIT)

    @property
    def share(self) -> Decimal:
        """other_documents / individuals (0 when there are none)."""
        if not self.individuals:
            return Decimal(0)
        return (Decimal(self.other_documents) / Decimal(self.individuals)).quantize(
            Decimal("0.0001")
        )

    @property
    def within_limit(self) -> bool:
        """True when the share does not exceed the limit."""
        return self.share <= self.limit


def document_policy(curs: Cursor[DictRow], branch: str | None) -> list[DocumentPolicy]:
    """The policy metric for one branch, or for every branch."""
    curs.execute(
        "SELECT branch, count(*) AS individuals,"
        " count(*) FILTER (WHERE document_type <> %s) AS other_documents"
        " FROM clients WHERE client_type = 'individual' AND identity_verified"
        " AND status <> 'closed' AND (%s::text IS NULL OR branch = %s)"
        " GROUP BY branch ORDER BY branch",
        (DocumentType.RESIDENT_ID.value, branch, branch),
    )
    return [
        DocumentPolicy(r["branch"], r["individuals"], r["other_documents"]) for r in curs.fetchall()
    ]


@dataclass(frozen=True)
class ClientsDeveloped:
    """Accounts opened by one account manager's clients in one month."""

    account_manager: UUID = col("The account manager.")
    month: str = col("YYYY-MM in the branch's time zone.")
    count: int = col("Accounts opened.")


def clients_developed(
    curs: Cursor[DictRow], branch: str | None, year: int, timezone: str
) -> list[ClientsDeveloped]:
    """Accounts opened per account manager per month (months in the branch's time zone)."""
    curs.execute(
        "SELECT account_manager, to_char(opened_at AT TIME ZONE %s, 'YYYY-MM') AS month,"
        " count(*) AS n FROM clients"
        " WHERE opened_at IS NOT NULL"
        " AND extract(year FROM opened_at AT TIME ZONE %s) = %s"
        " AND (%s::text IS NULL OR branch = %s)"
        " GROUP BY 1, 2 ORDER BY 2, 1",
        (timezone, timezone, year, branch, branch),
    )
    return [ClientsDeveloped(r["account_manager"], r["month"], r["n"]) for r in curs.fetchall()]


@dataclass(frozen=True)
class TraderKpi:
    """One trader's month: reviews, accuracy, and the times that matter to clients."""

    trader: UUID = col("The trader.")
    month: str = col("YYYY-MM in the branch's time zone.")
    reviewed: int = col("Orders reviewed.")
    accepted: int = col("Orders accepted.")
    cancelled_for_error: int = col("Accepted orders later cancelled for error.")
    review_accuracy: Decimal | None = col("1 − cancelled for error ÷ reviewed.")
    average_minutes_to_review: Decimal | None = col("Mean minutes from receipt to review.")
    average_minutes_to_feedback: Decimal | None = col(
        "Mean minutes from the last fill to feedback."
    )


def trader_kpis(
    curs: Cursor[DictRow], branch: str | None, year: int, timezone: str
) -> list[TraderKpi]:
    """Per trader per month: review accuracy (1 − accepted-then-cancelled-for-error / reviewed),
    minutes from receipt to review, and from last execution to feedback."""
    curs.execute(
        "SELECT reviewed_by AS trader,"
        " to_char(reviewed_at AT TIME ZONE %(tz)s, 'YYYY-MM') AS month,"
        " count(*) AS reviewed,"
        " count(*) FILTER (WHERE reason_codes = '{}') AS accepted,"
        " count(*) FILTER (WHERE reason_codes = '{}' AND cancel_cause = 'error') AS errors,"
        " avg(extract(epoch FROM reviewed_at - received_at) / 60) AS to_review,"
        " avg(extract(epoch FROM fed_back_at - last_executed_at) / 60)"
        "   FILTER (WHERE last_executed_at IS NOT NULL AND fed_back_at IS NOT NULL) AS to_feedback"
        " FROM orders WHERE reviewed_by IS NOT NULL"
        " AND extract(year FROM reviewed_at AT TIME ZONE %(tz)s) = %(year)s"
        " AND (%(branch)s::text IS NULL OR branch = %(branch)s)"
        " GROUP BY 1, 2 ORDER BY 2, 1",
        {"tz": timezone, "year": year, "branch": branch},
    )
    out = []
    for r in curs.fetchall():
        reviewed = int(r["reviewed"])
        accuracy = 1 - Decimal(r["errors"]) / reviewed if reviewed else None

        def minutes(value: Any) -> Decimal | None:
            return None if value is None else Decimal(value).quantize(Decimal("0.1"))

        out.append(
            TraderKpi(
                trader=r["trader"],
                month=r["month"],
                reviewed=reviewed,
                accepted=int(r["accepted"]),
                cancelled_for_error=int(r["errors"]),
                review_accuracy=None if accuracy is None else accuracy.quantize(Decimal("0.0001")),
                average_minutes_to_review=minutes(r["to_review"]),
                average_minutes_to_feedback=minutes(r["to_feedback"]),
            )
        )
    return out
