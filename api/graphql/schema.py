"""The schema: every query and mutation, extensions, and the SDL export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from api.graphql.audit import AuditQuery, PerformanceQuery, RetentionMutation, RetentionQuery
from api.graphql.clients import ClientMutation, ClientQuery
from api.graphql.common import QueryError
from api.graphql.context import Context
from api.graphql.orders import OrderMutation, OrderQuery
from api.graphql.staff import StaffMutation, StaffQuery
from api.outage import DatabaseOutageExtension

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


@strawberry.type
class Query(StaffQuery, ClientQuery, OrderQuery, AuditQuery, PerformanceQuery, RetentionQuery):
    pass


@strawberry.type
class Mutation(StaffMutation, ClientMutation, OrderMutation, RetentionMutation):
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
    # Errors GraphQL itself raises (syntax, unknown field, bad variable) are the client's.
    return original is not None


_PARSER_CACHE = ParserCache(maxsize=512)
_VALIDATION_CACHE = ValidationCache(maxsize=512)


def build_schema() -> strawberry.Schema:
    """The service's schema."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=12),
            # A frontend sends the same few documents over and over: parse and validate each
            # once (validation was half the cost of a mutation, bench/write_path.py). The
            # caches live on the instances, so every request gets the same two.
            lambda: _PARSER_CACHE,
            lambda: _VALIDATION_CACHE,
            lambda: MaskErrors(should_mask_error=_should_mask),
            DatabaseOutageExtension,  # after MaskErrors: it sees the errors first
            ReadConsistencyExtension,
        ],
    )


schema = build_schema()


def sdl() -> str:
    """The schema in SDL, as exported to ``api/schema.graphql``."""
    return schema.as_str() + "\n"
