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
from api.reconstruction import Request as PackageRequest
from api.reconstruction import Requester, build
from api.report import ReportOptions
from api.rest.params import aware, only
from api.runtime import Runtime
from domain.access import Permission

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get(
    "/reconstructions",
    response_class=Response,
    dependencies=[Depends(only("order", "client", "from", "to", "branch", "locale", "pdf"))],
)
async def reconstruction(
    request: Request,
    principal: Principal = Depends(authenticate),
    order: UUID | None = None,
    client: UUID | None = None,
    received_from: datetime | None = Query(None, alias="from"),
    received_to: datetime | None = Query(None, alias="to"),
    branch: str | None = None,
    locale: str | None = None,
    pdf: bool = True,
) -> Response:
    """A zip of package.json, report.html, report.pdf and manifest.json for the orders asked
    for; the requester is the signed-in staff member."""
    require(principal, Permission.AUDIT)
    runtime: Runtime = request.app.state.runtime
    try:
        options = ReportOptions.from_settings(runtime.settings, locale)
        asked = PackageRequest(
            order,
            client,
            aware(request, received_from),
            aware(request, received_to),
            branch.upper() if branch else None,
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    requester = Requester(
        principal.name, "token", staff_id=principal.staff_id, roles=tuple(sorted(principal.roles))
    )

    def make() -> bytes:
        with tempfile.TemporaryDirectory() as tmp, runtime.cursor() as curs:
            out = Path(tmp)
            manifest = build(
                runtime.app,
                runtime.database,
                curs,
                asked,
                requester,
                out,
                runtime.clock(),
                options=options,
                with_pdf=pdf,
                roles=principal.roles,
            )
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name in (*manifest["files"], "manifest.json"):
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
