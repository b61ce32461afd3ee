"""Expenses and budgets: ``expense``, ``expenses``, ``approvalInbox``, ``budgets``,
``budgetVsActual``, ``budgetDeviations``, ``authorityMatrix``, and one mutation per command."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.commands import mutation
from api.graphql.common import (
    After,
    BranchArg,
    First,
    MinPosition,
    PageInfo,
    RecordRef,
    may_see,
    query_error,
    read,
    visible_branch,
)
from api.graphql.context import Context
from api.graphql.derive import build, input_type, object_type, to_filter
from api.graphql.traversal import Counted
from domain import errors
from domain import expenses as x
from domain.access import Permission, granting_role
from projections import budgets as budget_model
from projections import expenses as model
from projections import matrix as matrix_model

EXPENSES = [model.ExpenseModel.name]
BUDGETS = [budget_model.BudgetModel.name]

Expense = object_type(model.ExpenseRow, "Expense")
ExpenseFilter = input_type(model.ExpenseFilter, "ExpenseFilter")
Budget = object_type(budget_model.BudgetRow, "Budget")
BudgetFilter = input_type(budget_model.BudgetFilter, "BudgetFilter")
BudgetVsActual = object_type(budget_model.BudgetVsActual)
AuthorityMatrix = object_type(matrix_model.AuthorityMatrixRow, "AuthorityMatrix")
Period = Annotated[
    str, strawberry.argument(description="2026, 2026-H1, 2026-Q3 or 2026-11 (business dates).")
]


@strawberry.type(description="A page of expenses.")
class ExpenseConnection(Counted):
    nodes: list[Expense] = strawberry.field(description="The expenses on this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


def _scope(ctx: Context, branch: str | None) -> str | None:
    try:
        return visible_branch(ctx, Permission.VIEW_EXPENSES, branch)
    except errors.DomainError as exc:
        raise query_error(exc) from None


def _sees_all_of_branch(ctx: Context) -> bool:
    return granting_role(ctx.principal.roles, Permission.VIEW_EXPENSES) is not None


@strawberry.type
class ExpenseQuery:
    @strawberry.field(
        description="One expense with its chain (who approved under which matrix version), "
        "if visible to you (else null): to its submitter, and to the roles that read expenses."
    )
    async def expense(
        self, info: Info[Context, None], id: RecordRef, min_position: MinPosition = None
    ) -> Expense | None:
        ctx = info.context
        row = await read(
            ctx, lambda c: model.get(c, id), models=EXPENSES, min_position=min_position
        )
        if row is None:
            return None
        if row.submitted_by != ctx.principal.staff_id and not may_see(
            ctx, Permission.VIEW_EXPENSES, row.branch
        ):
            return None
        return build(Expense, row)

    @strawberry.field(
        description="Expenses by submission time; keyset pages. Roles that do not read "
        "expenses see the ones they submitted."
    )
    async def expenses(
        self,
        info: Info[Context, None],
        filter: Annotated[
            ExpenseFilter | None,
            strawberry.argument(description="Which ones (a filter left out matches all)."),
        ] = None,
        first: First = 50,
        after: After = None,
        min_position: MinPosition = None,
    ) -> ExpenseConnection:
        ctx = info.context
        if _sees_all_of_branch(ctx):
            flt = to_filter(
                filter,
                model.ExpenseFilter,
                branch=_scope(ctx, getattr(filter, "branch", None)),
            )
        else:
            flt = to_filter(
                filter,
                model.ExpenseFilter,
                branch=ctx.principal.branch,
                submitted_by=ctx.principal.staff_id,
            )
        found = await read(
            ctx,
            lambda c: model.page(c, flt, first, after),
            models=EXPENSES,
            min_position=min_position,
        )
        return ExpenseConnection(
            nodes=[build(Expense, r) for r in found.items],
            page_info=PageInfo(end_cursor=found.end_cursor, has_next_page=found.has_next_page),
            counter=lambda: read(ctx, lambda c: model.count(c, flt)),
        )

    @strawberry.field(
        description="What waits for you: expenses whose next step your roles may approve "
        "(your branch's department head and branch manager steps; head-office finance steps "
        "of every branch), that you neither submitted nor approved; oldest first."
    )
    async def approval_inbox(
        self, info: Info[Context, None], min_position: MinPosition = None
    ) -> list[Expense]:
        ctx = info.context
        p = ctx.principal
        levels = [level.value for level in x.levels_of(p.roles)]
        if not levels:
            return []
        rows = await read(
            ctx,
            lambda c: model.inbox(c, p.staff_id, p.branch, levels),
            models=EXPENSES,
            min_position=min_position,
        )
        return [build(Expense, r) for r in rows]

    @strawberry.field(description="Budget lines with what was committed and paid on them.")
    async def budgets(
        self,
        info: Info[Context, None],
        filter: Annotated[
            BudgetFilter | None,
            strawberry.argument(description="Which ones (a filter left out matches all)."),
        ] = None,
        min_position: MinPosition = None,
    ) -> list[Budget]:
        ctx = info.context
        flt = to_filter(
            filter,
            budget_model.BudgetFilter,
            branch=_scope(ctx, getattr(filter, "branch", None)),
        )
        rows = await read(
            ctx, lambda c: budget_model.lines(c, flt), models=BUDGETS, min_position=min_position
        )
        return [build(Budget, r) for r in rows]

    @strawberry.field(
        description="Budget vs actual (CNY) of every line whose period lies within `period`: "
        "budgeted, committed (approved, unpaid), paid, variance and % used."
    )
    async def budget_vs_actual(
        self,
        info: Info[Context, None],
        period: Period,
        branch: BranchArg = None,
        min_position: MinPosition = None,
    ) -> list[BudgetVsActual]:
        ctx = info.context
        scope = _scope(ctx, branch)
        rows = await read(
            ctx,
            lambda c: budget_model.budget_vs_actual(c, period, scope),
            models=BUDGETS,
            min_position=min_position,
        )
        return [build(BudgetVsActual, r) for r in rows]

    @strawberry.field(
        description="Cost and expense lines within `period` spent above budget by more than "
        "BUDGET_DEVIATION (default 10%) of it: what is reported upward."
    )
    async def budget_deviations(
        self,
        info: Info[Context, None],
        period: Period,
        branch: BranchArg = None,
        min_position: MinPosition = None,
    ) -> list[BudgetVsActual]:
        ctx = info.context
        scope = _scope(ctx, branch)
        share = ctx.runtime.settings.budget_deviation
        rows = await read(
            ctx,
            lambda c: budget_model.deviations(c, period, scope, share),
            models=BUDGETS,
            min_position=min_position,
        )
        return [build(BudgetVsActual, r) for r in rows]

    @strawberry.field(
        description="The authority matrix in force (or an earlier version; 0 is the defaults "
        "in force before head office recorded one). Every staff member may read it."
    )
    async def authority_matrix(
        self,
        info: Info[Context, None],
        version: Annotated[
            int | None, strawberry.argument(description="A version (default: the one in force).")
        ] = None,
        min_position: MinPosition = None,
    ) -> AuthorityMatrix | None:
        # Policy, not a record: every staff member may read who approves what.
        found = await read(
            info.context,
            lambda c: matrix_model.matrix(c, version),
            models=[matrix_model.AuthorityMatrixModel.name],
            min_position=min_position,
        )
        return None if found is None else build(AuthorityMatrix, found)


@strawberry.type
class ExpenseMutation:
    set_budget = mutation(x.SetBudget)
    revise_budget = mutation(x.ReviseBudget, flat=True)
    close_budget = mutation(x.CloseBudget, flat=True)
    submit_expense = mutation(x.SubmitExpense)
    amend_expense = mutation(x.AmendExpense)
    approve_expense = mutation(x.ApproveExpense, flat=True)
    reject_expense = mutation(x.RejectExpense, flat=True)
    withdraw_expense = mutation(x.WithdrawExpense, flat=True)
    pay_expense = mutation(x.PayExpense, flat=True)
    set_authority_matrix = mutation(x.SetAuthorityMatrix, flat=True)
