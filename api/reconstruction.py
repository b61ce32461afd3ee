"""Reconstruction packages for regulators: every order asked for, its full lifecycle, and the
client and instrument as they stood when it was received; a manifest proves the files and
ties them to the hash chain."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from api import chain
from api.audit import RecordedEvent, plain, recorded_events, replay_rows
from api.database import Database
from domain.application import BackOffice
from domain.instruments import instrument_id
from domain.privacy import FULL
from projections import clients as client_model
from projections import instruments as instrument_model
from projections import orders as order_model

FORMAT = "backoffice-reconstruction/1"
FILES = ("package.json", "report.html")


@dataclass(frozen=True)
class Request:
    """What the regulator asked for: one order, one client's orders, or a period."""

    order_id: UUID | None = None
    client_id: UUID | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    branch: str | None = None

    def __post_init__(self) -> None:
        chosen = [
            self.order_id is not None,
            self.client_id is not None,
            self.received_from is not None or self.received_to is not None,
        ]
        if sum(chosen) != 1:
            raise ValueError("ask for exactly one of: an order, a client, or a period (from/to)")
        if (self.received_from is None) != (self.received_to is None):
            raise ValueError("a period needs both from and to")

    def describe(self) -> dict[str, Any]:
        """The request as recorded in the manifest."""
        return {k: plain(v) for k, v in self.__dict__.items() if v is not None}


def select_orders(curs: Cursor[DictRow], request: Request) -> list[UUID]:
    """The orders a request covers, in receipt order."""
    if request.order_id is not None:
        return [request.order_id]
    if request.client_id is not None:
        curs.execute(
            "SELECT id FROM orders WHERE client_id = %s ORDER BY received_at, id",
            (request.client_id,),
        )
    else:
        curs.execute(
            "SELECT id FROM orders WHERE received_at >= %s AND received_at < %s"
            " AND (%s::text IS NULL OR branch = %s) ORDER BY received_at, id",
            (request.received_from, request.received_to, request.branch, request.branch),
        )
    return [r["id"] for r in curs.fetchall()]


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


def reconstruct_order(app: BackOffice, curs: Cursor[DictRow], order_id: UUID) -> dict[str, Any]:
    """One order's reconstruction: lifecycle, client and instrument as at receipt, review,
    fills, feedback and flags."""
    events = recorded_events(app, curs, order_id)
    if not events:
        raise LookupError(f"order {order_id} is not in the event store")
    received = events[0].event
    at = received.timestamp
    client_events = recorded_events(app, curs, received.client_id, recorded_until=at)
    client_row = replay_rows(client_events, client_model.evolve)
    instrument_events = recorded_events(
        app, curs, instrument_id(received.instrument_code), recorded_until=at
    )
    instrument_row = replay_rows(instrument_events, instrument_model.evolve)
    order_row = replay_rows(events, order_model.evolve)
    by_type: dict[str, list[dict[str, Any]]] = {}
    lifecycle = [_event_json(r) for r in events]
    for item in lifecycle:
        by_type.setdefault(item["type"].split(".", 1)[1], []).append(item)
    review = by_type.get("Reviewed", [])
    return {
        "order_id": str(order_id),
        "order": plain(order_row.__dict__) | {"average_price": plain(order_row.average_price)},
        "lifecycle": lifecycle,
        "client_at_receipt": None if client_row is None else plain(client_row.__dict__),
        "client_events_considered": [r.notification_id for r in client_events],
        "instrument_at_receipt": None if instrument_row is None else plain(instrument_row.__dict__),
        "review": review[-1] if review else None,
        "fills": by_type.get("Filled", []),
        "cancellation": _last(by_type, "Cancelled"),
        "feedback": _last(by_type, "FedBack"),
        "flags": [
            item
            for kind in ("Flagged", "FlagCleared", "FlagEscalated")
            for item in by_type.get(kind, [])
        ],
        "risk_acknowledgements": by_type.get("RiskDisclosureAcknowledged", []),
    }


def _last(by_type: dict[str, list[dict[str, Any]]], kind: str) -> dict[str, Any] | None:
    found = by_type.get(kind)
    return found[-1] if found else None


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def build(
    app: BackOffice,
    database: Database,
    curs: Cursor[DictRow],
    request: Request,
    requested_by: str,
    out_dir: Path,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Write package.json, report.html and manifest.json into ``out_dir``; return the manifest."""
    order_ids = select_orders(curs, request)
    orders = []
    for n, oid in enumerate(order_ids, start=1):
        orders.append(reconstruct_order(app, curs, oid))
        if progress is not None:
            progress(n, len(order_ids))
    positions = [e["notification_id"] for o in orders for e in o["lifecycle"]]
    positions += [p for o in orders for p in o["client_events_considered"]]
    head = chain.digest(database)
    package = {
        "format": FORMAT,
        "request": request.describe(),
        "generated_at": plain(now),
        "orders": orders,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "package.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
    (out_dir / "report.html").write_text(render_html(package), encoding="utf-8")
    manifest = {
        "format": FORMAT,
        "request": request.describe(),
        "requested_by": requested_by,
        "generated_at": plain(now),
        "orders": len(orders),
        "notification_ids": {
            "min": min(positions, default=None),
            "max": max(positions, default=None),
        },
        "chain_head": None if head is None else str(head),
        "files": {name: sha256_file(out_dir / name) for name in FILES},
    }
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
    return manifest


@dataclass(frozen=True)
class PackageCheck:
    """The outcome of verifying a package."""

    problems: list[str]
    events_checked: int

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def verify_package(directory: Path, database: Database | None) -> PackageCheck:
    """Check every file against the manifest; with a database, check that every event in the
    package is still in the chain with the same hash and that the chain head recorded in the
    manifest is still proven."""
    problems: list[str] = []
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return PackageCheck([f"manifest.json unreadable: {exc}"], 0)
    for name, expected in manifest.get("files", {}).items():
        path = directory / name
        if not path.exists():
            problems.append(f"{name} is missing")
        elif sha256_file(path) != expected:
            problems.append(f"{name} does not match its SHA-256 in the manifest")
    checked = 0
    if database is not None and not problems:
        package = json.loads((directory / "package.json").read_text(encoding="utf-8"))
        records = [*package["orders"], *package.get("complaints", [])]
        stored = {e["notification_id"]: e["chain_hash"] for o in records for e in o["lifecycle"]}
        with database.connect() as conn:
            rows = conn.execute(
                "SELECT notification_id, chain_hash FROM backoffice_events"
                " WHERE notification_id = ANY(%s)",
                (list(stored),),
            ).fetchall()
        found = {r[0]: bytes(r[1]).hex() for r in rows}
        for nid, expected_hash in sorted(stored.items()):
            checked += 1
            if found.get(nid) != expected_hash:
                problems.append(f"event {nid} is not in the store with the packaged hash")
        if manifest.get("chain_head"):
            result = chain.verify(database, expect=chain.Digest.parse(manifest["chain_head"]))
            if not result.intact:
                problems.append(
                    f"the chain no longer proves the head in the manifest: broken at "
                    f"{result.broken_at} ({result.problem})"
                )
    return PackageCheck(problems, checked)


# -- the human-readable report -------------------------------------------------------------

_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#111}
h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:2px solid #333;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em;font-size:.9em}
th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#eee}.fail{color:#a00;font-weight:bold}.pass{color:#060}
.facts td:first-child{width:14em;font-weight:bold}
@media print{section{page-break-before:always}section:first-of-type{page-break-before:auto}}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _facts(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="facts">{body}</table>'


def _order_html(o: dict[str, Any]) -> str:
    order, client, inst = o["order"], o["client_at_receipt"] or {}, o["instrument_at_receipt"] or {}
    review = o["review"]
    parts = [f'<section id="order-{_e(o["order_id"])}"><h2>Order {_e(o["order_id"])}</h2>']
    parts.append(
        _facts(
            [
                ("Instrument", f"{order['instrument_code']} {inst.get('name', '')}"),
                ("Side / quantity", f"{order['side']} {order['quantity']}"),
                ("Type / limit price", f"{order['order_type']} {order['limit_price'] or ''}"),
                ("Channel", order["channel"]),
                ("Received at", order["received_at"]),
                ("Acting person", order["acting_person"] or "the client"),
                ("Status now", order["status"]),
                (
                    "Filled / average price",
                    f"{order['filled_quantity']} @ {order['average_price'] or '-'}",
                ),
            ]
        )
    )
    parts.append("<h3>Client as at receipt</h3>")
    parts.append(
        _facts(
            [
                ("Client", f"{client.get('name')} ({client.get('id')})"),
                ("Document", f"{client.get('document_type')} {client.get('document_number')}"),
                ("Risk level at receipt", client.get("risk_level")),
                ("Risk assessment valid until", client.get("risk_expires_on")),
                ("Investor classification", client.get("classification")),
                ("Qualified investor", client.get("qualified")),
                (
                    "Agreements",
                    ", ".join(
                        f"{a['agreement_type']} v{a['version']}"
                        for a in client.get("agreements", [])
                    ),
                ),
                ("Trading permissions", ", ".join(client.get("trading_permissions", []))),
                ("Status at receipt", client.get("status")),
            ]
        )
    )
    parts.append("<h3>Instrument as at receipt</h3>")
    parts.append(
        _facts(
            [
                ("Product risk level at receipt", inst.get("risk_level")),
                ("Board / lot", f"{inst.get('board')} / {inst.get('board_lot')}"),
                ("Status / restricted", f"{inst.get('status')} / {inst.get('restricted')}"),
            ]
        )
    )
    parts.append("<h3>Review</h3>")
    if review is None:
        parts.append("<p>Not reviewed.</p>")
    else:
        decision = "accepted" if review["fields"]["accepted"] else "rejected"
        codes = ", ".join(review["fields"]["reason_codes"]) or "none"
        parts.append(
            _facts(
                [
                    ("Decision", decision),
                    ("Reason codes", codes),
                    ("Reviewer", f"{review['actor']} ({review['actor_role']})"),
                    ("Reviewed at", review["occurred_at"]),
                ]
            )
        )
        rows = "".join(
            f'<tr><td>{_e(c["code"])}</td><td class="{"pass" if c["passed"] else "fail"}">'
            f"{'passed' if c['passed'] else 'FAILED'}</td><td>{_e(c['detail'])}</td></tr>"
            for c in review["fields"]["checks"]
        )
        parts.append(f"<table><tr><th>Check</th><th>Outcome</th><th>Detail</th></tr>{rows}</table>")
    parts.append("<h3>Lifecycle</h3>")
    rows = "".join(
        f"<tr><td>{_e(e['version'])}</td><td>{_e(e['type'])}</td><td>{_e(e['occurred_at'])}</td>"
        f"<td>{_e(e['actor'])}</td><td>{_e(e['actor_role'])}</td><td>{_e(e['reason'])}</td>"
        f"<td><code>{_e(e['chain_hash'][:16])}…</code></td></tr>"
        for e in o["lifecycle"]
    )
    parts.append(
        "<table><tr><th>#</th><th>Event</th><th>Business time</th><th>Actor</th><th>Role</th>"
        f"<th>Reason</th><th>Chain hash</th></tr>{rows}</table></section>"
    )
    return "".join(parts)


def render_html(package: dict[str, Any]) -> str:
    """A self-contained, printable report of the package."""
    request = ", ".join(f"{k}: {v}" for k, v in package["request"].items())
    body = "".join(_order_html(o) for o in package["orders"]) or "<p>No orders matched.</p>"
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>Transaction reconstruction</title><style>{_STYLE}</style></head><body>"
        f"<h1>Transaction reconstruction</h1><p>Request: {_e(request)}<br>"
        f"Generated at: {_e(package['generated_at'])}<br>Orders: {len(package['orders'])}</p>"
        f"{body}</body></html>"
    )
