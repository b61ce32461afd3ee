"""Audit downloads: the audit trail as JSON Lines (auditors, regulators, head office)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from api.audit import export_lines
from api.auth import Principal, authenticate, require
from api.disclosures import record_disclosure
from api.rest.params import aware, only
from api.runtime import Runtime
from domain.access import Permission
from domain.disclosures import DisclosureKind
from domain.privacy import visibility
from projections.audit import AuditFilter, check_filter

router = APIRouter(prefix="/audit", tags=["audit"])


_PARAMS = (
    "event_type",
    "aggregate_type",
    "actor",
    "branch",
    "from",
    "to",
    "aggregate_id",
    "reason",
)


@router.get(
    "/events.jsonl", response_class=StreamingResponse, dependencies=[Depends(only(*_PARAMS))]
)
def audit_events(
    request: Request,
    principal: Principal = Depends(authenticate),
    event_type: str | None = Query(None, description="e.g. Order.Reviewed"),
    aggregate_type: str | None = Query(None, description="e.g. Client"),
    actor: UUID | None = None,
    branch: str | None = None,
    recorded_from: datetime | None = Query(None, alias="from"),
    recorded_to: datetime | None = Query(None, alias="to"),
    aggregate_id: UUID | None = None,
    reason: str | None = Query(
        None, description="Why: required when the export shows you personal data in full."
    ),
) -> StreamingResponse:
    """Stream the audit trail, filtered, one JSON object per line, in notification order; an
    export that shows personal data in full is recorded as a disclosure when it ends."""
    require(principal, Permission.AUDIT)
    personal = visibility(principal.roles).personal
    if personal and not (reason and reason.strip()):
        raise HTTPException(422, "an export that shows personal data needs a reason")
    runtime: Runtime = request.app.state.runtime
    flt = AuditFilter(
        event_type=event_type,
        aggregate_type=aggregate_type,
        actor=actor,
        branch=branch.upper() if branch else None,
        recorded_from=aware(request, recorded_from),
        recorded_to=aware(request, recorded_to),
        originator_id=aggregate_id,
    )
    try:
        check_filter(flt)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None

    def lines() -> Iterator[str]:
        digest, count = hashlib.sha256(), 0
        with runtime.cursor() as curs:
            for line in export_lines(runtime.app, curs, flt, principal.roles):
                digest.update(line.encode())
                count += 1
                yield line
        if personal and reason:
            record_disclosure(
                runtime,
                principal.staff_id,
                reason,
                kind=DisclosureKind.AUDIT_EXPORT,
                requested_by=principal.name,
                request={k: str(v) for k, v in flt.__dict__.items() if v is not None},
                digest=digest.hexdigest(),
                records=count,
                personal_data=True,
            )

    return StreamingResponse(lines(), media_type="application/x-ndjson")
