"""Orders: ``order``, ``orders``, ``flaggedOrders`` and the mutations of an order's life."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

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
from api.graphql.traversal import ActorRef, Counted, OrderRefs, SortArg, asks_for, known
from domain import errors
from domain import orders as o
from domain.access import Permission
from domain.privacy import mask, visibility
from projections import clients as client_model
from projections import order_list
from projections import orders as model
from projections.order_list import OrderSort

READ_MODELS = [model.OrderModel.name]
TimelineEntry = object_type(model.TimelineEntry, base=ActorRef)


@strawberry.type
class OrderLinks(OrderRefs):
    #: For an order replayed as of a moment: show only the timeline up to this position.
    upto: strawberry.Private[int | None] = None
    restricted: strawberry.Private[bool] = False

    @strawberry.field(description="Every event of the order, with who did it and in which role.")
    async def timeline(self, info: Info[Context, None]) -> list[TimelineEntry]:
        ctx = info.context
        order_id: UUID = self.id  # type: ignore[attr-defined]
        entries = await ctx.loaders.timeline.load(order_id)
        seen = visibility(ctx.principal.roles, self.restricted)
        return [
            build(TimelineEntry, mask(t, seen))
            for t in entries
            if self.upto is None or t.position <= self.upto
        ]


Order = object_type(model.OrderRow, "Order", base=OrderLinks, exclude=("filled_amount",))
OrderFilter = input_type(order_list.OrderFilter, "OrderFilter")


def view(row: model.OrderRow, roles: frozenset[str], restricted: bool, **extra: Any) -> Any:
    """An order as a holder of ``roles`` may see it."""
    return build(Order, mask(row, visibility(roles, restricted)), restricted=restricted, **extra)


@strawberry.type(description="A page of the order blotter.")
class OrderConnection(Counted):
    nodes: list[Order] = strawberry.field(description="The orders on this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


@strawberry.type
class OrderQuery:
    @strawberry.field(description="One order with its lifecycle timeline, if visible to you.")
    async def order(
        self, info: Info[Context, None], id: RecordRef, min_position: MinPosition = None
    ) -> Order | None:
        ctx = info.context

        def get(curs: Any) -> tuple[model.OrderRow | None, bool]:
            row = model.get(curs, id)
            return row, row is not None and client_model.is_restricted(curs, row.client_id)

        row, restricted = await read(ctx, get, models=READ_MODELS, min_position=min_position)
        if row is None or not may_see(ctx, Permission.VIEW_ORDERS, row.branch):
            return None
        return view(row, ctx.principal.roles, restricted)

    @strawberry.field(
        description="The order blotter, by receipt time unless `orderBy` says otherwise; "
        "keyset pages."
    )
    async def orders(
        self,
        info: Info[Context, None],
        filter: Annotated[
            OrderFilter | None,
            strawberry.argument(description="Which ones (a filter left out matches all)."),
        ] = None,
        first: First = 50,
        after: After = None,
        min_position: MinPosition = None,
        order_by: SortArg = OrderSort.RECEIVED_AT,
    ) -> OrderConnection:
        ctx = info.context
        try:
            branch = visible_branch(ctx, Permission.VIEW_ORDERS, getattr(filter, "branch", None))
        except errors.DomainError as exc:
            raise query_error(exc) from None
        flt = to_filter(
            filter, order_list.OrderFilter, zone=ctx.runtime.settings.branch_timezone, branch=branch
        )

        counted = asks_for(info, "totalCount")

        def page(curs: Any) -> tuple[Any, set[UUID], int | None]:
            found = order_list.page(curs, flt, first, after, order_by)
            total = order_list.count(curs, flt) if counted else None
            return found, client_model.restricted_clients(curs), total

        found, restricted, total = await read(
            ctx, page, models=READ_MODELS, min_position=min_position
        )
        roles = ctx.principal.roles
        return OrderConnection(
            nodes=[view(r, roles, r.client_id in restricted) for r in found.items],
            page_info=PageInfo(end_cursor=found.end_cursor, has_next_page=found.has_next_page),
            counter=(
                known(total)
                if total is not None
                else lambda: read(ctx, lambda curs: order_list.count(curs, flt))
            ),
        )

    @strawberry.field(
        description="Risk management's queue: open and escalated flags, oldest first, all in "
        "one list.",
        deprecation_reason="Use orders(filter: {awaitingRisk: true}): pages, totalCount, orderBy.",
    )
    async def flagged_orders(
        self, info: Info[Context, None], branch: BranchArg = None, min_position: MinPosition = None
    ) -> list[Order]:
        ctx = info.context
        try:
            scope = visible_branch(ctx, Permission.VIEW_ORDERS, branch)
        except errors.DomainError as exc:
            raise query_error(exc) from None

        def flagged(curs: Any) -> tuple[list[model.OrderRow], set[UUID]]:
            return model.flagged(curs, scope), client_model.restricted_clients(curs)

        rows, restricted = await read(ctx, flagged, models=READ_MODELS, min_position=min_position)
        return [view(r, ctx.principal.roles, r.client_id in restricted) for r in rows]


async def _cancellations_today(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
    """The abnormal-trade rule counts the client's cancellations that day: a fact that spans
    orders, read here from the blotter (the domain never queries read models)."""
    when = values.get("received_at") or ctx.runtime.clock()
    day = ctx.runtime.business_date(when)
    count = await read(ctx, lambda curs: model.cancellations_on(curs, values["client_id"], day))
    return {"cancellations_today": count}


@strawberry.type
class OrderMutation:
    receive_order = mutation(o.ReceiveOrder, prepare=_cancellations_today)
    review_order = mutation(o.ReviewOrder, flat=True)
    acknowledge_risk_disclosure = mutation(o.AcknowledgeRiskDisclosure, flat=True)
    record_fill = mutation(o.RecordFill)
    cancel_order = mutation(o.CancelOrder, flat=True)
    record_order_feedback = mutation(o.RecordOrderFeedback, flat=True)
    archive_order = mutation(o.ArchiveOrder, flat=True)
    clear_order_flag = mutation(o.ClearOrderFlag, flat=True)
    escalate_order_flag = mutation(o.EscalateOrderFlag, flat=True)
