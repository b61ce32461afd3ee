"""Staff: ``me``, ``staffMember``, ``staff`` and the mutations that manage staff."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

import strawberry
from strawberry.types import Info

from api.graphql.common import (
    CommandResult,
    PageInfo,
    query_error,
    run_command,
    visible_branch,
)
from api.graphql.context import Context
from domain import errors
from domain.access import Permission
from projections import staff as model
from projections.paging import Page

READ_MODELS = [model.StaffModel.name]


@strawberry.type(name="StaffMember", description="A staff member as the staff read model has it.")
class StaffMember:
    id: UUID
    name: str
    branch: str
    roles: list[str]
    active: bool
    registered_at: datetime
    deactivated_at: datetime | None
    version: int
    position: int

    @classmethod
    def from_row(cls, row: model.StaffRow) -> StaffMember:
        """The GraphQL view of a read-model row."""
        return cls(
            id=row.id,
            name=row.name,
            branch=row.branch,
            roles=list(row.roles),
            active=row.active,
            registered_at=row.registered_at,
            deactivated_at=row.deactivated_at,
            version=row.version,
            position=row.position,
        )


@strawberry.type
class StaffConnection:
    nodes: list[StaffMember]
    page_info: PageInfo


@strawberry.input
class StaffFilter:
    branch: str | None = None
    role: str | None = None
    active: bool | None = None
    name_prefix: str | None = None


@strawberry.input
class RegisterStaffInput:
    name: str
    branch: str
    roles: list[str]
    id: UUID | None = strawberry.field(
        default=None, description="Chosen by the client for safe retries; generated if absent."
    )


def _visible_branch(ctx: Context, requested: str | None) -> str | None:
    return visible_branch(ctx, Permission.VIEW_STAFF, requested)


@strawberry.type
class StaffQuery:
    @strawberry.field(description="The staff member this request runs as.")
    async def me(self, info: Info[Context, None]) -> StaffMember:
        ctx = info.context

        def read() -> model.StaffRow | None:
            with ctx.runtime.cursor() as curs:
                return model.get(curs, ctx.principal.staff_id)

        row = await ctx.run(read)
        if row is None:  # authenticated a moment ago, so only a race with a rebuild
            raise query_error(errors.NotFound("staff member not found"))
        return StaffMember.from_row(row)

    @strawberry.field(description="One staff member, if visible to the caller.")
    async def staff_member(
        self, info: Info[Context, None], id: UUID, min_position: int | None = None
    ) -> StaffMember | None:
        ctx = info.context
        await ctx.wait_for(READ_MODELS, min_position)

        def read() -> model.StaffRow | None:
            with ctx.runtime.cursor() as curs:
                return model.get(curs, id)

        try:
            row = await ctx.run(read)
            if row is not None and row.id != ctx.principal.staff_id:
                _visible_branch(ctx, row.branch)
        except (errors.DomainError, ValueError) as exc:
            raise query_error(exc) from None
        return None if row is None else StaffMember.from_row(row)

    @strawberry.field(description="Staff ordered by name; keyset pages of at most 200.")
    async def staff(
        self,
        info: Info[Context, None],
        filter: StaffFilter | None = None,
        first: int = 50,
        after: str | None = None,
        min_position: int | None = None,
    ) -> StaffConnection:
        ctx = info.context
        await ctx.wait_for(READ_MODELS, min_position)
        f = filter or StaffFilter()
        try:
            branch = _visible_branch(ctx, f.branch)
            flt = model.StaffFilter(branch, f.role, f.active, f.name_prefix)

            def read() -> Page[model.StaffRow]:
                with ctx.runtime.cursor() as curs:
                    return model.page(curs, flt, first, after)

            found = await ctx.run(read)
        except (errors.DomainError, ValueError) as exc:
            raise query_error(exc) from None
        return StaffConnection(
            nodes=[StaffMember.from_row(r) for r in found.items],
            page_info=PageInfo(end_cursor=found.end_cursor, has_next_page=found.has_next_page),
        )


@strawberry.type
class StaffMutation:
    @strawberry.mutation(description="Register a staff member (admin).")
    async def register_staff(
        self,
        info: Info[Context, None],
        input: RegisterStaffInput,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        staff_id = input.id or uuid4()
        return await run_command(
            info,
            lambda app, cmd: app.register_staff(
                cmd, staff_id=staff_id, name=input.name, branch=input.branch, roles=input.roles
            ),
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Grant a role to a staff member (admin).")
    async def grant_role(
        self,
        info: Info[Context, None],
        staff_id: UUID,
        role: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.grant_role(cmd, staff_id=staff_id, role=role),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Revoke a role from a staff member (admin).")
    async def revoke_role(
        self,
        info: Info[Context, None],
        staff_id: UUID,
        role: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.revoke_role(cmd, staff_id=staff_id, role=role),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Deactivate a staff member: roles and tokens stop working.")
    async def deactivate_staff(
        self,
        info: Info[Context, None],
        staff_id: UUID,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.deactivate_staff(cmd, staff_id=staff_id),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )
