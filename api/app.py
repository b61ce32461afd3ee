"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from strawberry.fastapi import GraphQLRouter

from api.auth import Principal, bearer, principal_for
from api.graphql.context import Context
from api.graphql.schema import schema
from api.rest.health import metrics_registry
from api.rest.health import router as health_router
from api.runtime import Runtime

#: Stands in for a principal only while the browser fetches the GraphiQL page itself, which
#: runs no operation; every query and mutation needs a real token.
IDE_VISITOR = Principal(UUID(int=0), "GraphiQL visitor", "", frozenset())


def _wants_ide(request: Request) -> bool:
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params
    )


async def authenticate(request: Request) -> Principal:
    """The staff member behind the bearer token; 401 without a valid one."""
    if _wants_ide(request):
        return IDE_VISITOR
    token = bearer(request.headers.get("authorization"))
    if token is None:
        raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
    runtime: Runtime = request.app.state.runtime

    def lookup() -> Principal | None:
        with runtime.cursor() as curs:
            return principal_for(curs, token)

    principal = await run_in_threadpool(lookup)
    if principal is None:
        raise HTTPException(401, "the token is not valid", {"WWW-Authenticate": "Bearer"})
    return principal


async def graphql_context(
    request: Request, principal: Principal = Depends(authenticate)
) -> Context:
    """The context of one GraphQL request."""
    return Context(runtime=request.app.state.runtime, principal=principal)


def create_app(runtime: Runtime, *, run_projections: bool = True) -> FastAPI:
    """The API over an open runtime; with ``run_projections`` the runner lives in-process."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_projections:
            runtime.runner.start()
        try:
            yield
        finally:
            if run_projections:
                await run_in_threadpool(runtime.runner.stop)

    app = FastAPI(
        title="Backoffice",
        description="Event-sourced back office of a securities brokerage branch",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.metrics = metrics_registry(runtime)
    app.include_router(
        GraphQLRouter(schema, context_getter=graphql_context, graphql_ide="graphiql"),
        prefix="/graphql",
    )
    app.include_router(health_router)
    return app
