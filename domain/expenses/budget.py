"""Budget lines and the authority matrix, as events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.envelope import BackofficeAggregate, Envelope
from domain.expenses.rules import DEFAULT_TERMS, BudgetStatus, MatrixTerms

MATRIX_ID = uuid5(NAMESPACE_URL, "backoffice:authority-matrix")


class Budget(BackofficeAggregate):
    """One budget line: a branch's plan for a department, category, kind and period (CNY).

    It also keeps what expenses charged to it have committed (approved, unpaid) and paid, in
    events saved with the approval and the payment: the over-budget check reads them here, in
    the event store, and two approvals on one line cannot both pass on a stale figure (the
    second save conflicts on the line's version)."""

    def __init__(self) -> None:
        self.branch = ""
        self.department = ""
        self.category = ""
        self.kind = ""
        self.period = ""
        self.starts_on: date | None = None
        self.ends_on: date | None = None
        self.amount = Decimal(0)
        self.status = BudgetStatus.OPEN.value
        self.committed = Decimal(0)
        self.paid = Decimal(0)

    @property
    def available(self) -> Decimal:
        """What is left: the amount less what is committed and paid."""
        return self.amount - self.committed - self.paid

    class Set(BackofficeAggregate.Created):
        """The line was set."""

        envelope: Envelope
        budget_id: UUID
        branch: str
        department: str
        category: str
        kind: str
        period: str
        starts_on: date
        ends_on: date
        amount: Decimal

        def apply(self, b: Budget) -> None:
            b.branch, b.department, b.category = self.branch, self.department, self.category
            b.kind, b.period, b.amount = self.kind, self.period, self.amount
            b.starts_on, b.ends_on = self.starts_on, self.ends_on

    class Revised(BackofficeAggregate.Event):
        """The amount was revised (the reason is in the envelope)."""

        envelope: Envelope
        previous_amount: Decimal
        amount: Decimal

        def apply(self, b: Budget) -> None:
            b.amount = self.amount

    class Closed(BackofficeAggregate.Event):
        """The line takes no new expenses or approvals (approved ones are still paid)."""

        envelope: Envelope

        def apply(self, b: Budget) -> None:
            b.status = BudgetStatus.CLOSED.value

    class Committed(BackofficeAggregate.Event):
        """An expense charged to the line was finally approved."""

        envelope: Envelope
        expense_id: UUID
        amount: Decimal

        def apply(self, b: Budget) -> None:
            b.committed += self.amount

    class Paid(BackofficeAggregate.Event):
        """A committed expense was paid."""

        envelope: Envelope
        expense_id: UUID
        amount: Decimal

        def apply(self, b: Budget) -> None:
            b.committed -= self.amount
            b.paid += self.amount

    @staticmethod
    def create_id(budget_id: UUID, **_: object) -> UUID:
        """Derived from the line's natural key (``rules.budget_id``)."""
        return budget_id


class AuthorityMatrix(BackofficeAggregate):
    """Who approves which expenses: changed only by head office, each change a new version
    (the aggregate's version). Before the first, ``DEFAULT_TERMS`` apply as version 0."""

    def __init__(self) -> None:
        self.terms = DEFAULT_TERMS

    class Adopted(BackofficeAggregate.Created):
        """The first recorded matrix."""

        envelope: Envelope
        matrix_id: UUID
        department_head_limit: Decimal
        branch_manager_limit: Decimal
        top_approvers: int

        def apply(self, m: AuthorityMatrix) -> None:
            m.terms = MatrixTerms(
                self.department_head_limit, self.branch_manager_limit, self.top_approvers
            )

    class Changed(BackofficeAggregate.Event):
        """A new version of the matrix (expenses submitted before keep their chain)."""

        envelope: Envelope
        department_head_limit: Decimal
        branch_manager_limit: Decimal
        top_approvers: int

        def apply(self, m: AuthorityMatrix) -> None:
            m.terms = MatrixTerms(
                self.department_head_limit, self.branch_manager_limit, self.top_approvers
            )

    @staticmethod
    def create_id(matrix_id: UUID, **_: object) -> UUID:
        """A singleton."""
        return matrix_id
