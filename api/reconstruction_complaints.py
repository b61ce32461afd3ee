"""A complaint's reconstruction package, in the format of the order packages
(``api.reconstruction``): its full history straight from the event store with who acted
(named as the log knew them then), the complaint as its read model's own ``evolve`` replays
it, the client and the deadline terms as they stood at receipt; a report (HTML, and A4 PDF
where this machine can print Chinese) and a manifest with the requester, the chain head and
the SHA-256 of each file, so that ``verify-package`` checks it like any other package."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg import Cursor
from psycopg.rows import DictRow

from api import chain
from api.audit import RecordedEvent, plain, recorded_events, replay_rows
from api.database import Database
from api.package_seal import Seal
from api.reconstruction import FORMAT, Requester, _event_json, write_package
from api.report import ReportOptions
from api.staff_history import StaffHistory
from domain.application import BackOffice
from domain.complaints import POLICY_ID, Complaint
from domain.privacy import FULL, mask, visibility
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


def reconstruct_complaint(
    app: BackOffice,
    curs: Cursor[DictRow],
    complaint_id: UUID,
    staff: StaffHistory | None = None,
    roles: frozenset[str] | None = None,
) -> dict[str, Any]:
    """One complaint's reconstruction: every event, and what was known at receipt. With
    ``roles``, personal data is masked as those roles see it; without, in full."""
    events = recorded_events(app, curs, complaint_id)
    if not events or not isinstance(events[0].event, Complaint.Received):
        raise LookupError(f"complaint {complaint_id} is not in the event store")
    received: Complaint.Received = events[0].event
    at = received.timestamp
    client_events: list[RecordedEvent] = []
    client_row = None
    restricted = False
    if received.client_id is not None:
        client_events = recorded_events(app, curs, received.client_id, recorded_until=at)
        client_row = replay_rows(client_events, client_model.evolve)
        restricted = client_model.is_restricted(curs, received.client_id)
    seen = FULL if roles is None else visibility(roles, restricted)
    policy_events = recorded_events(app, curs, POLICY_ID, recorded_until=at)
    row = replay_rows(events, complaint_model.evolve)
    lifecycle = [_event_json(r, seen) for r in events]
    staff = staff or StaffHistory(app, curs)
    for item, r in zip(lifecycle, events, strict=True):
        staff.annotate(item, r.envelope.actor, r.event.timestamp)
    short = [(item["type"].split(".", 1)[1], item) for item in lifecycle]
    return {
        "complaint_id": str(complaint_id),
        "number": received.number,
        "complaint": mask(plain(row.__dict__), seen),
        "lifecycle": lifecycle,
        "client_at_receipt": None if client_row is None else mask(plain(client_row.__dict__), seen),
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
    requester: Requester,
    out_dir: Path,
    now: datetime,
    options: ReportOptions | None = None,
    with_pdf: bool = True,
    roles: frozenset[str] | None = None,
    seal: Seal | None = None,
) -> dict[str, Any]:
    """Write one complaint's package (``api.reconstruction.write_package``); the manifest."""
    options = options or ReportOptions()
    complaint = reconstruct_complaint(app, curs, complaint_id, roles=roles)
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
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "request": request,
        "requested_by": requester.name,
        "requester": requester.describe(),
        "generated_at": plain(now),
        "report_locale": options.locale,
        "orders": 0,
        "complaints": 1,
        "notification_ids": {"min": min(positions), "max": max(positions)},
        "chain_head": None if head is None else str(head),
    }
    return write_package(
        out_dir, package, manifest, lambda m: render_html(package, m, options), with_pdf, seal
    )


# -- the report ------------------------------------------------------------------------------

_STYLE = (
    "@page{size:A4;margin:18mm 15mm}"
    'body{font-family:"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",'
    '"Microsoft YaHei",sans-serif;color:#111;font-size:10pt}'
    "h1{font-size:15pt}h2{font-size:12pt;border-bottom:1px solid #333}"
    "table{border-collapse:collapse;width:100%;margin:.5em 0 1em}"
    "th,td{border:1px solid #999;padding:.2em .4em;text-align:left;vertical-align:top}"
    "th{background:#eee;width:11em}td code{font-size:7pt;word-break:break-all}"
)
LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "投诉记录重建",
        "generated": "生成时间",
        "requested_by": "申请人",
        "chain_head": "导出时哈希链头",
        "number": "投诉编号",
        "branch": "营业部",
        "received": "受理时间",
        "channel": "渠道 / 类别",
        "complainant": "投诉人",
        "content": "投诉内容",
        "owner": "首问责任人 / 当前承办人",
        "status": "当前状态",
        "reply_due": "答复期限",
        "cause": "原因 / 责任部门",
        "resolution": "批准的处理意见",
        "policy": "受理时适用的时限规定",
        "history": "处理经过",
        "event": "事项",
        "time": "业务时间",
        "actor": "经办人（当时角色）",
        "reason": "理由",
        "hash": "链哈希",
        "anonymous": "匿名",
        "version": "版本",
    },
    "en": {
        "title": "Complaint reconstruction",
        "generated": "Generated at",
        "requested_by": "Requested by",
        "chain_head": "Chain head at export",
        "number": "Number",
        "branch": "Branch",
        "received": "Received at",
        "channel": "Channel / category",
        "complainant": "Complainant",
        "content": "Content",
        "owner": "First responder / owner",
        "status": "Status now",
        "reply_due": "Reply due on",
        "cause": "Cause / department",
        "resolution": "Approved resolution",
        "policy": "Deadline terms at receipt",
        "history": "History",
        "event": "Event",
        "time": "Business time",
        "actor": "Actor (roles then)",
        "reason": "Reason",
        "hash": "Chain hash",
        "anonymous": "anonymous",
        "version": "version",
    },
}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def render_html(package: dict[str, Any], manifest: dict[str, Any], options: ReportOptions) -> str:
    """A self-contained, printable report of a complaint package, in the package's language,
    times in the branch's time zone."""
    t = LABELS["en" if options.locale.startswith("en") else "zh-CN"]
    zone = ZoneInfo(options.timezone)

    def when(text: str | None) -> str:
        if not text:
            return ""
        return datetime.fromisoformat(text).astimezone(zone).isoformat(timespec="seconds")

    def who(e: dict[str, Any]) -> str:
        name = e.get("actor_name") or e["actor"]
        roles = e.get("actor_roles_then") or [e["actor_role"]]
        return f"{name}（{', '.join(roles)}）"

    parts = []
    for c in package["complaints"]:
        row, terms = c["complaint"], c["deadline_policy_at_receipt"]
        responder = next((who(e) for e in c["lifecycle"][:1]), row["first_responder"])
        facts = [
            (t["number"], row["number"]),
            (t["branch"], options.branch_names.get(row["branch"], row["branch"])),
            (t["received"], when(row["received_at"])),
            (t["channel"], f"{row['channel']} / {row['category']}"),
            (
                t["complainant"],
                row["client_id"] or row["complainant_name"] or t["anonymous"],
            ),
            (t["content"], row["content"]),
            (t["owner"], f"{responder} / {row['owner']}"),
            (t["status"], row["status"]),
            (t["reply_due"], row["reply_due_on"]),
            (t["cause"], f"{row['cause'] or '-'} / {row['department'] or '-'}"),
            (t["resolution"], row["approved_resolution"]),
            (
                t["policy"],
                f"{t['version']} {terms['version']}: {terms['reply_days']} / "
                f"{terms['branch_days']} / {terms['marketing_days']} / "
                f"{terms['department_days']}",
            ),
        ]
        rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts)
        steps = "".join(
            f"<tr><td>{_e(e['version'])}</td><td>{_e(e['type'].split('.', 1)[1])}</td>"
            f"<td>{_e(when(e['occurred_at']))}</td><td>{_e(who(e))}</td>"
            f"<td>{_e(e['reason'])}</td><td><code>{_e(e['chain_hash'])}</code></td></tr>"
            for e in c["lifecycle"]
        )
        parts.append(
            f"<section><h2>{_e(t['number'])} {_e(c['number'])}</h2><table>{rows}</table>"
            f"<h3>{_e(t['history'])}</h3><table><tr><th>#</th><th>{_e(t['event'])}</th>"
            f"<th>{_e(t['time'])}</th><th>{_e(t['actor'])}</th><th>{_e(t['reason'])}</th>"
            f"<th>{_e(t['hash'])}</th></tr>{steps}</table></section>"
        )
    heading = f"{options.firm_name} — {t['title']}" if options.firm_name else t["title"]
    return (
        f'<!DOCTYPE html><html lang="{_e(options.locale)}"><head><meta charset="utf-8">'
        f"<title>{_e(t['title'])}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(heading)}</h1><p>{_e(t['generated'])}: {_e(when(package['generated_at']))}"
        f"<br>{_e(t['requested_by'])}: {_e(manifest['requested_by'])}"
        f"<br>{_e(t['chain_head'])}: <code>{_e(manifest['chain_head'])}</code></p>"
        f"{''.join(parts)}</body></html>"
    )
