"""Fields that lead from one record to another (an order's client, instrument, taker and
reviewer; a client's orders and account manager; the staff member behind an event) and the
count every connection offers.

Each related record is read through the request's DataLoaders (``api/graphql/loaders.py``),
so a list of any length costs one statement per kind of record it reaches. Each is shown
exactly as its own query shows it — the same visibility rule and the same masking — and a
record the caller may not see is null, like one that does not exist. The record types are
referred to lazily: their modules use these classes as bases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from api.graphql.common import After, may_see
from api.graphql.context import Context
from api.graphql.derive import build, to_filter
from api.graphql.loaders import CountOf, OrdersOf
from domain.access import Permission
from projections import order_list
from projections.order_list import OrderSort
from projections.staff import StaffRow

if TYPE_CHECKING:
    from api.graphql.clients import Client
    from api.graphql.instruments import Instrument
    from api.graphql.orders import OrderConnection, OrderFilter
    from api.graphql.staff import StaffMember

LazyClient = Annotated["Client", strawberry.lazy("api.graphql.clients")]
LazyInstrument = Annotated["Instrument", strawberry.lazy("api.graphql.instruments")]
LazyStaff = Annotated["StaffMember", strawberry.lazy("api.graphql.staff")]
LazyOrders = Annotated["OrderConnection", strawberry.lazy("api.graphql.orders")]
LazyOrderFilter = Annotated["OrderFilter", strawberry.lazy("api.graphql.orders")]


@strawberry.type
class Counted:
    """A connection whose total is counted only when ``totalCount`` is asked for."""

    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(
        description="How many items match, over every page. Counted (one more query) only "
        "when asked for."
    )
    async def total_count(self) -> int:
        return await self.counter()


def asks_for(info: Info[Any, Any], name: str) -> bool:
    """True when the field being resolved selects ``name`` (directly or in a fragment), e.g.
    a connection's ``totalCount``: then it is read with the page, in the same transaction."""

    def selects(selections: list[Any]) -> bool:
        for s in selections:
            if isinstance(s, SelectedField):
                if s.name == name:
                    return True
            elif selects(s.selections):  # a fragment, spread or inline, at this level
                return True
        return False

    return any(selects(f.selections) for f in info.selected_fields)


def known(total: int) -> Callable[[], Awaitable[int]]:
    """A connection's counter for a total already read."""

    async def counter() -> int:
        return total

    return counter


def staff_visible(ctx: Context, row: StaffRow) -> bool:
    """The one rule for showing a staff member: oneself always; others with the view_staff
    permission, in one's own branch (every branch for head office, audit and admin)."""
    return row.id == ctx.principal.staff_id or may_see(ctx, Permission.VIEW_STAFF, row.branch)


async def staff_member(ctx: Context, staff_id: UUID | None) -> Any:
    """The staff member as ``staffMember(id)`` shows them, or None."""
    from api.graphql.staff import StaffMember

    row = None if staff_id is None else await ctx.loaders.staff.load(staff_id)
    if row is None or not staff_visible(ctx, row):
        return None
    return build(StaffMember, row)


@strawberry.type
class ActorRef:
    """Adds the actor of an event as a staff member."""

    @strawberry.field(
        description="Who did it, as `staffMember(id)` shows them now; null for the operator "
        "on the command line (the system actor) or a member not visible to you."
    )
    async def acted_by(self, info: Info[Context, None]) -> LazyStaff | None:
        return await staff_member(info.context, self.actor)  # type: ignore[attr-defined]


@strawberry.type
class OrderRefs:
    """Adds an order's client, instrument, taker and reviewer."""

    @strawberry.field(
        description="The client who gave the order, as `client(id)` shows them now (masked "
        "alike); null when not visible to you."
    )
    async def client(self, info: Info[Context, None]) -> LazyClient | None:
        from api.graphql.clients import shown

        ctx = info.context
        return shown(ctx, await ctx.loaders.client.load(self.client_id))  # type: ignore[attr-defined]

    @strawberry.field(description="The security ordered, as the catalogue has it now.")
    async def instrument(self, info: Info[Context, None]) -> LazyInstrument | None:
        from api.graphql.instruments import Instrument

        row = await info.context.loaders.instrument.load(self.instrument_code)  # type: ignore[attr-defined]
        return None if row is None else build(Instrument, row)

    @strawberry.field(
        description="The staff member who took the order (`takenBy`), if visible to you."
    )
    async def taker(self, info: Info[Context, None]) -> LazyStaff | None:
        return await staff_member(info.context, self.taken_by)  # type: ignore[attr-defined]

    @strawberry.field(
        description="The trader who reviewed the order (`reviewedBy`), if reviewed and "
        "visible to you."
    )
    async def reviewer(self, info: Info[Context, None]) -> LazyStaff | None:
        return await staff_member(info.context, self.reviewed_by)  # type: ignore[attr-defined]


async def _none() -> int:
    return 0


OrdersFirst = Annotated[int, strawberry.argument(description="Page size, 1 to 200.")]
SortArg = Annotated[
    OrderSort,
    strawberry.argument(description="The sort (a cursor works only with its own sort)."),
]


@strawberry.type
class ClientRefs:
    """Adds a client's orders and account manager."""

    @strawberry.field(
        description="The client's orders, as `orders` shows them (masked alike); keyset pages."
    )
    async def orders(
        self,
        info: Info[Context, None],
        filter: Annotated[
            LazyOrderFilter | None,
            strawberry.argument(
                description="Which ones (a filter left out matches all; `clientId` is this client)."
            ),
        ] = None,
        first: OrdersFirst = 20,
        after: After = None,
        order_by: SortArg = OrderSort.RECEIVED_AT,
    ) -> LazyOrders:
        from api.graphql.common import PageInfo
        from api.graphql.orders import OrderConnection, view

        ctx = info.context
        client_id: UUID = self.id  # type: ignore[attr-defined]
        flt = to_filter(
            filter,
            order_list.OrderFilter,
            zone=ctx.runtime.settings.branch_timezone,
            client_id=None,
        )
        if not may_see(ctx, Permission.VIEW_ORDERS, self.branch):  # type: ignore[attr-defined]
            return OrderConnection(
                nodes=[], page_info=PageInfo(end_cursor=None, has_next_page=False), counter=_none
            )
        found = await ctx.loaders.orders_of.load(OrdersOf(client_id, flt, first, after, order_by))
        restricted: bool = self.processing_restricted  # type: ignore[attr-defined]
        return OrderConnection(
            nodes=[view(r, ctx.principal.roles, restricted) for r in found.items],
            page_info=PageInfo(end_cursor=found.end_cursor, has_next_page=found.has_next_page),
            counter=lambda: ctx.loaders.order_count.load(CountOf(client_id, flt)),
        )

    @strawberry.field(
        description="The account manager in charge (`accountManager`), if visible to you."
    )
    async def managed_by(self, info: Info[Context, None]) -> LazyStaff | None:
        return await staff_member(info.context, self.account_manager)  # type: ignore[attr-defined]
