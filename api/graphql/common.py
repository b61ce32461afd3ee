"""What every part of the schema shares: command results and errors, reading with the
expected errors mapped, branch visibility, paging."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, Union, get_args
from uuid import UUID

import strawberry
from graphql import GraphQLError
from psycopg import Cursor
from psycopg.rows import DictRow

from api.graphql import enums  # noqa: F401 - registers the vocabularies before any type uses them
from api.graphql.context import Context
from domain import errors
from domain.access import Permission, granting_role
from domain.application import CommandResult as DomainResult
from domain.errors import Code
from domain.fields import check_text
from domain.values import BranchCode
from projections.paging import BadCursor

log = logging.getLogger("backoffice.api")
T = TypeVar("T")


@strawberry.type(description="The command was recorded (or, for a retried key, had been).")
class CommandSuccess:
    id: UUID = strawberry.field(description="The record the command was about (or created).")
    version: int = strawberry.field(description="The record's version after the command.")
    position: int | None = strawberry.field(
        description="Notification id of the last event: pass it as minPosition to read it "
        "back. Null when nothing needed recording."
    )
    replayed: bool = strawberry.field(
        description="True when this idempotency key was seen before and nothing new was recorded."
    )


@strawberry.type(description="The input breaks a rule; `field` names the input when known.")
class ValidationError:
    message: str = strawberry.field(description="What is wrong, in English.")
    field: str | None = strawberry.field(description="The input field (camelCase), if one.")
    code: Code = strawberry.field(description="Why, as a stable code a frontend can translate.")


@strawberry.type(description="The acting staff member may not do this.")
class NotAllowed:
    message: str = strawberry.field(description="What permission is missing.")


@strawberry.type(description="The record named does not exist, or is not visible to you.")
class NotFound:
    message: str = strawberry.field(description="Which record.")


@strawberry.type(description="The record changed since expectedVersion: nothing was recorded.")
class ConcurrencyConflict:
    message: str = strawberry.field(description="What happened.")
    expected_version: int | None = strawberry.field(description="The version you expected.")
    actual_version: int | None = strawberry.field(description="The record's version now.")


CommandResult = Annotated[
    Union[CommandSuccess, ValidationError, NotAllowed, ConcurrencyConflict, NotFound],  # noqa: UP007
    strawberry.union(
        "CommandResult",
        description="The outcome of a mutation: success, or the expected reason it was refused.",
    ),
]


def command_result(run: Callable[[], DomainResult]) -> Any:
    """Run a command and map its outcome, expected refusals included, to the union; refusals
    are normal outcomes and are logged as one line, without personal data."""
    try:
        r = run()
    except errors.DomainError as e:
        log.info("refused: %s %s", type(e).__name__, getattr(e, "field", None) or "")
        if isinstance(e, errors.ValidationError):
            return ValidationError(message=e.message, field=e.field, code=e.reason)
        if isinstance(e, errors.NotAllowed):
            return NotAllowed(message=e.message)
        if isinstance(e, errors.NotFound):
            return NotFound(message=e.message)
        if isinstance(e, errors.ConcurrencyConflict):
            return ConcurrencyConflict(
                message=e.message, expected_version=e.expected, actual_version=e.actual
            )
        raise
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
        log.info("query refused: %s", type(exc).__name__)
        return QueryError(exc.message, exc.code)
    if isinstance(exc, BadCursor | ValueError):
        return QueryError(str(exc), errors.ValidationError.code)
    raise exc


async def read(
    ctx: Context,
    fn: Callable[[Cursor[DictRow]], T],
    *,
    models: list[str] | None = None,
    min_position: int | None = None,
) -> T:
    """Read the read models (after waiting for ``min_position`` when asked), off the event
    loop; expected errors become QueryErrors."""
    if models:
        await ctx.wait_for(models, min_position)

    def run() -> T:
        with ctx.runtime.cursor() as curs:
            return fn(curs)

    try:
        return await ctx.run(run)
    except (errors.DomainError, BadCursor, ValueError) as exc:
        raise query_error(exc) from None


def visible_branch(ctx: Context, permission: Permission, requested: str | None) -> str | None:
    """The branch the principal may read: any (None = all) with the all-branches permission,
    else its own; asking for another branch is NotAllowed."""
    if granting_role(ctx.principal.roles, permission) is None:
        raise errors.NotAllowed(f"reading this needs the {permission.value} permission")
    branch = None if requested is None else _branch(requested)
    if granting_role(ctx.principal.roles, Permission.VIEW_ALL_BRANCHES) is not None:
        return branch
    if branch is not None and branch != ctx.principal.branch:
        raise errors.NotAllowed(
            f"records of branch {branch} are not visible from {ctx.principal.branch}"
        )
    return ctx.principal.branch


def _branch(value: str) -> str:
    return check_text(value, get_args(BranchCode)[1], "branch")


def may_see(ctx: Context, permission: Permission, branch: str | None) -> bool:
    """True when the principal may read a record of ``branch`` (a record they may not see
    gets the same answer as one that does not exist)."""
    if granting_role(ctx.principal.roles, permission) is None:
        return False
    return (
        branch is None
        or branch == ctx.principal.branch
        or granting_role(ctx.principal.roles, Permission.VIEW_ALL_BRANCHES) is not None
    )


@strawberry.type(description="Where a page of a list ends.")
class PageInfo:
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool = strawberry.field(description="True when more items follow.")


# The arguments every list and record query shares, described once.
MinPosition = Annotated[
    int | None,
    strawberry.argument(
        description="Read your own write: wait (up to READ_WAIT_TIMEOUT seconds) until the read "
        "models reached this notification id (a mutation's `position`); "
        "`extensions.consistency` says whether they did."
    ),
]
First = Annotated[int, strawberry.argument(description="Page size, 1 to 200.")]
After = Annotated[
    str | None, strawberry.argument(description="The `endCursor` of the previous page.")
]
RecordRef = Annotated[UUID, strawberry.argument(description="The record's id.")]
BranchArg = Annotated[
    str | None,
    strawberry.argument(description="A branch code (default: yours; all for head office)."),
]
