"""Bearer tokens for staff: issued by the CLI, stored only as SHA-256, checked per request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from uuid import UUID

from fastapi import HTTPException, Request
from psycopg import Cursor
from psycopg.rows import DictRow
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, granting_role
from domain.application import BackOffice
from domain.staff import Staff
from projections import staff as staff_model

TOKEN_PREFIX = "bo_"


def new_token() -> str:
    """A fresh, unguessable bearer token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a token is recorded."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The staff member a request runs as."""

    staff_id: UUID
    name: str
    branch: str
    roles: frozenset[str]


def bearer(authorization: str | None) -> str | None:
    """The token in an ``Authorization: Bearer …`` header value."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def principal_for(app: BackOffice, curs: Cursor[DictRow], token: str) -> Principal | None:
    """The active staff member holding ``token`` now, if any.

    The read model only says whose token it is (it may lag); whether the token is still live,
    and the member's roles and branch, come from the staff record in the event store, so a
    revocation or deactivation holds for every request that starts after it returned."""
    digest = token_hash(token)
    staff_id = staff_model.token_holder(curs, bytes.fromhex(digest))
    if staff_id is None:
        return None
    staff = app.find(staff_id)
    if not isinstance(staff, Staff) or not staff.holds_token(digest):
        return None
    # A mutation of this request then decides on these rights without reading them again
    # (its save proves them current: domain/actors.py).
    app.seen(staff)
    return Principal(staff.id, staff.name, staff.branch, frozenset(staff.roles))


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
    runtime = request.app.state.runtime

    def lookup() -> Principal | None:
        # Two single-statement reads on one connection (no transaction, one checkout).
        with runtime.session() as curs:
            return principal_for(runtime.app, curs, token)

    principal = await run_in_threadpool(lookup)
    if principal is None:
        raise HTTPException(401, "the token is not valid", {"WWW-Authenticate": "Bearer"})
    wait = request.app.state.rate_limiter.allow(principal.staff_id)
    if wait is not None:
        raise HTTPException(
            429, "too many requests: slow down", {"Retry-After": str(max(1, round(wait)))}
        )
    return principal


def require(principal: Principal, permission: Permission) -> None:
    """403 unless one of the principal's roles holds ``permission``."""
    if granting_role(principal.roles, permission) is None:
        raise HTTPException(403, f"this needs the {permission.value} permission")
