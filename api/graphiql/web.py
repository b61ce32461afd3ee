"""GraphiQL served by the service itself: the page, its files, and the URL that opens it.

Strawberry's router still decides when a GET of /graphql is a browser asking for the IDE;
only the page it renders is ours: no CDN, and a token prompt (see ``ide.js``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from strawberry.fastapi import GraphQLRouter
from strawberry.schema.base import BaseSchema

from api.graphiql import bundle
from api.graphql.context import Context

HERE = Path(__file__).resolve().parent
STATIC = "/graphql/static"

#: Our own files beside the fetched bundle.
OWN_FILES = ("ide.js", "ide.css")

_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}

# Scripts only from this origin (so an injected script cannot read the token from
# sessionStorage), requests only to this origin, and no form ever navigates: the token is
# never put in a URL that reaches a server or its logs. GraphiQL sets inline styles and
# inlines its fonts and icons as data: URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)

_MISSING = """<!doctype html><meta charset="utf-8"><title>GraphiQL is not installed</title>
<p>GraphiQL's files were not installed with this package. They are fetched from the npm
registry when the package is built: run <code>pip install -e .</code> again (or install a wheel
built where the registry is reachable). The GraphQL endpoint itself works.</p>
"""


@cache
def _template() -> str:
    return (HERE / "page.html").read_text(encoding="utf-8")


def _assets() -> dict[str, Path]:
    files = {name: bundle.VENDOR / name for name in bundle.file_names()}
    files.update({name: HERE / name for name in OWN_FILES})
    return files


def page(request: Request) -> HTMLResponse:
    """The GraphiQL page (503 with an explanation when the bundle is not installed)."""
    if not bundle.installed():
        return HTMLResponse(_MISSING, status_code=503)
    root = request.scope.get("root_path", "")
    html = (
        _template().replace("{{static}}", root + STATIC).replace("{{endpoint}}", root + "/graphql")
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


class GraphQLWithIDE(GraphQLRouter[Context, None]):
    """Strawberry's router, rendering our offline GraphiQL page instead of its CDN one."""

    def __init__(
        self,
        schema: BaseSchema,
        *,
        context_getter: Callable[..., Awaitable[Context]],
        ide: bool,
    ) -> None:
        super().__init__(
            schema, context_getter=context_getter, graphql_ide="graphiql" if ide else None
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """Our page."""
        return page(request)


assets = APIRouter()


@assets.get(STATIC + "/{name}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    """One of GraphiQL's files, by its exact name (nothing else on disk is reachable)."""
    path = _assets().get(name)
    if path is None or not path.is_file():
        raise HTTPException(404, "no such GraphiQL file")
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
