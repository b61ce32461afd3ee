"""Recording what leaves the system: every reconstruction package and every personal-data
export becomes a ``Disclosure.Made`` event (who asked, what, its digest, why)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

from api.runtime import Runtime
from domain.disclosures import DisclosureKind, RecordDisclosure


def record_disclosure(
    runtime: Runtime,
    actor: UUID,
    reason: str,
    *,
    kind: DisclosureKind,
    requested_by: str,
    request: dict[str, Any],
    digest: str,
    records: int,
    personal_data: bool,
) -> int | None:
    """Record one disclosure as ``actor`` (a staff member, or the operator); the position."""
    result = runtime.app.execute(
        RecordDisclosure(
            disclosure_id=uuid4(),
            kind=kind,
            requested_by=requested_by,
            request=json.dumps(request, ensure_ascii=False, sort_keys=True, default=str),
            digest=digest,
            records=records,
            personal_data=personal_data,
        ),
        runtime.context(actor, reason=reason),
    )
    return result.position
