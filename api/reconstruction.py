"""Reconstruction packages for regulators: every order asked for, its full lifecycle, and the
client and instrument as they stood when it was received; a manifest proves the files and
ties them to the hash chain."""

from __future__ import annotations

import hashlib
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
from api.report import ReportOptions, pdf_unavailable, render_html, render_pdf
from api.staff_history import StaffHistory
from domain.application import BackOffice
from domain.instruments import instrument_id
from domain.privacy import FULL, Visibility, mask, visibility
from projections import clients as client_model
from projections import instruments as instrument_model
from projections import orders as order_model
from projections.clients import is_restricted

FORMAT = "backoffice-reconstruction/1"
FILES = ("package.json", "report.html", "report.pdf")


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


@dataclass(frozen=True)
class Requester:
    """Who asked for the package: the signed-in staff member, or the person named on the
    command line (with the operator who ran it)."""

    name: str
    via: str  # "token" or "command line"
    staff_id: UUID | None = None
    roles: tuple[str, ...] = ()
    operator: str | None = None

    def describe(self) -> dict[str, Any]:
        """The requester as recorded in the manifest."""
        return {k: plain(v) for k, v in self.__dict__.items() if v not in (None, ())}


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


def _event_json(r: RecordedEvent, seen: Visibility = FULL) -> dict[str, Any]:
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
        "fields": r.fields(seen),
        "chain_hash": r.chain_hash,
    }


def reconstruct_order(
    app: BackOffice,
    curs: Cursor[DictRow],
    order_id: UUID,
    staff: StaffHistory | None = None,
    roles: frozenset[str] | None = None,
) -> dict[str, Any]:
    """One order's reconstruction: lifecycle, client and instrument as at receipt, review,
    fills, feedback and flags; who acted named as the log knew them then. With ``roles``,
    personal data is masked as those roles see it (``domain.privacy``); without, in full
    (the operator's package for a regulator)."""
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
    seen = FULL if roles is None else visibility(roles, is_restricted(curs, received.client_id))
    lifecycle = [_event_json(r, seen) for r in events]
    staff = staff or StaffHistory(app, curs)
    for item, r in zip(lifecycle, events, strict=True):
        staff.annotate(item, r.envelope.actor, r.event.timestamp)
    client_json: dict[str, Any] | None = None
    if client_row is not None:
        manager = staff.as_at(client_row.account_manager, at)
        client_json = mask(plain(client_row.__dict__), seen)
        client_json["account_manager_name"] = None if manager is None else manager.name
    for item in lifecycle:
        by_type.setdefault(item["type"].split(".", 1)[1], []).append(item)
    review = by_type.get("Reviewed", [])
    return {
        "order_id": str(order_id),
        "order": mask(plain(order_row.__dict__), seen)
        | {"average_price": plain(order_row.average_price)},
        "lifecycle": lifecycle,
        "client_at_receipt": client_json,
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
    requester: Requester,
    out_dir: Path,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
    options: ReportOptions | None = None,
    with_pdf: bool = True,
    roles: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Write package.json, report.html, report.pdf (unless not wanted, or where this machine
    cannot print it) and manifest.json into ``out_dir``; return the manifest."""
    options = options or ReportOptions()
    order_ids = select_orders(curs, request)
    staff = StaffHistory(app, curs)
    orders = []
    for n, oid in enumerate(order_ids, start=1):
        orders.append(reconstruct_order(app, curs, oid, staff, roles))
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
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "request": request.describe(),
        "requested_by": requester.name,
        "requester": requester.describe(),
        "generated_at": plain(now),
        "report_locale": options.locale,
        "orders": len(orders),
        "notification_ids": {
            "min": min(positions, default=None),
            "max": max(positions, default=None),
        },
        "chain_head": None if head is None else str(head),
    }
    html = render_html(
        package, manifest | {"package_sha256": sha256_file(out_dir / "package.json")}, options
    )
    (out_dir / "report.html").write_text(html, encoding="utf-8")
    pdf = out_dir / "report.pdf"
    why_not = pdf_unavailable() if with_pdf else None
    if with_pdf and why_not is None:
        pdf.write_bytes(render_pdf(html))
    else:
        # No PDF rather than one that prints Chinese as boxes; the HTML prints elsewhere.
        pdf.unlink(missing_ok=True)
        if why_not is not None:
            manifest["report_pdf_missing"] = why_not
    manifest["files"] = {
        name: sha256_file(out_dir / name) for name in FILES if (out_dir / name).exists()
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
        stored = {
            e["notification_id"]: e["chain_hash"] for o in package["orders"] for e in o["lifecycle"]
        }
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
