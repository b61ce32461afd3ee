"""The expense aggregate and the claim that keeps a vendor's invoice from being claimed twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from domain.envelope import BackofficeAggregate, Envelope
from domain.expenses.rules import ExpenseStatus


@dataclass(frozen=True)
class Approval:
    """One approval in the current chain: who, at which level, under which matrix version."""

    approver: UUID
    level: str
    matrix_version: int
    over_budget: bool


class Expense(BackofficeAggregate):
    """An expense from submission through its approval chain to payment (or rejection or
    withdrawal). The chain is fixed when it is submitted (and again when it is amended)."""

    def __init__(self) -> None:
        self.branch = ""
        self.submitted_by: UUID | None = None
        self.status = ExpenseStatus.SUBMITTED.value
        self.department = ""
        self.category = ""
        self.amount = Decimal(0)
        self.currency = "CNY"
        self.amount_cny = Decimal(0)
        self.vendor = ""
        self.invoice_number = ""
        self.incurred_on: date | None = None
        self.budget_id: UUID | None = None
        self.description = ""
        self.attachments: list[str] = []
        self.chain: list[str] = []
        self.matrix_version = 0
        self.claim_id: UUID | None = None
        self.approvals: list[Approval] = []
        self.paid_by: UUID | None = None

    @property
    def next_level(self) -> str | None:
        """The level the expense waits for (None when every step is approved)."""
        done = len(self.approvals)
        return self.chain[done] if done < len(self.chain) else None

    @property
    def approvers(self) -> set[UUID]:
        """Who approved in the current chain."""
        return {a.approver for a in self.approvals}

    def _terms(self, e: Expense.Submitted | Expense.Amended) -> None:
        self.department, self.category = e.department, e.category
        self.amount, self.currency, self.amount_cny = e.amount, e.currency, e.amount_cny
        self.vendor, self.invoice_number = e.vendor, e.invoice_number
        self.incurred_on, self.budget_id = e.incurred_on, e.budget_id
        self.description, self.attachments = e.description, list(e.attachments)
        self.chain, self.matrix_version = list(e.chain), e.matrix_version
        self.claim_id = e.claim_id

    class Submitted(BackofficeAggregate.Created):
        """Submitted, with the chain the matrix in force required."""

        envelope: Envelope
        expense_id: UUID
        branch: str
        department: str
        category: str
        amount: Decimal
        currency: str
        amount_cny: Decimal
        vendor: str
        invoice_number: str
        incurred_on: date
        budget_id: UUID
        description: str
        attachments: list[str]
        chain: list[str]
        matrix_version: int
        claim_id: UUID

        def apply(self, x: Expense) -> None:
            x.branch, x.submitted_by = self.branch, self.envelope.actor
            x._terms(self)

    class Amended(BackofficeAggregate.Event):
        """The submitter changed the terms: every approval so far is void, and the chain is
        fixed again from the matrix in force."""

        envelope: Envelope
        department: str
        category: str
        amount: Decimal
        currency: str
        amount_cny: Decimal
        vendor: str
        invoice_number: str
        incurred_on: date
        budget_id: UUID
        description: str
        attachments: list[str]
        chain: list[str]
        matrix_version: int
        claim_id: UUID

        def apply(self, x: Expense) -> None:
            x._terms(self)
            x.approvals = []

    class ApprovalGiven(BackofficeAggregate.Event):
        """One step of the chain was approved."""

        envelope: Envelope
        level: str
        matrix_version: int
        #: The approval took the budget line past its amount (the approver acknowledged it).
        over_budget: bool
        #: What was left on the budget line when it was given (CNY).
        budget_available: Decimal

        def apply(self, x: Expense) -> None:
            x.approvals.append(
                Approval(self.envelope.actor, self.level, self.matrix_version, self.over_budget)
            )

    class Escalated(BackofficeAggregate.Event):
        """An over-budget approval added a step at the next level of authority."""

        envelope: Envelope
        level: str

        def apply(self, x: Expense) -> None:
            x.chain.append(self.level)

    class Approved(BackofficeAggregate.Event):
        """Every step of the chain was approved: the amount is committed on the budget."""

        envelope: Envelope

        def apply(self, x: Expense) -> None:
            x.status = ExpenseStatus.APPROVED.value

    class Rejected(BackofficeAggregate.Event):
        """An approver refused it (the reason is in the envelope)."""

        envelope: Envelope
        level: str

        def apply(self, x: Expense) -> None:
            x.status = ExpenseStatus.REJECTED.value

    class Withdrawn(BackofficeAggregate.Event):
        """The submitter withdrew it before final approval."""

        envelope: Envelope

        def apply(self, x: Expense) -> None:
            x.status = ExpenseStatus.WITHDRAWN.value

    class Paid(BackofficeAggregate.Event):
        """Finance paid it."""

        envelope: Envelope
        payment_reference: str
        paid_at: datetime

        def apply(self, x: Expense) -> None:
            x.status = ExpenseStatus.PAID.value
            x.paid_by = self.envelope.actor

    @staticmethod
    def create_id(expense_id: UUID, **_: object) -> UUID:
        """Chosen by the caller (safe retries)."""
        return expense_id


class InvoiceClaim(BackofficeAggregate):
    """Makes a vendor's invoice number claimable by one live expense: its id is derived from
    vendor, number and generation, so a second claim of the same generation collides on the
    event store's primary key in the same transaction as the submission. A rejected or
    withdrawn expense releases it; the next claim then takes the next generation."""

    def __init__(self) -> None:
        self.expense_id: UUID | None = None
        self.active = True

    class Claimed(BackofficeAggregate.Created):
        """The invoice was claimed by an expense."""

        envelope: Envelope
        claim_id: UUID
        vendor: str
        invoice_number: str
        generation: int
        expense_id: UUID

        def apply(self, c: InvoiceClaim) -> None:
            c.expense_id = self.expense_id

    class Released(BackofficeAggregate.Event):
        """The expense holding the claim was rejected, withdrawn, or amended to another
        invoice."""

        envelope: Envelope

        def apply(self, c: InvoiceClaim) -> None:
            c.active = False

    @staticmethod
    def create_id(claim_id: UUID, **_: object) -> UUID:
        """Derived from vendor, invoice number and generation (``rules.invoice_claim_id``)."""
        return claim_id
