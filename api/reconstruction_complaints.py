"""A complaint's reconstruction package, in the format of the order packages
(``api.reconstruction``): its full history straight from the event store, the complaint as
its read model's own ``evolve`` replays it, the client and the deadline policy as they stood
at receipt, and a manifest with the chain head and the SHA-256 of each file, so that
``verify-package`` checks it like any other package."""

from __future__ import annotations

import html
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from api import chain
from api.audit import RecordedEvent, plain, recorded_events, replay_rows
from api.database import Database
from api.reconstruction import FILES, FORMAT, sha256_file
from domain.application import BackOffice
from domain.complaints import POLICY_ID, Complaint
from domain.privacy import FULL
from projections import clients as client_model
from projections import complaints as complaint_model

#: Events of each part of the story, by type name.
PARTS = {
    "ownership": ("OwnershipTransferred",),
    "handling": ("TakenIntoHandling", "Assigned", "NoteAdded"),
    "resolution": (
        "ResolvedAtOnce",
        "ResolutionProposed",
        "ResolutionApproved",
        "ResolutionReturned",
    ),
    "replies": ("ResolvedAtOnce", "Replied"),
    "feedback": ("FeedbackRecorded",),
    "chases": ("Chased",),
    "closing": ("Closed", "Reopened"),
}


def _event_json(r: RecordedEvent) -> dict[str, Any]:
    e = r.envelope
    return {
        "notification_id": r.notification_id,
        "version": r.event.originator_version,
        "type": r.type_name,
        "recorded_at": plain(r.event.timestamp),
        "occurred_at": plain(e.occurred_at),
        "actor": str(e.actor),
        "actor_role": e.actor_role,
        "branch": e.branch_id,
        "reason": e.reason,
        "correlation_id": str(e.correlation_id),
        "fields": r.fields(FULL),
        "chain_hash": r.chain_hash,
    }


def reconstruct_complaint(
    app: BackOffice, curs: Cursor[DictRow], complaint_id: UUID
) -> dict[str, Any]:
    """One complaint's reconstruction: every event, and what was known at receipt."""
    events = recorded_events(app, curs, complaint_id)
    if not events or not isinstance(events[0].event, Complaint.Received):
        raise LookupError(f"complaint {complaint_id} is not in the event store")
    received: Complaint.Received = events[0].event
    at = received.timestamp
    client_events: list[RecordedEvent] = []
    client_row = None
    if received.client_id is not None:
        client_events = recorded_events(app, curs, received.client_id, recorded_until=at)
        client_row = replay_rows(client_events, client_model.evolve)
    policy_events = recorded_events(app, curs, POLICY_ID, recorded_until=at)
    row = replay_rows(events, complaint_model.evolve)
    lifecycle = [_event_json(r) for r in events]
    short = [(item["type"].split(".", 1)[1], item) for item in lifecycle]
    return {
        "complaint_id": str(complaint_id),
        "number": received.number,
        "complaint": plain(row.__dict__),
        "lifecycle": lifecycle,
        "client_at_receipt": None if client_row is None else plain(client_row.__dict__),
        "client_events_considered": [r.notification_id for r in client_events],
        "deadline_policy_at_receipt": {
            "version": received.policy_version,
            "reply_days": received.reply_days,
            "branch_days": received.branch_days,
            "marketing_days": received.marketing_days,
            "department_days": received.department_days,
            "events": [_event_json(r) for r in policy_events],
        },
        **{part: [item for kind, item in short if kind in kinds] for part, kinds in PARTS.items()},
    }


def build_complaint_package(
    app: BackOffice,
    database: Database,
    curs: Cursor[DictRow],
    complaint_id: UUID,
    requested_by: str,
    out_dir: Path,
    now: datetime,
) -> dict[str, Any]:
    """Write package.json, report.html and manifest.json for one complaint; return the
    manifest."""
    complaint = reconstruct_complaint(app, curs, complaint_id)
    request = {"complaint_id": str(complaint_id)}
    positions = [e["notification_id"] for e in complaint["lifecycle"]]
    positions += complaint["client_events_considered"]
    head = chain.digest(database)
    package = {
        "format": FORMAT,
        "request": request,
        "generated_at": plain(now),
        "orders": [],
        "complaints": [complaint],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "package.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
    (out_dir / "report.html").write_text(render_html(package), encoding="utf-8")
    manifest = {
        "format": FORMAT,
        "request": request,
        "requested_by": requested_by,
        "generated_at": plain(now),
        "orders": 0,
        "complaints": 1,
        "notification_ids": {"min": min(positions), "max": max(positions)},
        "chain_head": None if head is None else str(head),
        "files": {name: sha256_file(out_dir / name) for name in FILES},
    }
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
    return manifest


_STYLE = (
    'body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#111}'
    "table{border-collapse:collapse;width:100%;margin:.5em 0 1em;font-size:.9em}"
    "th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}"
    "th{background:#eee}"
)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def render_html(package: dict[str, Any]) -> str:
    """A self-contained, printable report of a complaint package."""
    parts = []
    for c in package["complaints"]:
        row = c["complaint"]
        facts = [
            ("Number", row["number"]),
            ("Branch", row["branch"]),
            ("Received at", row["received_at"]),
            ("Channel / category", f"{row['channel']} / {row['category']}"),
            ("Client", row["client_id"] or row["complainant_name"] or "anonymous"),
            ("Content", row["content"]),
            ("First responder / owner", f"{row['first_responder']} / {row['owner']}"),
            ("Status now", row["status"]),
            ("Reply due on", row["reply_due_on"]),
            ("Cause / department", f"{row['cause'] or '-'} / {row['department'] or '-'}"),
            ("Approved resolution", row["approved_resolution"]),
            ("Deadline policy at receipt", f"version {c['deadline_policy_at_receipt']['version']}"),
        ]
        rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts)
        steps = "".join(
            f"<tr><td>{_e(e['version'])}</td><td>{_e(e['type'])}</td>"
            f"<td>{_e(e['occurred_at'])}</td><td>{_e(e['actor'])}</td>"
            f"<td>{_e(e['actor_role'])}</td><td>{_e(e['reason'])}</td>"
            f"<td><code>{_e(e['chain_hash'][:16])}…</code></td></tr>"
            for e in c["lifecycle"]
        )
        parts.append(
            f"<section><h2>Complaint {_e(c['number'])}</h2><table>{rows}</table>"
            "<h3>History</h3><table><tr><th>#</th><th>Event</th><th>Business time</th>"
            f"<th>Actor</th><th>Role</th><th>Reason</th><th>Chain hash</th></tr>{steps}"
            "</table></section>"
        )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>Complaint reconstruction</title><style>{_STYLE}</style></head><body>"
        f"<h1>Complaint reconstruction</h1><p>Generated at: {_e(package['generated_at'])}</p>"
        f"{''.join(parts)}</body></html>"
    )
