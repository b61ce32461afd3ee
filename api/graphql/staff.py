"""Staff: ``me``, ``staffMember``, ``staff`` and the mutations that manage staff."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.commands import mutation
from api.graphql.common import (
    After,
    First,
    MinPosition,
    PageInfo,
    RecordRef,
    query_error,
    read,
    visible_branch,
)
from api.graphql.context import Context
from api.graphql.derive import build, input_type, object_type, to_filter
from api.graphql.traversal import Counted, staff_visible
from domain import errors
from domain.access import Permission
from domain.staff import (
    ApproveRoleGrant,
    DeactivateStaff,
    GrantRole,
    RegisterStaff,
    RejectRoleGrant,
    RevokeRole,
    RevokeToken,
)
from projections import staff as model
from projections.staff import StaffSort

READ_MODELS = [model.StaffModel.name]

StaffMember = object_type(model.StaffRow, "StaffMember")
StaffFilter = input_type(model.StaffFilter, "StaffFilter")


@strawberry.type(description="A page of staff members.")
class StaffConnection(Counted):
    nodes: list[StaffMember] = strawberry.field(description="The members on this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


@strawberry.type
class StaffQuery:
    @strawberry.field(description="The staff member this request runs as.")
    async def me(self, info: Info[Context, None]) -> StaffMember:
        ctx = info.context
        row = await read(ctx, lambda curs: model.get(curs, ctx.principal.staff_id))
        if row is None:  # authenticated a moment ago: only a lagging read model
            raise query_error(errors.NotFound("staff member not found"))
        return build(StaffMember, row)

    @strawberry.field(description="One staff member, if visible to you (else null).")
    async def staff_member(
        self,
        info: Info[Context, None],
        id: RecordRef,
        min_position: MinPosition = None,
    ) -> StaffMember | None:
        ctx = info.context
        row = await read(
            ctx, lambda curs: model.get(curs, id), models=READ_MODELS, min_position=min_position
        )
        if row is None or not staff_visible(ctx, row):
            return None
        return build(StaffMember, row)

    @strawberry.field(
        description="Staff ordered by name unless `orderBy` says otherwise; keyset pages of at "
        "most 200."
    )
    async def staff(
        self,
        info: Info[Context, None],
        filter: Annotated[
            StaffFilter | None,
            strawberry.argument(description="Which ones (a filter left out matches all)."),
        ] = None,
        first: First = 50,
        after: After = None,
        min_position: MinPosition = None,
        order_by: Annotated[
            StaffSort,
            strawberry.argument(description="The sort (a cursor works only with its own sort)."),
        ] = StaffSort.NAME,
    ) -> StaffConnection:
        ctx = info.context
        try:
            branch = visible_branch(ctx, Permission.VIEW_STAFF, getattr(filter, "branch", None))
        except errors.DomainError as exc:
            raise query_error(exc) from None
        flt = to_filter(filter, model.StaffFilter, branch=branch)
        found = await read(
            ctx,
            lambda curs: model.page(curs, flt, first, after, order_by),
            models=READ_MODELS,
            min_position=min_position,
        )
        return StaffConnection(
            nodes=[build(StaffMember, r) for r in found.items],
            page_info=PageInfo(end_cursor=found.end_cursor, has_next_page=found.has_next_page),
            counter=lambda: read(ctx, lambda curs: model.count(curs, flt)),
        )


@strawberry.type
class StaffMutation:
    register_staff = mutation(RegisterStaff)
    grant_role = mutation(GrantRole, flat=True)
    approve_role_grant = mutation(ApproveRoleGrant, flat=True)
    reject_role_grant = mutation(RejectRoleGrant, flat=True)
    revoke_role = mutation(RevokeRole, flat=True)
    deactivate_staff = mutation(DeactivateStaff, flat=True)
    revoke_token = mutation(RevokeToken, flat=True)
