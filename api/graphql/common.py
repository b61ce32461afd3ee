"""Types every part of the schema shares: command results, errors, paging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Union
from uuid import UUID

import strawberry
from graphql import GraphQLError

from domain import errors
from domain.application import CommandResult as DomainResult
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


@strawberry.type
class PageInfo:
    end_cursor: str | None
    has_next_page: bool
