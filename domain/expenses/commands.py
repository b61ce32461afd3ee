"""The commands of an expense's life: submit, amend, approve along the chain, reject,
withdraw, pay. Budget lines and the authority matrix have theirs in ``budget_commands``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from domain.access import Permission
from domain.commands import Command, Decision, command
from domain.errors import Code, NotAllowed, ValidationError
from domain.expenses.aggregate import Expense, InvoiceClaim
from domain.expenses.budget import MATRIX_ID, AuthorityMatrix, Budget
from domain.expenses.rules import (
    DEFAULT_TERMS,
    BudgetKind,
    BudgetStatus,
    Currency,
    ExpenseStatus,
    MatrixTerms,
    escalation,
    invoice_claim_id,
    invoice_key,
    qualifies,
    vendor_key,
)
from domain.fields import Amount, Ref, Text, describe, new_id
from domain.values import At, Note, OnDay

PositiveMoney = Annotated[
    Decimal,
    Amount(Decimal("0.01"), Decimal("1000000000000"), 2, "An amount above zero (2 places)."),
]
Department = Annotated[
    str, Text(60, "A department of the branch, e.g. Operations (as its budget lines name it).")
]
Category = Annotated[str, Text(60, "A category of expense or budget, e.g. travel.")]
Vendor = Annotated[str, Text(200, "The vendor, as on the invoice.")]
InvoiceNumber = Annotated[
    str,
    Text(
        64,
        "The vendor's invoice (fapiao) number.",
        remove=r"\s",
        upper=True,
        pattern=r"[A-Z0-9][A-Z0-9/._-]{0,63}",
        shape="letters, digits, '/', '.', '_' or '-'",
    ),
]
Sha256 = Annotated[
    str,
    Text(
        64,
        "The SHA-256 (hex) of an attachment; the file itself is kept outside the system.",
        min_length=64,
        pattern=r"[0-9a-f]{64}",
        shape="64 lower-case hex digits",
    ),
]
PaymentReference = Annotated[str, Text(100, "The bank's or cashier's reference of the payment.")]
ExpenseId = Annotated[UUID, Ref("The id of an expense.")]
BudgetId = Annotated[UUID, Ref("The id of a budget line.")]


def matrix_in_force(d: Decision[Any]) -> tuple[MatrixTerms, int]:
    """The authority matrix now and its version (0: the defaults, none recorded yet)."""
    matrix = d.find(AuthorityMatrix, MATRIX_ID)
    return (DEFAULT_TERMS, 0) if matrix is None else (matrix.terms, matrix.version)


def _take_claim(d: Decision[Any], vendor: str, invoice: str, expense_id: UUID) -> UUID:
    """Claim the invoice for ``expense_id`` (saved with the command): the first generation
    not yet claimed, unless a live claim holds it — then it is a duplicate."""
    generation = 0
    while (
        claim := d.find(InvoiceClaim, invoice_claim_id(vendor, invoice, generation))
    ) is not None:
        if claim.active:
            raise ValidationError(
                f"invoice {invoice} of {vendor} is already claimed by expense {claim.expense_id}",
                "invoiceNumber",
                Code.DUPLICATE,
            )
        generation += 1
    claim_id = invoice_claim_id(vendor, invoice, generation)
    d.claim(
        d.new(
            InvoiceClaim,
            InvoiceClaim.Claimed,
            claim_id=claim_id,
            vendor=vendor,
            invoice_number=invoice,
            generation=generation,
            expense_id=expense_id,
        ),
        f"invoice {invoice} of {vendor} is already claimed",
        "invoiceNumber",
    )
    return claim_id


def _release_claim(d: Decision[Expense]) -> None:
    """A rejected or withdrawn expense frees its invoice for a new submission."""
    if d.target.claim_id is None:
        return
    claim = d.find(InvoiceClaim, d.target.claim_id)
    if claim is not None and claim.active:
        d.record_on(claim, InvoiceClaim.Released)
        d.also.append(claim)


@dataclass(frozen=True, kw_only=True)
class ExpenseTerms(Command):
    """What is submitted, and what an amendment replaces."""

    department: Department
    category: Category
    amount: PositiveMoney = describe("The invoice's amount in its currency.")
    currency: Currency = describe("The invoice's currency.", default=Currency.CNY)
    amount_cny: PositiveMoney | None = describe(
        "The amount in CNY at the booking rate: required for another currency (budgets and "
        "the authority matrix are in CNY).",
        default=None,
    )
    vendor: Vendor
    invoice_number: InvoiceNumber
    incurred_on: OnDay = describe("When it was incurred: within the budget line's period.")
    budget_id: BudgetId = describe("The budget line it is charged to (cost or expense).")
    description: Note = describe("What it was for.")
    attachments: list[Sha256] = describe("The SHA-256 of each attachment (at least one).")

    def terms(self, d: Decision[Any], branch: str) -> dict[str, Any]:
        """The event fields of these terms, checked, with the chain the matrix in force needs."""
        cny = self._amount_cny()
        budget = d.find(Budget, self.budget_id)
        if budget is None or budget.branch != branch:
            raise ValidationError(
                f"no budget line {self.budget_id} in {branch}", "budgetId", Code.UNKNOWN_REFERENCE
            )
        if budget.status != BudgetStatus.OPEN:
            raise ValidationError("the budget line is closed", "budgetId", Code.INVALID_STATE)
        if budget.kind == BudgetKind.REVENUE:
            raise ValidationError("a revenue line takes no expenses", "budgetId", Code.RULE)
        for name, mine, its in (
            ("department", self.department, budget.department),
            ("category", self.category, budget.category),
        ):
            if mine != its:
                raise ValidationError(f"the budget line is for {name} {its!r}", name, Code.RULE)
        day = d.policy.times.check_day(self.incurred_on, d.now, "incurredOn")
        assert budget.starts_on is not None and budget.ends_on is not None
        if not budget.starts_on <= day < budget.ends_on:
            raise ValidationError(
                f"{day} is outside the budget line's period {budget.period}",
                "incurredOn",
                Code.OUT_OF_RANGE,
            )
        if not self.attachments:
            raise ValidationError("at least one attachment", "attachments", Code.REQUIRED)
        matrix, version = matrix_in_force(d)
        return {
            "department": self.department,
            "category": self.category,
            "amount": self.amount,
            "currency": self.currency.value,
            "amount_cny": cny,
            "vendor": self.vendor,
            "invoice_number": self.invoice_number,
            "incurred_on": day,
            "budget_id": self.budget_id,
            "description": self.description,
            "attachments": sorted(set(self.attachments)),
            "chain": matrix.chain(cny),
            "matrix_version": version,
        }

    def _amount_cny(self) -> Decimal:
        if self.currency == Currency.CNY:
            if self.amount_cny is not None and self.amount_cny != self.amount:
                raise ValidationError(
                    "a CNY amount is its own CNY amount", "amountCny", Code.INVALID_FORMAT
                )
            return self.amount
        if self.amount_cny is None:
            raise ValidationError(
                f"an amount in {self.currency} needs its CNY amount", "amountCny", Code.REQUIRED
            )
        return self.amount_cny


@command("submit_expense", Permission.SUBMIT_EXPENSES)
class SubmitExpense(ExpenseTerms):
    """Submit an expense of your branch: its approval chain is fixed now from the authority
    matrix in force. The same vendor and invoice number cannot be claimed twice (unless the
    earlier expense was rejected or withdrawn)."""

    expense_id: ExpenseId = new_id("Chosen by the caller for safe retries; generated if absent.")

    def decide(self, d: Decision[Expense]) -> Expense:
        d.require_new(self.expense_id, "id")
        branch = d.actor.branch
        fields = self.terms(d, branch)
        claim_id = _take_claim(d, self.vendor, self.invoice_number, self.expense_id)
        return d.new(
            Expense,
            Expense.Submitted,
            expense_id=self.expense_id,
            branch=branch,
            claim_id=claim_id,
            **fields,
        )


def _submitted(d: Decision[Expense], field: str = "expenseId") -> Expense:
    expense = d.target
    if expense.status != ExpenseStatus.SUBMITTED:
        raise ValidationError(f"the expense is {expense.status}", field, Code.INVALID_STATE)
    return expense


@command("amend_expense", Permission.SUBMIT_EXPENSES, about=Expense)
class AmendExpense(ExpenseTerms):
    """Replace the terms of your expense before its final approval: every approval so far is
    void, and the chain is fixed again from the matrix in force."""

    expense_id: ExpenseId

    def decide(self, d: Decision[Expense]) -> None:
        expense = _submitted(d)
        if d.envelope.actor != expense.submitted_by:
            raise NotAllowed("only the submitter amends an expense")
        fields = self.terms(d, expense.branch)
        same_invoice = (vendor_key(self.vendor), invoice_key(self.invoice_number)) == (
            vendor_key(expense.vendor),
            invoice_key(expense.invoice_number),
        )
        current = {name: getattr(expense, name) for name in fields}
        if same_invoice and current == fields:
            return  # nothing changes: nothing to void
        claim_id = expense.claim_id
        if not same_invoice:
            _release_claim(d)
            claim_id = _take_claim(d, self.vendor, self.invoice_number, expense.id)
        d.record(Expense.Amended, claim_id=claim_id, **fields)


def _approver(d: Decision[Expense], expense: Expense) -> str:
    """The level the actor decides at: never their own expense, never twice in one chain."""
    me = d.envelope.actor
    if me == expense.submitted_by:
        raise ValidationError(
            "nobody approves or rejects their own expense", "expenseId", Code.SAME_PERSON
        )
    if me in expense.approvers:
        raise ValidationError("nobody approves twice in one chain", "expenseId", Code.SAME_PERSON)
    level = expense.next_level
    assert level is not None  # a submitted expense always waits for a step
    if not qualifies(level, d.actor.roles, d.actor.branch, expense.branch):
        raise NotAllowed(f"this expense waits for approval by {level}")
    return level


@command("approve_expense", Permission.APPROVE_EXPENSES, about=Expense)
class ApproveExpense(Command):
    """Approve the step the expense waits for (the authority matrix says who). An approval
    that takes the budget line past its amount is refused unless acknowledgeOverBudget: it
    is then flagged and needs the next level of authority too. The last step commits the
    amount on the budget line."""

    expense_id: ExpenseId
    acknowledge_over_budget: bool = describe(
        "Approve although it takes the budget line past its amount: the approval is flagged "
        "and the next level must approve too.",
        default=False,
    )

    def decide(self, d: Decision[Expense]) -> None:
        expense = _submitted(d)
        level = _approver(d, expense)
        assert expense.budget_id is not None
        budget = d.get(Budget, expense.budget_id, "expenseId")
        if budget.status != BudgetStatus.OPEN:
            raise ValidationError(
                "the budget line is closed: amend the expense to another line or withdraw it",
                "expenseId",
                Code.INVALID_STATE,
            )
        available = budget.available
        over = expense.amount_cny > available
        if over and not self.acknowledge_over_budget:
            raise ValidationError(
                f"approving {expense.amount_cny} CNY takes budget line {budget.id} past its "
                f"amount ({available} CNY left): approve with acknowledgeOverBudget to flag it "
                "for the next level",
                "acknowledgeOverBudget",
                Code.LIMIT_EXCEEDED,
            )
        _, version = matrix_in_force(d)
        step = len(expense.approvals)
        d.record(
            Expense.ApprovalGiven,
            level=level,
            matrix_version=version,
            over_budget=over,
            budget_available=available,
        )
        up = escalation(expense.chain, step) if over else None
        if up is not None:
            d.record(Expense.Escalated, level=up.value)
        if expense.next_level is None:
            d.record(Expense.Approved)
            d.record_on(budget, Budget.Committed, expense_id=expense.id, amount=expense.amount_cny)
            d.also.append(budget)


@command("reject_expense", Permission.APPROVE_EXPENSES, about=Expense, reason=True)
class RejectExpense(Command):
    """Reject the expense at the step it waits for (`reason` is required); its invoice may be
    submitted again."""

    expense_id: ExpenseId

    def decide(self, d: Decision[Expense]) -> None:
        expense = _submitted(d)
        level = _approver(d, expense)
        d.record(Expense.Rejected, level=level)
        _release_claim(d)


@command("withdraw_expense", Permission.SUBMIT_EXPENSES, about=Expense)
class WithdrawExpense(Command):
    """Withdraw your expense before its final approval; its invoice may be submitted again."""

    expense_id: ExpenseId

    def decide(self, d: Decision[Expense]) -> None:
        expense = _submitted(d)
        if d.envelope.actor != expense.submitted_by:
            raise NotAllowed("only the submitter withdraws an expense")
        d.record(Expense.Withdrawn)
        _release_claim(d)


@command("pay_expense", Permission.PAY_EXPENSES, about=Expense)
class PayExpense(Command):
    """Record the payment of an approved expense (finance; never the submitter nor one of
    its approvers)."""

    expense_id: ExpenseId
    payment_reference: PaymentReference
    paid_at: At | None = describe(
        "When it was paid; default: now. Back-dating is allowed within the same business day only.",
        default=None,
    )

    def decide(self, d: Decision[Expense]) -> None:
        expense = d.target
        if expense.status != ExpenseStatus.APPROVED:
            raise ValidationError(
                f"the expense is {expense.status}, not approved", "expenseId", Code.INVALID_STATE
            )
        me = d.envelope.actor
        if me == expense.submitted_by:
            raise ValidationError("nobody pays their own expense", "expenseId", Code.SAME_PERSON)
        if me in expense.approvers:
            raise ValidationError(
                "nobody pays an expense they approved", "expenseId", Code.SAME_PERSON
            )
        at = d.policy.times.check(self.paid_at or d.now, d.now, "paidAt")
        d.record(Expense.Paid, payment_reference=self.payment_reference, paid_at=at)
        assert expense.budget_id is not None
        budget = d.get(Budget, expense.budget_id, "expenseId")
        d.record_on(budget, Budget.Paid, expense_id=expense.id, amount=expense.amount_cny)
        d.also.append(budget)
