"""The commands on budget lines (set, revise, close) and on the authority matrix."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from domain.access import Permission
from domain.commands import Command, Decision, command
from domain.errors import Code, ValidationError
from domain.expenses.budget import MATRIX_ID, AuthorityMatrix, Budget
from domain.expenses.commands import BudgetId, Category, Department, PositiveMoney
from domain.expenses.rules import BudgetKind, BudgetStatus, MatrixTerms, budget_id
from domain.fields import Amount, Int, Text, describe
from domain.periods import normal_period, period_bounds
from domain.values import BranchCode

BudgetAmount = Annotated[
    Decimal,
    Amount(Decimal(0), Decimal("1000000000000"), 2, "The amount budgeted (CNY, 2 places)."),
]
Period = Annotated[
    str,
    Text(
        7,
        "A period: 2026, 2026-H1, 2026-Q3 or 2026-11 (business dates).",
        min_length=4,
        pattern=r"\d{4}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?",
        shape="a year, half-year, quarter or month: 2026, 2026-H1, 2026-Q3 or 2026-11",
        upper=True,
    ),
]
TopApprovers = Annotated[
    int,
    Int(
        1,
        5,
        "How many different head-office finance approvers an expense above the branch "
        "manager's limit needs (after the branch manager).",
    ),
]


@command("set_budget", Permission.MANAGE_BUDGETS)
class SetBudget(Command):
    """Set a budget line of a branch for a department, category, kind and period (one line
    per combination: revise it to change its amount)."""

    branch: BranchCode | None = describe("Default: your branch.", default=None)
    department: Department
    category: Category
    kind: BudgetKind
    period: Period
    amount: BudgetAmount

    def decide(self, d: Decision[Budget]) -> Budget:
        branch = d.scope(self.branch or d.actor.branch)
        period = normal_period(self.period)
        starts_on, ends_on = period_bounds(period)
        line = budget_id(branch, self.department, self.category, self.kind.value, period)
        if d.repository.exists(line):
            raise ValidationError(
                f"{branch} already has this {self.kind} line for {period}: revise it",
                "period",
                Code.DUPLICATE,
            )
        return d.new(
            Budget,
            Budget.Set,
            budget_id=line,
            branch=branch,
            department=self.department,
            category=self.category,
            kind=self.kind.value,
            period=period,
            starts_on=starts_on,
            ends_on=ends_on,
            amount=self.amount,
        )


def _open(d: Decision[Budget]) -> Budget:
    if d.target.status != BudgetStatus.OPEN:
        raise ValidationError("the budget line is closed", "budgetId", Code.INVALID_STATE)
    return d.target


@command("revise_budget", Permission.MANAGE_BUDGETS, about=Budget, reason=True)
class ReviseBudget(Command):
    """Revise the amount of an open budget line (`reason` is required; every revision is
    kept). Nothing is recorded when the amount is the same."""

    budget_id: BudgetId
    amount: BudgetAmount

    def decide(self, d: Decision[Budget]) -> None:
        budget = _open(d)
        if self.amount != budget.amount:
            d.record(Budget.Revised, previous_amount=budget.amount, amount=self.amount)


@command("close_budget", Permission.MANAGE_BUDGETS, about=Budget)
class CloseBudget(Command):
    """Close a budget line: it takes no new expenses or approvals; approved expenses on it
    are still paid."""

    budget_id: BudgetId

    def decide(self, d: Decision[Budget]) -> None:
        _open(d)
        d.record(Budget.Closed)


@command("set_authority_matrix", Permission.SET_AUTHORITY_MATRIX, reason=True)
class SetAuthorityMatrix(Command):
    """Record a new version of the authority matrix (head office; `reason` is required).
    Expenses already submitted keep the chain they were submitted with."""

    department_head_limit: PositiveMoney = describe(
        "Up to this amount (CNY) a department head alone approves."
    )
    branch_manager_limit: PositiveMoney = describe(
        "Up to this amount (CNY) a branch manager alone approves; above it the branch "
        "manager and then head-office finance."
    )
    top_approvers: TopApprovers = 2

    def decide(self, d: Decision[AuthorityMatrix]) -> AuthorityMatrix:
        if self.department_head_limit >= self.branch_manager_limit:
            raise ValidationError(
                "the branch manager's limit must be above the department head's",
                "branchManagerLimit",
                Code.RULE,
            )
        terms = MatrixTerms(
            self.department_head_limit, self.branch_manager_limit, self.top_approvers
        )
        fields = {
            "department_head_limit": terms.department_head_limit,
            "branch_manager_limit": terms.branch_manager_limit,
            "top_approvers": terms.top_approvers,
        }
        matrix = d.find(AuthorityMatrix, MATRIX_ID)
        if matrix is None:
            return d.new(AuthorityMatrix, AuthorityMatrix.Adopted, matrix_id=MATRIX_ID, **fields)
        if terms != matrix.terms:
            d.record_on(matrix, AuthorityMatrix.Changed, **fields)
        return matrix
