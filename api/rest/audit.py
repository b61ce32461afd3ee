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
from api.clocks import Clock
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
    "clock",
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
    start: datetime | None = Query(
        None, alias="from", description="At or after this time, by `clock` (no zone: branch's)."
    ),
    end: datetime | None = Query(
        None, alias="to", description="Before this time, by `clock` (no zone: branch's)."
    ),
    clock: Clock = Query(
        Clock.RECORDED,
        description="Which time from/to compare: recorded (when the store recorded the event) "
        "or business (the time its command gave).",
    ),
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
    start, end = aware(request, start), aware(request, end)
    recorded = clock is Clock.RECORDED
    flt = AuditFilter(
        event_type=event_type,
        aggregate_type=aggregate_type,
        actor=actor,
        branch=branch.upper() if branch else None,
        recorded_from=start if recorded else None,
        recorded_to=end if recorded else None,
        originator_id=aggregate_id,
        occurred_from=None if recorded else start,
        occurred_to=None if recorded else end,
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
