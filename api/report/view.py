"""The report's view of a package: every value as a regulator reads it (labels instead of
codes, times in the branch's zone to the second, people by name and role then, amounts
formatted), computed here so that the templates only lay it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

from api.report import labels as L
from api.report.details import detail_text
from api.report.i18n import babel_locale
from api.report.labels import Gettext, label, yes_no
from api.report.options import ReportOptions


@dataclass(frozen=True)
class Fact:
    """One labelled value."""

    label: str
    value: str
    mono: bool = False


@dataclass(frozen=True)
class Check:
    """One review check and its outcome."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Review:
    """The (last) review of an order."""

    accepted: bool
    decision: str
    reviewer: str
    at: str
    reasons: list[str]
    checks: list[Check]


@dataclass(frozen=True)
class Fill:
    """One execution."""

    execution_id: str
    at: str
    quantity: str
    price: str
    amount: str
    cumulative: str
    recorded_by: str


@dataclass(frozen=True)
class Line:
    """One event of an order's lifecycle."""

    version: int
    notification_id: int
    event: str
    at: str
    actor: str
    summary: str
    recorded_at: str
    chain_hash: str


@dataclass
class OrderView:
    """One order's part of the report."""

    number: int
    order_id: str
    heading: str
    order: list[Fact]
    client: list[Fact]
    instrument: list[Fact]
    review: Review | None
    fills: list[Fill]
    fill_total: list[str]
    received_at: str = ""
    lifecycle: list[Line] = field(default_factory=list)


class Formatter:
    """Formats values for one report: its locale, its time zone."""

    def __init__(self, gettext: Gettext, options: ReportOptions) -> None:
        self._ = gettext
        self.zone = ZoneInfo(options.timezone)
        self.locale = babel_locale(options.locale)
        self.options = options

    def time(self, value: str | datetime | None) -> str:
        """``2026-10-25 13:32:38 UTC+8``: the branch's zone, to the second, zone shown."""
        if value is None or value == "":
            return "—"
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        local = moment.astimezone(self.zone)
        offset = local.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        sign = "+" if minutes >= 0 else "-"
        hours, rest = divmod(abs(minutes), 60)
        zone = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
        return f"{local:%Y-%m-%d %H:%M:%S} {zone}"

    def number(self, value: object, pattern: str = "#,##0") -> str:
        """A quantity or amount with digit grouping; "—" when there is none."""
        if value is None or value == "":
            return "—"
        return format_decimal(Decimal(str(value)), format=pattern, locale=self.locale)

    def price(self, value: object) -> str:
        """A price: at least two decimals, up to four."""
        return self.number(value, "#,##0.00##")

    def money(self, value: object) -> str:
        """An amount in yuan: two decimals."""
        return self.number(value, "#,##0.00")

    def branch(self, code: str | None) -> str:
        """``SH01 上海某路证券营业部`` when the branch's name is configured."""
        if not code:
            return "—"
        name = self.options.branch_names.get(code.upper())
        return f"{code} {name}" if name else code

    def actor(self, event: dict[str, Any]) -> str:
        """Who did it, by name, in which role, and whether they held that role then."""
        _ = self._
        role = event.get("actor_role")
        if role == "system":
            return label(_, L.ROLES, role)
        name = event.get("actor_name")
        if name is None:
            return _("unregistered actor %(id)s") % {"id": event.get("actor")}
        text = _("%(name)s (%(role)s)") % {"name": name, "role": label(_, L.ROLES, role)}
        if role not in (event.get("actor_roles_then") or []):
            text += _(", a role not held then")
        return text


def _summary(f: Formatter, e: dict[str, Any]) -> str:
    """What one event says, in a line."""
    _ = f._
    kind, x = e["type"], e["fields"]
    if kind == "Order.Received":
        text = _("%(side)s %(quantity)s, %(type)s %(price)s, by %(channel)s") % {
            "side": label(_, L.SIDES, x.get("side")),
            "quantity": f.number(x.get("quantity")),
            "type": label(_, L.ORDER_TYPES, x.get("order_type")),
            "price": f.price(x.get("limit_price")) if x.get("limit_price") else "",
            "channel": label(_, L.CHANNELS, x.get("channel")),
        }
        if x.get("acting_person"):
            text += _("; given by %(person)s for the client") % {"person": x["acting_person"]}
    elif kind == "Order.Flagged":
        text = _("; ").join(label(_, L.ABNORMAL_RULES, r) for r in x.get("rules", []))
    elif kind in ("Order.FlagCleared", "Order.FlagEscalated"):
        text = x.get("note") or ""
    elif kind == "Order.RiskDisclosureAcknowledged":
        text = _("warning %(ref)s signed %(at)s") % {
            "ref": x.get("warning_ref"),
            "at": f.time(x.get("signed_at")),
        }
    elif kind == "Order.Reviewed":
        text = _("accepted") if x.get("accepted") else _("rejected")
    elif kind == "Order.Filled":
        text = _("execution %(id)s: %(quantity)s at %(price)s") % {
            "id": x.get("execution_id"),
            "quantity": f.number(x.get("quantity")),
            "price": f.price(x.get("price")),
        }
    elif kind == "Order.Cancelled":
        text = _("%(quantity)s cancelled, %(cause)s") % {
            "quantity": f.number(x.get("quantity")),
            "cause": label(_, L.CANCEL_CAUSES, x.get("cause")),
        }
    elif kind == "Order.FedBack":
        text = _("by %(channel)s at %(at)s") % {
            "channel": label(_, L.CHANNELS, x.get("channel")),
            "at": f.time(x.get("fed_back_at")),
        }
    else:
        text = ""
    if e.get("reason"):
        text += (_("; ") if text else "") + _("reason: %(reason)s") % {"reason": e["reason"]}
    return text


def _review(f: Formatter, review: dict[str, Any] | None) -> Review | None:
    if review is None:
        return None
    _ = f._
    x = review["fields"]
    checks = [
        Check(label(_, L.CHECKS, c["code"]), bool(c["passed"]), detail_text(_, c["detail"]))
        for c in x.get("checks", [])
    ]
    return Review(
        accepted=bool(x["accepted"]),
        decision=_("accepted") if x["accepted"] else _("rejected"),
        reviewer=f.actor(review),
        at=f.time(review["occurred_at"]),
        reasons=[label(_, L.REJECTION_REASONS, code) for code in x.get("reason_codes", [])],
        checks=checks,
    )


def _fills(f: Formatter, fills: list[dict[str, Any]]) -> tuple[list[Fill], list[str]]:
    lines, done, total = [], 0, Decimal(0)
    for e in fills:
        x = e["fields"]
        quantity, price = int(x["quantity"]), Decimal(str(x["price"]))
        done += quantity
        total += quantity * price
        lines.append(
            Fill(
                execution_id=str(x["execution_id"]),
                at=f.time(x.get("executed_at")),
                quantity=f.number(quantity),
                price=f.price(price),
                amount=f.money(quantity * price),
                cumulative=f.number(done),
                recorded_by=f.actor(e),
            )
        )
    average = f.price((total / done).quantize(Decimal("0.0001"))) if done else "—"
    return lines, [f.number(done), average, f.money(total)]


def order_view(f: Formatter, number: int, o: dict[str, Any]) -> OrderView:
    """One packaged order as the report shows it."""
    _ = f._
    order = o["order"]
    client = o.get("client_at_receipt") or {}
    inst = o.get("instrument_at_receipt") or {}
    received = o["lifecycle"][0] if o["lifecycle"] else {}
    side = label(_, L.SIDES, order["side"])
    heading = (
        f"{order['instrument_code']} {inst.get('name', '')} · {side} {f.number(order['quantity'])}"
    )
    cancelled = ""
    if order.get("cancelled_quantity"):
        cancelled = _("%(quantity)s, %(cause)s") % {
            "quantity": f.number(order["cancelled_quantity"]),
            "cause": label(_, L.CANCEL_CAUSES, order.get("cancel_cause")),
        }
    facts = [
        Fact(_("Order number"), o["order_id"], mono=True),
        Fact(_("Branch"), f.branch(order.get("branch"))),
        Fact(_("Securities account"), order["account_number"], mono=True),
        Fact(_("Instrument"), f"{order['instrument_code']} {inst.get('name', '')}"),
        Fact(_("Side"), side),
        Fact(_("Quantity"), f.number(order["quantity"])),
        Fact(_("Order type"), label(_, L.ORDER_TYPES, order["order_type"])),
        Fact(_("Limit price"), f.price(order.get("limit_price"))),
        Fact(_("Channel"), label(_, L.CHANNELS, order["channel"])),
        Fact(_("Received at"), f.time(order["received_at"])),
        Fact(_("Taken by"), f.actor(received) if received else "—"),
        Fact(_("Given by"), order.get("acting_person") or _("the client in person")),
        Fact(_("Status"), label(_, L.ORDER_STATUSES, order["status"])),
        Fact(_("Risk flag"), label(_, L.FLAG_STATUSES, order.get("flag_status"))),
        Fact(_("Filled quantity"), f.number(order.get("filled_quantity"))),
        Fact(_("Average fill price"), f.price(order.get("average_price"))),
        Fact(_("Cancelled"), cancelled or "—"),
        Fact(_("Result reported to client"), f.time(order.get("fed_back_at"))),
    ]
    agreements = "; ".join(
        f"{label(_, L.AGREEMENTS, a.get('agreement_type'))} v{a.get('version')}"
        for a in client.get("agreements", [])
    )
    owners = "; ".join(
        f"{b.get('name')} {b.get('share')}%" for b in client.get("beneficial_owners", [])
    )
    permissions = ", ".join(label(_, L.BOARDS, p) for p in client.get("trading_permissions", []))
    contact = client.get("contact") or {}
    manager = client.get("account_manager_name") or client.get("account_manager")
    client_facts = [
        Fact(_("Client"), str(client.get("name", "—"))),
        Fact(_("Client number"), str(client.get("id", "—")), mono=True),
        Fact(_("Client type"), label(_, L.CLIENT_TYPES, client.get("client_type"))),
        Fact(_("Account status"), label(_, L.CLIENT_STATUSES, client.get("status"))),
        Fact(_("Identity document"), label(_, L.DOCUMENT_TYPES, client.get("document_type"))),
        Fact(_("Document number"), str(client.get("document_number") or "—"), mono=True),
        Fact(_("Identity verified"), yes_no(_, client.get("identity_verified"))),
        Fact(_("Mobile"), str(contact.get("mobile") or "—")),
        Fact(_("Risk level"), str(client.get("risk_level") or _("not assessed"))),
        Fact(_("Assessment valid until"), str(client.get("risk_expires_on") or "—")),
        Fact(
            _("Investor classification"),
            label(_, L.INVESTOR_CLASSES, client.get("classification")),
        ),
        Fact(_("Qualified investor"), yes_no(_, client.get("qualified"))),
        Fact(_("Board permissions"), permissions or _("none")),
        Fact(_("Account manager"), str(manager or "—")),
        Fact(_("Agreements signed"), agreements or _("none")),
        Fact(_("Beneficial owners"), owners or "—"),
    ]
    instrument_facts = [
        Fact(
            _("Instrument"), f"{inst.get('code', order['instrument_code'])} {inst.get('name', '')}"
        ),
        Fact(_("Board"), label(_, L.BOARDS, inst.get("board"))),
        Fact(_("Product risk level"), str(inst.get("risk_level") or "—")),
        Fact(_("Board lot"), f.number(inst.get("board_lot"))),
        Fact(_("Trading status"), label(_, L.INSTRUMENT_STATUSES, inst.get("status"))),
        Fact(_("On the restricted list"), yes_no(_, inst.get("restricted"))),
    ]
    fills, total = _fills(f, o.get("fills", []))
    lifecycle = [
        Line(
            version=int(e["version"]),
            notification_id=int(e["notification_id"]),
            event=label(_, L.EVENTS, e["type"]),
            at=f.time(e.get("occurred_at")),
            actor=f.actor(e),
            summary=_summary(f, e),
            recorded_at=f.time(e.get("recorded_at")),
            chain_hash=str(e["chain_hash"]),
        )
        for e in o["lifecycle"]
    ]
    return OrderView(
        number=number,
        order_id=o["order_id"],
        heading=heading,
        order=facts,
        client=client_facts,
        instrument=instrument_facts,
        review=_review(f, o.get("review")),
        fills=fills,
        fill_total=total,
        received_at=f.time(order["received_at"]),
        lifecycle=lifecycle,
    )
