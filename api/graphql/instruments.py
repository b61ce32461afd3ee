"""The instrument catalogue: ``instrumentCatalogue`` (and the older ``instruments``)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.common import After, First, PageInfo, read
from api.graphql.context import Context
from api.graphql.derive import build, input_type, object_type, to_filter
from api.graphql.traversal import Counted
from domain.instruments import Board
from projections import instruments as model
from projections.instruments import InstrumentSort

Instrument = object_type(model.InstrumentRow, "Instrument")
InstrumentFilter = input_type(model.InstrumentFilter, "InstrumentFilter")


@strawberry.type(description="A page of the instrument catalogue.")
class InstrumentConnection(Counted):
    nodes: list[Instrument] = strawberry.field(description="The instruments on this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


@strawberry.type
class InstrumentQuery:
    @strawberry.field(
        description="The instrument catalogue, by code or name prefix (first page only).",
        deprecation_reason="Use instrumentCatalogue: pages, filters, totalCount, orderBy.",
    )
    async def instruments(
        self,
        info: Info[Context, None],
        prefix: Annotated[
            str | None, strawberry.argument(description="Codes or names starting with this.")
        ] = None,
        board: Annotated[Board | None, strawberry.argument(description="Only this board.")] = None,
        first: First = 50,
    ) -> list[Instrument]:
        ctx = info.context
        rows = await read(
            ctx,
            lambda curs: model.search(
                curs, prefix, board.value if board else None, min(max(first, 1), 200)
            ),
        )
        return [build(Instrument, r) for r in rows]

    @strawberry.field(
        description="The instrument catalogue, by code unless `orderBy` says otherwise; keyset "
        "pages of at most 200."
    )
    async def instrument_catalogue(
        self,
        info: Info[Context, None],
        filter: Annotated[
            InstrumentFilter | None,
            strawberry.argument(description="Which ones (a filter left out matches all)."),
        ] = None,
        first: First = 50,
        after: After = None,
        order_by: Annotated[
            InstrumentSort,
            strawberry.argument(description="The sort (a cursor works only with its own sort)."),
        ] = InstrumentSort.CODE,
    ) -> InstrumentConnection:
        ctx = info.context
        flt = to_filter(filter, model.InstrumentFilter)
        found = await read(ctx, lambda curs: model.page(curs, flt, first, after, order_by))
        return InstrumentConnection(
            nodes=[build(Instrument, r) for r in found.items],
            page_info=PageInfo(end_cursor=found.end_cursor, has_next_page=found.has_next_page),
            counter=lambda: read(ctx, lambda curs: model.count(curs, flt)),
        )
