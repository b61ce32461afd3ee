"""Reconstruction packages over HTTP, as a zip of the same files the CLI writes."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, authenticate, require
from api.package_seal import SIGNATURE
from api.reconstruction import FILES, build
from api.reconstruction import Request as PackageRequest
from api.runtime import Runtime
from domain.access import Permission

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/reconstructions", response_class=Response)
async def reconstruction(
    request: Request,
    principal: Principal = Depends(authenticate),
    order: UUID | None = None,
    client: UUID | None = None,
    received_from: datetime | None = Query(None, alias="from"),
    received_to: datetime | None = Query(None, alias="to"),
    branch: str | None = None,
) -> Response:
    """A zip of package.json, report.html and manifest.json for the orders asked for."""
    require(principal, Permission.AUDIT)
    try:
        asked = PackageRequest(
            order, client, received_from, received_to, branch.upper() if branch else None
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    runtime: Runtime = request.app.state.runtime

    def make() -> bytes:
        with tempfile.TemporaryDirectory() as tmp, runtime.cursor() as curs:
            out = Path(tmp)
            build(
                runtime.app,
                runtime.database,
                curs,
                asked,
                f"{principal.name} ({principal.staff_id})",
                out,
                runtime.clock(),
                seal=runtime.seal(),
            )
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name in (*FILES, "manifest.json", SIGNATURE):
                    archive.write(out / name, name)
            return buffer.getvalue()

    try:
        body = await run_in_threadpool(make)
    except LookupError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="reconstruction.zip"'},
    )
