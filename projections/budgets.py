"""Budget lines with what expenses committed and paid on them, budget vs actual, deviations
reported upward, and budget adherence per department."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.expenses import Budget, BudgetKind, BudgetStatus
from domain.periods import PeriodKind, period_bounds, period_kind
from projections.base import Evolver, ReadModel, col, on, replace
from projections.rows import RowTable

#: Deviations above this share of the budgeted amount are reported upward (BUDGET_DEVIATION).
DEFAULT_DEVIATION = Decimal("0.10")
_CENT = Decimal("0.01")


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole in percent, 2 places (None when whole is 0)."""
    return None if not whole else (part * 100 / whole).quantize(_CENT)


@dataclass(frozen=True)
class BudgetRevision:
    """One revision of a budget line's amount."""

    previous_amount: Decimal = col("The amount before (CNY).")
    amount: Decimal = col("The amount after (CNY).")
    reason: str | None = col("Why.")
    revised_by: UUID = col("Who revised it.")
    revised_at: datetime = col("When.")


@dataclass(frozen=True)
class BudgetRow:
    """One budget line: the plan and what expenses charged to it committed and paid (CNY)."""

    id: UUID = col("The budget line's id (expenses are charged to it).")
    branch: str = col("The branch.")
    department: str = col("The department.")
    category: str = col("The category.")
    kind: str = col("Revenue, cost or expense.", enum=BudgetKind)
    period: str = col("2026, 2026-H1, 2026-Q3 or 2026-11.")
    period_kind: str = col("Month, quarter, half-year or year.", enum=PeriodKind)
    starts_on: date = col("The period's first day.")
    ends_on: date = col("The day after the period's last day.")
    amount: Decimal = col("The amount budgeted (CNY).")
    status: str = col("Open or closed.", enum=BudgetStatus)
    set_by: UUID = col("Who set it.")
    set_at: datetime = col("When.")
    version: int = col("The record's version: pass it as expectedVersion.")
    position: int = col("Notification id of the record's last event.")
    committed: Decimal = col("Approved expenses not yet paid (CNY).", default=Decimal(0))
    paid: Decimal = col("Paid expenses (CNY).", default=Decimal(0))
    revisions: list[BudgetRevision] = col("Every revision, oldest first.", default_factory=list)
    closed_at: datetime | None = col("When it was closed.", default=None)


evolve: Evolver[BudgetRow] = Evolver()


@evolve.creates(Budget.Set)
def _set(e: Budget.Set, position: int) -> BudgetRow:
    return BudgetRow(
        id=e.originator_id,
        branch=e.branch,
        department=e.department,
        category=e.category,
        kind=e.kind,
        period=e.period,
        period_kind=period_kind(e.period).value,
        starts_on=e.starts_on,
        ends_on=e.ends_on,
        amount=e.amount,
        status=BudgetStatus.OPEN.value,
        set_by=e.envelope.actor,
        set_at=e.envelope.occurred_at,
        version=e.originator_version,
        position=position,
    )


@evolve.on(Budget.Revised)
def _revised(row: BudgetRow, e: Budget.Revised, _: int) -> BudgetRow:
    revision = BudgetRevision(
        e.previous_amount, e.amount, e.envelope.reason, e.envelope.actor, e.envelope.occurred_at
    )
    return replace(row, amount=e.amount, revisions=[*row.revisions, revision])


@evolve.on(Budget.Closed)
def _closed(row: BudgetRow, e: Budget.Closed, _: int) -> BudgetRow:
    return replace(row, status=BudgetStatus.CLOSED.value, closed_at=e.envelope.occurred_at)


@evolve.on(Budget.Committed)
def _committed(row: BudgetRow, e: Budget.Committed, _: int) -> BudgetRow:
    return replace(row, committed=row.committed + e.amount)


@evolve.on(Budget.Paid)
def _paid(row: BudgetRow, e: Budget.Paid, _: int) -> BudgetRow:
    return replace(row, committed=row.committed - e.amount, paid=row.paid + e.amount)


TABLE = RowTable("budgets", BudgetRow, {"revisions": BudgetRevision})
get = TABLE.get


class BudgetModel(ReadModel):
    """Rows in ``budgets``."""

    name = "budgets"
    tables = ("budgets",)

    @on(*evolve.events)
    def row(self, curs: Cursor[DictRow], event: Any, position: int) -> None:
        """The budget line's row."""
        TABLE.evolve(curs, evolve, event, position)


# -- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetFilter:
    """Filters of the budget lines; a filter left out matches every line."""

    branch: str | None = col(
        "Only this branch (default: yours, or all for head office).", default=None
    )
    department: str | None = col("Only this department.", default=None)
    category: str | None = col("Only this category.", default=None)
    kind: str | None = col("Only this kind.", enum=BudgetKind, default=None)
    status: str | None = col("Only open or closed lines.", enum=BudgetStatus, default=None)
    period: str | None = col(
        "Only lines whose period lies within this one (2026 also gives its quarters and months).",
        default=None,
    )


_ORDER = " ORDER BY branch, starts_on, ends_on DESC, department, category, kind"


def lines(curs: Cursor[DictRow], flt: BudgetFilter, limit: int = 1000) -> list[BudgetRow]:
    """Budget lines by branch, period, department, category and kind."""
    start, end = period_bounds(flt.period) if flt.period else (None, None)
    curs.execute(
        TABLE.select + " WHERE (%(b)s::text IS NULL OR branch = %(b)s)"
        " AND (%(d)s::text IS NULL OR department = %(d)s)"
        " AND (%(c)s::text IS NULL OR category = %(c)s)"
        " AND (%(k)s::text IS NULL OR kind = %(k)s)"
        " AND (%(st)s::text IS NULL OR status = %(st)s)"
        " AND (%(s)s::date IS NULL OR (starts_on >= %(s)s AND ends_on <= %(e)s))"
        + _ORDER
        + " LIMIT %(limit)s",
        {
            "b": flt.branch,
            "d": flt.department,
            "c": flt.category,
            "k": flt.kind,
            "st": flt.status,
            "s": start,
            "e": end,
            "limit": limit,
        },
    )
    return [TABLE.decode(r) for r in curs.fetchall()]


@dataclass(frozen=True)
class BudgetVsActual:
    """One budget line against what was spent on it (CNY)."""

    budget_id: UUID = col("The budget line.")
    branch: str = col("The branch.")
    department: str = col("The department.")
    category: str = col("The category.")
    kind: str = col("Revenue, cost or expense.", enum=BudgetKind)
    period: str = col("The line's period.")
    status: str = col("Open or closed.", enum=BudgetStatus)
    budgeted: Decimal = col("The amount budgeted.")
    committed: Decimal = col("Approved expenses not yet paid.")
    paid: Decimal = col("Paid expenses.")

    @property
    def actual(self) -> Decimal:
        """Committed plus paid."""
        return self.committed + self.paid

    @property
    def variance(self) -> Decimal:
        """Budgeted less actual (negative: over budget)."""
        return self.budgeted - self.actual

    @property
    def percent_used(self) -> Decimal | None:
        """Actual as a percentage of budgeted (null when nothing was budgeted)."""
        return percent(self.actual, self.budgeted)

    @property
    def deviation(self) -> Decimal | None:
        """How far actual is above budgeted, as a share of budgeted (0.1 = 10%; null when
        nothing was budgeted)."""
        if not self.budgeted:
            return None
        return ((self.actual - self.budgeted) / self.budgeted).quantize(Decimal("0.0001"))

    def deviates(self, share: Decimal) -> bool:
        """True when actual exceeds budgeted by more than ``share`` of it."""
        return self.actual - self.budgeted > share * self.budgeted


def budget_vs_actual(
    curs: Cursor[DictRow], period: str, branch: str | None
) -> list[BudgetVsActual]:
    """Every line whose period lies within ``period``: budgeted, committed, paid. Revenue
    lines have no actuals yet (no revenue is recorded by this system)."""
    found = lines(curs, BudgetFilter(branch=branch, period=period))
    return [
        BudgetVsActual(
            r.id,
            r.branch,
            r.department,
            r.category,
            r.kind,
            r.period,
            r.status,
            r.amount,
            r.committed,
            r.paid,
        )
        for r in found
    ]


def deviations(
    curs: Cursor[DictRow], period: str, branch: str | None, share: Decimal = DEFAULT_DEVIATION
) -> list[BudgetVsActual]:
    """Cost and expense lines whose actual exceeds budgeted by more than ``share`` of it:
    what is reported upward."""
    return [
        line
        for line in budget_vs_actual(curs, period, branch)
        if line.kind != BudgetKind.REVENUE and line.deviates(share)
    ]


@dataclass(frozen=True)
class BudgetAdherence:
    """One department's cost and expense lines in a period, against what was spent (CNY)."""

    department: str = col("The department.")
    lines: int = col("Cost and expense lines whose period lies within the period.")
    lines_over_budget: int = col("Of those, lines whose actual exceeds their amount.")
    budgeted: Decimal = col("Budgeted on those lines.")
    actual: Decimal = col("Committed plus paid on those lines.")

    @property
    def percent_used(self) -> Decimal | None:
        """Actual as a percentage of budgeted (null when nothing was budgeted)."""
        return percent(self.actual, self.budgeted)

    @property
    def within_budget(self) -> bool:
        """True when no line of the department is over its amount."""
        return self.lines_over_budget == 0


def budget_adherence(curs: Cursor[DictRow], branch: str, period: str) -> list[BudgetAdherence]:
    """Per department of ``branch``: its cost and expense lines within ``period``."""
    start, end = period_bounds(period)
    curs.execute(
        "SELECT department, count(*) AS lines,"
        " count(*) FILTER (WHERE committed + paid > amount) AS over,"
        " sum(amount) AS budgeted, sum(committed + paid) AS actual"
        " FROM budgets WHERE branch = %s AND kind <> 'revenue'"
        " AND starts_on >= %s AND ends_on <= %s GROUP BY department ORDER BY department",
        (branch, start, end),
    )
    return [
        BudgetAdherence(r["department"], r["lines"], r["over"], r["budgeted"], r["actual"])
        for r in curs.fetchall()
    ]
