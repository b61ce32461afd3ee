"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from strawberry.fastapi import GraphQLRouter

from api.auth import Principal, authenticate
from api.graphql.context import Context
from api.graphql.schema import schema
from api.outage import install as answer_503_in_outages
from api.rest.audit import router as audit_router
from api.rest.health import metrics_registry
from api.rest.health import router as health_router
from api.rest.reconstructions import router as reconstruction_router
from api.runtime import Runtime


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
    answer_503_in_outages(app)
    app.state.metrics = metrics_registry(runtime)
    app.include_router(
        GraphQLRouter(schema, context_getter=graphql_context, graphql_ide="graphiql"),
        prefix="/graphql",
    )
    app.include_router(health_router)
    app.include_router(audit_router)
    app.include_router(reconstruction_router)
    return app
