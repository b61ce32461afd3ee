"""Retention: ``retention`` of a record, and legal holds."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.audit import _auditor
from api.graphql.commands import mutation
from api.graphql.common import RecordRef, read
from api.graphql.context import Context
from api.graphql.derive import build, object_type
from domain.retention import LiftLegalHold, PlaceLegalHold
from projections import retention as model


@strawberry.type
class RetentionLinks:
    eligible_now: bool = strawberry.field(
        description="True when it could leave primary storage today (nothing is ever deleted)."
    )


RetentionLine = object_type(model.RetentionLine, base=RetentionLinks)


@strawberry.type
class RetentionQuery:
    @strawberry.field(description="Retention of one record (a client's lines, or an order's).")
    async def retention(
        self, info: Info[Context, None], record_id: RecordRef
    ) -> list[RetentionLine]:
        ctx = info.context
        _auditor(ctx)
        today = ctx.runtime.business_date(ctx.runtime.clock())
        tz = ctx.runtime.settings.branch_timezone

        def lines(curs: Any) -> list[model.RetentionLine]:
            presets = model.presets_in_force(curs) or ["pboc-2007"]
            return [line for line in model.report(curs, presets, tz) if line.record_id == record_id]

        return [
            build(RetentionLine, line, eligible_now=line.eligible(today))
            for line in await read(ctx, lines)
        ]


@strawberry.type
class RetentionMutation:
    place_legal_hold = mutation(PlaceLegalHold, flat=True)
    lift_legal_hold = mutation(LiftLegalHold, flat=True)
