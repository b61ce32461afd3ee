"""The expense list, each expense's chain with who approved under which matrix version, and
every approver's inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.expenses import ApprovalLevel, Currency, Expense, ExpenseStatus
from projections.base import Evolver, ReadModel, col, on, replace
from projections.paging import Key, Page
from projections.rows import RowTable


@dataclass(frozen=True)
class ApprovalEntry:
    """One approval of the current chain."""

    approver: UUID = col("Who approved.")
    level: str = col("The step they approved.", enum=ApprovalLevel)
    matrix_version: int = col("The authority matrix version in force when they approved.")
    over_budget: bool = col("It took the budget line past its amount (acknowledged).")
    budget_available: Decimal = col("What was left on the budget line then (CNY).")
    approved_at: datetime = col("When.")


@dataclass(frozen=True)
class ChainStep:
    """One step of the chain an expense needs, and its approval once given."""

    level: str = col("Who must approve this step.", enum=ApprovalLevel)
    approver: UUID | None = col("Who approved it (null: waiting).")
    approved_at: datetime | None = col("When.")
    matrix_version: int | None = col("The matrix version the approval was made under.")
    over_budget: bool = col("The approval took the budget line past its amount.")


@dataclass(frozen=True)
class ExpenseRow:
    """One row of ``expenses``: an expense and where it is in its chain."""

    id: UUID = col("The expense's id.")
    branch: str = col("The submitter's branch.")
    department: str = col("The department it is charged to.")
    category: str = col("Its category.")
    amount: Decimal = col("The invoice's amount in its currency.")
    currency: str = col("The invoice's currency.", enum=Currency)
    amount_cny: Decimal = col("The amount in CNY (what budgets and the matrix count).")
    vendor: str = col("The vendor.")
    invoice_number: str = col("The vendor's invoice number.")
    incurred_on: date = col("When it was incurred.")
    budget_id: UUID = col("The budget line it is charged to.")
    description: str = col("What it was for.")
    status: str = col("Where it is in its life.", enum=ExpenseStatus)
    submitted_by: UUID = col("Who submitted it.")
    submitted_at: datetime = col("When it was submitted.")
    chain: list[str] = col("The steps it needs, in order (one per approver).", enum=ApprovalLevel)
    chain_matrix_version: int = col("The authority matrix version the chain was fixed under.")
    version: int = col("The record's version: pass it as expectedVersion.")
    position: int = col("Notification id of the record's last event.")
    attachments: list[str] = col("The SHA-256 of each attachment.", default_factory=list)
    approvals: list[ApprovalEntry] = col("Approvals of the current chain.", default_factory=list)
    approvers: list[UUID] = col("Who approved in the current chain.", default_factory=list)
    next_level: str | None = col(
        "The step it waits for (null unless submitted).", enum=ApprovalLevel, default=None
    )
    over_budget: bool = col("An approval took its budget line past the amount.", default=False)
    amendments: int = col("How often it was amended (each voided the approvals).", default=0)
    approved_at: datetime | None = col("When the last step was approved.", default=None)
    rejected_by: UUID | None = col("Who rejected it.", default=None)
    rejected_at: datetime | None = col("When it was rejected.", default=None)
    rejection_reason: str | None = col("Why it was rejected.", default=None)
    withdrawn_at: datetime | None = col("When the submitter withdrew it.", default=None)
    paid_by: UUID | None = col("Who paid it.", default=None)
    paid_at: datetime | None = col("When it was paid.", default=None)
    payment_reference: str | None = col("The payment's reference.", default=None)

    @property
    def steps(self) -> list[ChainStep]:
        """The chain step by step, each with its approval (who, when, under which version)."""
        out = []
        for i, level in enumerate(self.chain):
            a = self.approvals[i] if i < len(self.approvals) else None
            out.append(
                ChainStep(
                    level=level,
                    approver=a.approver if a else None,
                    approved_at=a.approved_at if a else None,
                    matrix_version=a.matrix_version if a else None,
                    over_budget=bool(a and a.over_budget),
                )
            )
        return out


def _waiting(chain: list[str], approvals: list[Any]) -> str | None:
    return chain[len(approvals)] if len(approvals) < len(chain) else None


evolve: Evolver[ExpenseRow] = Evolver()


def _terms(e: Expense.Submitted | Expense.Amended) -> dict[str, Any]:
    return {
        "department": e.department,
        "category": e.category,
        "amount": e.amount,
        "currency": e.currency,
        "amount_cny": e.amount_cny,
        "vendor": e.vendor,
        "invoice_number": e.invoice_number,
        "incurred_on": e.incurred_on,
        "budget_id": e.budget_id,
        "description": e.description,
        "attachments": list(e.attachments),
        "chain": list(e.chain),
        "chain_matrix_version": e.matrix_version,
    }


@evolve.creates(Expense.Submitted)
def _submitted(e: Expense.Submitted, position: int) -> ExpenseRow:
    return ExpenseRow(
        id=e.originator_id,
        branch=e.branch,
        status=ExpenseStatus.SUBMITTED.value,
        submitted_by=e.envelope.actor,
        submitted_at=e.envelope.occurred_at,
        next_level=e.chain[0],
        version=e.originator_version,
        position=position,
        **_terms(e),
    )


@evolve.on(Expense.Amended)
def _amended(row: ExpenseRow, e: Expense.Amended, _: int) -> ExpenseRow:
    return replace(
        row,
        approvals=[],
        approvers=[],
        next_level=e.chain[0],
        over_budget=False,
        amendments=row.amendments + 1,
        **_terms(e),
    )


@evolve.on(Expense.ApprovalGiven)
def _approval(row: ExpenseRow, e: Expense.ApprovalGiven, _: int) -> ExpenseRow:
    entry = ApprovalEntry(
        approver=e.envelope.actor,
        level=e.level,
        matrix_version=e.matrix_version,
        over_budget=e.over_budget,
        budget_available=e.budget_available,
        approved_at=e.envelope.occurred_at,
    )
    approvals = [*row.approvals, entry]
    return replace(
        row,
        approvals=approvals,
        approvers=[*row.approvers, e.envelope.actor],
        next_level=_waiting(row.chain, approvals),
        over_budget=row.over_budget or e.over_budget,
    )


@evolve.on(Expense.Escalated)
def _escalated(row: ExpenseRow, e: Expense.Escalated, _: int) -> ExpenseRow:
    chain = [*row.chain, e.level]
    return replace(row, chain=chain, next_level=_waiting(chain, row.approvals))


@evolve.on(Expense.Approved)
def _approved(row: ExpenseRow, e: Expense.Approved, _: int) -> ExpenseRow:
    return replace(
        row,
        status=ExpenseStatus.APPROVED.value,
        approved_at=e.envelope.occurred_at,
        next_level=None,
    )


@evolve.on(Expense.Rejected)
def _rejected(row: ExpenseRow, e: Expense.Rejected, _: int) -> ExpenseRow:
    return replace(
        row,
        status=ExpenseStatus.REJECTED.value,
        rejected_by=e.envelope.actor,
        rejected_at=e.envelope.occurred_at,
        rejection_reason=e.envelope.reason,
        next_level=None,
    )


@evolve.on(Expense.Withdrawn)
def _withdrawn(row: ExpenseRow, e: Expense.Withdrawn, _: int) -> ExpenseRow:
    return replace(
        row,
        status=ExpenseStatus.WITHDRAWN.value,
        withdrawn_at=e.envelope.occurred_at,
        next_level=None,
    )


@evolve.on(Expense.Paid)
def _paid(row: ExpenseRow, e: Expense.Paid, _: int) -> ExpenseRow:
    return replace(
        row,
        status=ExpenseStatus.PAID.value,
        paid_by=e.envelope.actor,
        paid_at=e.paid_at,
        payment_reference=e.payment_reference,
    )


TABLE = RowTable("expenses", ExpenseRow, {"approvals": ApprovalEntry})
get = TABLE.get


class ExpenseModel(ReadModel):
    """Rows in ``expenses``."""

    name = "expenses"
    tables = ("expenses",)

    @on(*evolve.events)
    def row(self, curs: Cursor[DictRow], event: Any, position: int) -> None:
        """The expense's row."""
        TABLE.evolve(curs, evolve, event, position)


# -- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpenseFilter:
    """Filters of the expense list; a filter left out matches every expense."""

    branch: str | None = col(
        "Only this branch (default: yours, or all for head office).", default=None
    )
    status: str | None = col("Only expenses in this status.", enum=ExpenseStatus, default=None)
    department: str | None = col("Only this department.", default=None)
    category: str | None = col("Only this category.", default=None)
    budget_id: UUID | None = col("Only those charged to this budget line.", default=None)
    submitted_by: UUID | None = col("Only those this staff member submitted.", default=None)
    over_budget: bool | None = col("Only flagged (true) or unflagged (false) ones.", default=None)
    incurred_from: date | None = col("Incurred on or after this date.", default=None)
    incurred_to: date | None = col("Incurred on or before this date.", default=None)


def _where(flt: ExpenseFilter) -> list[tuple[str, Any]]:
    return [
        ("branch = %s", flt.branch),
        ("status = %s", flt.status),
        ("department = %s", flt.department),
        ("category = %s", flt.category),
        ("budget_id = %s", flt.budget_id),
        ("submitted_by = %s", flt.submitted_by),
        ("over_budget = %s", flt.over_budget),
        ("incurred_on >= %s", flt.incurred_from),
        ("incurred_on <= %s", flt.incurred_to),
    ]


def page(
    curs: Cursor[DictRow], flt: ExpenseFilter, first: int, after: str | None
) -> Page[ExpenseRow]:
    """Expenses by submission time, ``first`` at a time after the cursor ``after``."""
    order = [Key("submitted_at", datetime.fromisoformat), Key("id", UUID)]
    return TABLE.page(curs, _where(flt), order, first, after)


def count(curs: Cursor[DictRow], flt: ExpenseFilter) -> int:
    """How many expenses match ``flt``."""
    return TABLE.count(curs, _where(flt))


def inbox(
    curs: Cursor[DictRow],
    approver: UUID,
    branch: str,
    levels: list[str],
    limit: int = 200,
) -> list[ExpenseRow]:
    """What waits for ``approver``: submitted expenses whose next step is one of ``levels``
    (department head and branch manager steps of their own branch; head-office finance steps
    of any branch), that they neither submitted nor approved already; oldest first."""
    local = [lv for lv in levels if lv != ApprovalLevel.HEAD_OFFICE_FINANCE]
    top = ApprovalLevel.HEAD_OFFICE_FINANCE in levels
    curs.execute(
        TABLE.select + " WHERE status = 'submitted' AND submitted_by <> %(me)s"
        " AND NOT (%(me)s = ANY(approvers))"
        " AND ((next_level = ANY(%(local)s) AND branch = %(branch)s)"
        "      OR (%(top)s AND next_level = 'head_office_finance'))"
        " ORDER BY submitted_at, id LIMIT %(limit)s",
        {"me": approver, "local": local, "branch": branch, "top": top, "limit": limit},
    )
    return [TABLE.decode(r) for r in curs.fetchall()]
