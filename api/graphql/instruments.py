"""The instrument catalogue: ``instruments``."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.common import First, read
from api.graphql.context import Context
from api.graphql.derive import build, object_type
from domain.instruments import Board
from projections import instruments as model

Instrument = object_type(model.InstrumentRow, "Instrument")


@strawberry.type
class InstrumentQuery:
    @strawberry.field(description="The instrument catalogue, by code or name prefix.")
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
