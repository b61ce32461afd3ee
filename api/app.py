"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, authenticate
from api.graphiql.web import GraphQLWithIDE
from api.graphiql.web import assets as graphiql_assets
from api.graphql.context import Context
from api.graphql.schema import schema_for
from api.limits import BodyLimit, RateLimiter
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
    settings = runtime.settings
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    answer_503_in_outages(app)
    app.state.metrics = metrics_registry(runtime)
    app.include_router(
        GraphQLWithIDE(
            schema_for(runtime.settings.graphql_introspection),
            context_getter=graphql_context,
            ide=runtime.settings.graphiql,
        ),
        prefix="/graphql",
    )
    if runtime.settings.graphiql:
        app.include_router(graphiql_assets)
    app.include_router(health_router)
    app.include_router(audit_router)
    app.include_router(reconstruction_router)
    return app
