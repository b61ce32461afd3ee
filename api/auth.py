"""Bearer tokens for staff: issued by the CLI, stored only as SHA-256, checked per request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

from fastapi import HTTPException, Request
from psycopg import Cursor
from psycopg.rows import DictRow
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, granting_role
from domain.envelope import Command
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

    def command(
        self,
        now: datetime,
        *,
        business_date: date | None = None,
        correlation_id: UUID | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        reason: str | None = None,
    ) -> Command:
        """The command context for one action of this principal."""
        correlation = correlation_id or uuid4()
        return Command(
            actor=self.staff_id,
            actor_roles=self.roles,
            branch_id=self.branch,
            occurred_at=now,
            correlation_id=correlation,
            causation_id=correlation,
            reason=reason,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            business_date=business_date,
        )


def bearer(authorization: str | None) -> str | None:
    """The token in an ``Authorization: Bearer …`` header value."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def principal_for(curs: Cursor[DictRow], token: str) -> Principal | None:
    """The active staff member holding ``token``, if any."""
    row = staff_model.by_token(curs, bytes.fromhex(token_hash(token)))
    if row is None:
        return None
    return Principal(row.id, row.name, row.branch, frozenset(row.roles))


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
        with runtime.cursor() as curs:
            return principal_for(curs, token)

    principal = await run_in_threadpool(lookup)
    if principal is None:
        raise HTTPException(401, "the token is not valid", {"WWW-Authenticate": "Bearer"})
    return principal


def require(principal: Principal, permission: Permission) -> None:
    """403 unless one of the principal's roles holds ``permission``."""
    if granting_role(principal.roles, permission) is None:
        raise HTTPException(403, f"this needs the {permission.value} permission")
