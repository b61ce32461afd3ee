"""KPIs and policy metrics: ``branchPerformance``, ``clientsDeveloped``, ``traderKpis``,
``clientDocumentPolicy``."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.common import BranchArg, query_error, read, visible_branch
from api.graphql.context import Context
from api.graphql.derive import build, object_type
from domain import errors
from domain.access import Permission
from projections import performance as model

Year = Annotated[int, strawberry.argument(description="A calendar year, e.g. 2026.")]
BranchPerformance = object_type(model.BranchPerformance)
ClientsDeveloped = object_type(model.ClientsDeveloped)
DocumentPolicy = object_type(model.DocumentPolicy)
TraderKpi = object_type(model.TraderKpi)


def _scope(ctx: Context, permission: Permission, branch: str | None) -> str | None:
    try:
        return visible_branch(ctx, permission, branch)
    except errors.DomainError as exc:
        raise query_error(exc) from None


@strawberry.type
class PerformanceQuery:
    @strawberry.field(
        description="KPIs of one branch for a period: 2026, 2026-Q3 or 2026-11 (branch time zone)."
    )
    async def branch_performance(
        self,
        info: Info[Context, None],
        branch: Annotated[str, strawberry.argument(description="A branch code.")],
        period: Annotated[
            str, strawberry.argument(description="2026, 2026-H1, 2026-Q3 or 2026-11.")
        ],
    ) -> BranchPerformance:
        ctx = info.context
        scope = _scope(ctx, Permission.VIEW_CLIENTS, branch) or branch.upper()
        tz = ctx.runtime.settings.branch_timezone
        found = await read(ctx, lambda curs: model.branch_performance(curs, scope, period, tz))
        return build(BranchPerformance, found)

    @strawberry.field(description="The 3% policy metric on non-18-digit documents, per branch.")
    async def client_document_policy(
        self, info: Info[Context, None], branch: BranchArg = None
    ) -> list[DocumentPolicy]:
        ctx = info.context
        scope = _scope(ctx, Permission.VIEW_CLIENTS, branch)
        rows = await read(ctx, lambda curs: model.document_policy(curs, scope))
        return [build(DocumentPolicy, r) for r in rows]

    @strawberry.field(description="KPI: accounts opened per account manager per month.")
    async def clients_developed(
        self, info: Info[Context, None], year: Year, branch: BranchArg = None
    ) -> list[ClientsDeveloped]:
        ctx = info.context
        scope = _scope(ctx, Permission.VIEW_CLIENTS, branch)
        tz = ctx.runtime.settings.branch_timezone
        rows = await read(ctx, lambda curs: model.clients_developed(curs, scope, year, tz))
        return [build(ClientsDeveloped, r) for r in rows]

    @strawberry.field(description="Per trader per month: review accuracy and timeliness.")
    async def trader_kpis(
        self, info: Info[Context, None], year: Year, branch: BranchArg = None
    ) -> list[TraderKpi]:
        ctx = info.context
        scope = _scope(ctx, Permission.VIEW_ORDERS, branch)
        tz = ctx.runtime.settings.branch_timezone
        rows = await read(ctx, lambda curs: model.trader_kpis(curs, scope, year, tz))
        return [build(TraderKpi, r) for r in rows]
