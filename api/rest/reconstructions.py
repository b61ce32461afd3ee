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
from api.disclosures import record_disclosure
from api.package_seal import SIGNATURE
from api.reconstruction import Request as PackageRequest
from api.reconstruction import Requester, build, sha256_file
from api.reconstruction_complaints import build_complaint_package
from api.report import ReportOptions
from api.rest.params import aware, only
from api.runtime import Runtime
from domain.access import Permission
from domain.disclosures import DisclosureKind
from domain.errors import DomainError
from domain.privacy import visibility

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get(
    "/reconstructions",
    response_class=Response,
    dependencies=[
        Depends(
            only("order", "client", "complaint", "from", "to", "branch", "locale", "pdf", "reason")
        )
    ],
)
async def reconstruction(
    request: Request,
    principal: Principal = Depends(authenticate),
    order: UUID | None = None,
    client: UUID | None = None,
    received_from: datetime | None = Query(
        None,
        alias="from",
        description="Orders received at or after this time (business clock: the receipt time "
        "given; no zone: the branch's).",
    ),
    received_to: datetime | None = Query(
        None, alias="to", description="Orders received before this time (business clock)."
    ),
    branch: str | None = None,
    locale: str | None = None,
    pdf: bool = True,
    reason: str = Query(..., description="Why (the request's reference): recorded."),
    complaint: UUID | None = Query(None, description="One complaint's full history, alone."),
) -> Response:
    """A zip of package.json, report.html, report.pdf, manifest.json and signature.json for
    the orders (or the complaint) asked for; the requester is the signed-in staff member."""
    require(principal, Permission.AUDIT)
    runtime: Runtime = request.app.state.runtime
    try:
        options = ReportOptions.from_settings(runtime.settings, locale)
        if complaint is not None and (order or client or received_from or received_to or branch):
            raise ValueError("a complaint is asked for on its own")
        asked = (
            None
            if complaint is not None
            else PackageRequest(
                order,
                client,
                aware(request, received_from),
                aware(request, received_to),
                branch.upper() if branch else None,
            )
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    requester = Requester(
        principal.name, "token", staff_id=principal.staff_id, roles=tuple(sorted(principal.roles))
    )

    def make() -> bytes:
        with tempfile.TemporaryDirectory() as tmp, runtime.cursor() as curs:
            out = Path(tmp)
            if complaint is not None:
                manifest = build_complaint_package(
                    runtime.app,
                    runtime.database,
                    curs,
                    complaint,
                    requester,
                    out,
                    runtime.clock(),
                    options,
                    with_pdf=pdf,
                    roles=principal.roles,
                    seal=runtime.seal(),
                )
            else:
                assert asked is not None  # asked for unless a complaint is
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
                    seal=runtime.seal(),
                )
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name in (*manifest["files"], "manifest.json", SIGNATURE):
                    archive.write(out / name, name)
            record_disclosure(
                runtime,
                principal.staff_id,
                reason,
                kind=DisclosureKind.RECONSTRUCTION,
                requested_by=principal.name,
                request=manifest["request"],
                digest=sha256_file(out / "manifest.json"),
                records=manifest["orders"] + manifest.get("complaints", 0),
                personal_data=visibility(principal.roles).personal,
            )
            return buffer.getvalue()

    try:
        body = await run_in_threadpool(make)
    except LookupError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    except DomainError as exc:
        raise HTTPException(422, exc.message) from None
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="reconstruction.zip"'},
    )
