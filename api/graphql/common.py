"""Types every part of the schema shares: command results, errors, paging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Union
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from api.graphql.context import Context
from domain import errors
from domain.access import Permission, granting_role
from domain.application import BackOffice
from domain.application import CommandResult as DomainResult
from domain.envelope import Command
from domain.staff import parse_branch
from projections.paging import BadCursor


@strawberry.type(description="The command was recorded (or, for a retried key, had been).")
class CommandSuccess:
    id: UUID
    version: int
    position: int | None = strawberry.field(
        description="Notification id of the last event: pass it as minPosition to read it back."
    )
    replayed: bool = strawberry.field(
        description="True when this idempotency key was seen before and nothing new was recorded."
    )


@strawberry.type(description="The input breaks a rule; field names the input when known.")
class ValidationError:
    message: str
    field: str | None


@strawberry.type(description="The acting staff member may not do this.")
class NotAllowed:
    message: str


@strawberry.type(description="The record named does not exist.")
class NotFound:
    message: str


@strawberry.type(description="The record changed since expectedVersion.")
class ConcurrencyConflict:
    message: str
    expected_version: int | None
    actual_version: int | None


CommandResult = Annotated[
    Union[CommandSuccess, ValidationError, NotAllowed, ConcurrencyConflict, NotFound],  # noqa: UP007
    strawberry.union("CommandResult"),
]


def command_result(run: Callable[[], DomainResult]) -> CommandResult:
    """Run a command and map its outcome, expected errors included, to the GraphQL union."""
    try:
        r = run()
    except errors.ValidationError as e:
        return ValidationError(message=e.message, field=e.field)
    except errors.NotAllowed as e:
        return NotAllowed(message=e.message)
    except errors.NotFound as e:
        return NotFound(message=e.message)
    except errors.ConcurrencyConflict as e:
        return ConcurrencyConflict(
            message=e.message, expected_version=e.expected, actual_version=e.actual
        )
    return CommandSuccess(
        id=r.aggregate_id, version=r.version, position=r.position, replayed=r.replayed
    )


class QueryError(GraphQLError):
    """An expected failure of a query, shown to the client (never masked) with its code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def query_error(exc: Exception) -> QueryError:
    """The client-facing form of an expected error raised while reading."""
    if isinstance(exc, errors.DomainError):
        return QueryError(exc.message, exc.code)
    if isinstance(exc, BadCursor | ValueError):
        return QueryError(str(exc), errors.ValidationError.code)
    raise exc


async def run_command(
    info: Info[Context, None],
    act: Callable[[BackOffice, Command], DomainResult],
    *,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
    reason: str | None = None,
) -> CommandResult:
    """Run one command as the request's principal and map its outcome to the union."""
    ctx = info.context
    cmd = ctx.command(
        idempotency_key=idempotency_key, expected_version=expected_version, reason=reason
    )
    return await ctx.run(command_result, lambda: act(ctx.runtime.app, cmd))


def visible_branch(ctx: Context, permission: Permission, requested: str | None) -> str | None:
    """The branch the principal may read: any (None = all) with the all-branches permission,
    else its own; asking for another branch is NotAllowed."""
    if granting_role(ctx.principal.roles, permission) is None:
        raise errors.NotAllowed(f"reading this needs the {permission.value} permission")
    if granting_role(ctx.principal.roles, Permission.VIEW_ALL_BRANCHES) is not None:
        return parse_branch(requested) if requested else None
    if requested and parse_branch(requested) != ctx.principal.branch:
        raise errors.NotAllowed(
            f"records of branch {requested} are not visible from {ctx.principal.branch}"
        )
    return ctx.principal.branch


@strawberry.type
class PageInfo:
    end_cursor: str | None
    has_next_page: bool
