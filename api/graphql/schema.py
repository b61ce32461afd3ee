"""The schema: every query and mutation, extensions, and the SDL export."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.graphql.audit import AuditQuery
from api.graphql.clients import ClientMutation, ClientQuery
from api.graphql.common import QueryError
from api.graphql.complaints import ComplaintMutation, ComplaintQuery
from api.graphql.context import Context
from api.graphql.expenses import ExpenseMutation, ExpenseQuery
from api.graphql.instruments import InstrumentQuery
from api.graphql.orders import OrderMutation, OrderQuery
from api.graphql.performance import PerformanceQuery
from api.graphql.retention import RetentionMutation, RetentionQuery
from api.graphql.staff import StaffMutation, StaffQuery
from api.outage import DatabaseOutageExtension

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
#: Most aliases one document may use (each alias is a field resolved again).
MAX_ALIASES = 30
#: Most tokens one document may have.
MAX_TOKENS = 5000
log = logging.getLogger("backoffice.api")


@strawberry.type(description="What you can read (each answer is scoped to your role and branch).")
class Query(
    StaffQuery,
    ClientQuery,
    OrderQuery,
    InstrumentQuery,
    AuditQuery,
    PerformanceQuery,
    RetentionQuery,
    ComplaintQuery,
    ExpenseQuery,
):
    pass


@strawberry.type(description="What you can record: every mutation is one command.")
class Mutation(
    StaffMutation,
    ClientMutation,
    OrderMutation,
    RetentionMutation,
    ComplaintMutation,
    ExpenseMutation,
):
    pass


class ReadConsistencyExtension(SchemaExtension):
    """Reports, under ``extensions.consistency``, whether minPosition was reached in time."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if not isinstance(context, Context) or not context.consistency:
            return {}
        return {
            "consistency": [
                {"minPosition": c.requested, "reached": c.reached, "positions": c.positions}
                for c in context.consistency
            ]
        }


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if isinstance(error, QueryError) or isinstance(original, QueryError):
        return False
    # Errors GraphQL itself raises (syntax, unknown field, bad variable) are the client's; a
    # variable outside its enum carries the GraphQLError of its coercion as original_error.
    return original is not None and not isinstance(original, GraphQLError)


UUID_SCALAR = strawberry.scalar(
    name="UUID",
    description="An id (RFC 4122 UUID), e.g. 3e7d0a64-1426-432c-a6f3-e73cdcd21b02.",
    serialize=str,
    parse_value=lambda value: uuid.UUID(str(value)),
)
_PARSER_CACHE = ParserCache(maxsize=512)
_VALIDATION_CACHE = ValidationCache(maxsize=512)
# Limits on what one document may ask for. Each limiter adds a validation rule class made when
# it is constructed: built once and shared, so that every request's rules are the same and
# graphql-core's validation cache hits (a limiter built per request halved throughput).
_DEPTH = QueryDepthLimiter(max_depth=12)
_ALIASES = MaxAliasesLimiter(max_alias_count=MAX_ALIASES)
_TOKENS = MaxTokensLimiter(max_token_count=MAX_TOKENS)


class BackofficeSchema(strawberry.Schema):
    """Logs expected refusals (a query refused, a document GraphQL itself rejects) as one line
    without the client's values; tracebacks are for real faults only."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = []
        for error in errors:
            original = error.original_error
            if isinstance(original, QueryError) or isinstance(error, QueryError):
                code = (error.extensions or {}).get("code") or original.extensions.get("code")  # type: ignore[union-attr]
                log.info("query refused: %s at %s", code, error.path)
            elif original is None or isinstance(original, GraphQLError):
                log.info("document refused by GraphQL at %s", error.path or error.locations)
            else:
                unexpected.append(error)
        super().process_errors(unexpected, execution_context)


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    """The service's schema (introspection can be switched off for production)."""
    extensions: list[Any] = [
        lambda: _DEPTH,
        lambda: _ALIASES,
        lambda: _TOKENS,
        # A frontend sends the same few documents over and over: parse and validate each
        # once (validation was half the cost of a mutation, bench/write_path.py). The
        # caches live on the instances, so every request gets the same two.
        lambda: _PARSER_CACHE,
        lambda: _VALIDATION_CACHE,
        lambda: MaskErrors(should_mask_error=_should_mask),
        DatabaseOutageExtension,  # after MaskErrors: it sees the errors first
        ReadConsistencyExtension,
    ]
    if not introspection:
        extensions.insert(0, DisableIntrospection)
    return BackofficeSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(scalar_map={UUID: UUID_SCALAR}),
        extensions=extensions,
    )


schema = build_schema()
_WITHOUT_INTROSPECTION: list[strawberry.Schema] = []


def schema_for(introspection: bool) -> strawberry.Schema:
    """The schema with or without introspection (each built once per process)."""
    if introspection:
        return schema
    if not _WITHOUT_INTROSPECTION:
        _WITHOUT_INTROSPECTION.append(build_schema(introspection=False))
    return _WITHOUT_INTROSPECTION[0]


def sdl() -> str:
    """The schema in SDL, as exported to ``api/schema.graphql``."""
    return schema.as_str() + "\n"
