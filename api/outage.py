"""Requests while PostgreSQL is away: HTTP 503 with a short message, never a 500 or a traceback.

The pool replaces dead connections by itself once the server answers again (``POSTGRES_PRE_PING``
in ``api/store.py``), so nothing here has to be restarted: the next request simply succeeds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import psycopg
from eventsourcing import persistence
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from projections.supervision import describe, is_transient

log = logging.getLogger("backoffice.api")

CODE = "DATABASE_UNAVAILABLE"
MESSAGE = "The database is unavailable; try again shortly."
RETRY_AFTER = "5"  # seconds, as the Retry-After header says it

_OUTAGE_CLASSES: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    persistence.OperationalError,
    persistence.InterfaceError,
)
_last_logged = 0.0


def _log(where: str, exc: BaseException) -> None:
    # Once every ten seconds, not once per request: an outage is one event for the log.
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= 10:
        _last_logged = now
        log.warning("database unavailable (%s): %s", where, describe(exc))


def unavailable() -> JSONResponse:
    """The answer to a request that needed the database while it was away."""
    return JSONResponse(
        {"error": CODE, "message": MESSAGE}, status_code=503, headers={"Retry-After": RETRY_AFTER}
    )


async def _handle(request: Request, exc: Exception) -> Response:
    if not is_transient(exc):
        raise exc  # a bug or bad data, not an outage: the usual 500 (and a logged traceback)
    _log(f"{request.method} {request.url.path}", exc)
    return unavailable()


def install(app: FastAPI) -> None:
    """Answer 503 for outage errors escaping any route or dependency (authentication too)."""
    for cls in _OUTAGE_CLASSES:
        app.add_exception_handler(cls, _handle)


class DatabaseOutageExtension(SchemaExtension):
    """GraphQL errors caused by an outage become one clear error and an HTTP 503.

    List it after ``MaskErrors``: extensions are left in reverse order, so this one sees the
    original errors first, and the errors it writes carry no original to be masked."""

    def on_operation(self) -> Iterator[None]:
        yield
        result: Any = self.execution_context.result
        errors: list[GraphQLError] = getattr(result, "errors", None) or []
        causes = [e.original_error for e in errors if is_transient(e.original_error)]
        if not causes or causes[0] is None:
            return
        _log("graphql", causes[0])
        result.errors = [
            GraphQLError(MESSAGE, nodes=e.nodes, path=e.path, extensions={"code": CODE})
            if is_transient(e.original_error)
            else e
            for e in errors
        ]
        response = getattr(self.execution_context.context, "response", None)
        if isinstance(response, Response):
            response.status_code = 503
            response.headers["Retry-After"] = RETRY_AFTER
