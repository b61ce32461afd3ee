"""The order blotter, each order's lifecycle timeline, the risk-management queue, and the
trader KPIs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from domain.orders import FlagStatus, Order, OrderStatus
from projections.base import ReadModel, select_one, upsert
from projections.paging import BadCursor, Page, check_first, decode_cursor, encode_cursor


@dataclass(frozen=True)
class OrderRow:
    """One row of ``orders``."""

    id: UUID
    client_id: UUID
    branch: str
    acting_person: str | None
    account_number: str
    instrument_code: str
    side: str
    quantity: int
    order_type: str
    limit_price: Decimal | None
    channel: str
    received_at: datetime
    received_on: date
    taken_by: UUID
    status: str
    flag_status: str
    version: int
    position: int
    flag_rules: list[str] = field(default_factory=list)
    risk_acknowledged: bool = False
    reviewed_by: UUID | None = None
    reviewed_at: datetime | None = None
    reason_codes: list[str] = field(default_factory=list)
    filled_quantity: int = 0
    filled_amount: Decimal = Decimal(0)
    last_executed_at: datetime | None = None
    cancelled_quantity: int = 0
    cancel_cause: str | None = None
    fed_back_at: datetime | None = None
    feedback_channel: str | None = None
    archived_at: datetime | None = None

    @property
    def average_price(self) -> Decimal | None:
        """Volume-weighted price of the fills."""
        if not self.filled_quantity:
            return None
        return (self.filled_amount / self.filled_quantity).quantize(Decimal("0.0001"))


def evolve(row: OrderRow | None, event: DomainEventProtocol[Any], position: int) -> OrderRow:
    """The blotter row after ``event``: a pure function of the row before it."""
    at: datetime = event.envelope.occurred_at  # type: ignore[attr-defined]
    if isinstance(event, Order.Received):
        return OrderRow(
            id=event.originator_id,
            client_id=event.client_id,
            branch=event.branch,
            acting_person=event.acting_person,
            account_number=event.account_number,
            instrument_code=event.instrument_code,
            side=event.side,
            quantity=event.quantity,
            order_type=event.order_type,
            limit_price=event.limit_price,
            channel=event.channel,
            received_at=event.received_at,
            received_on=event.received_on,
            taken_by=event.envelope.actor,
            status=OrderStatus.RECEIVED.value,
            flag_status=FlagStatus.NONE.value,
            version=event.originator_version,
            position=position,
        )
    if row is None:
        raise LookupError(f"{type(event).__name__} for unknown order {event.originator_id}")
    row = replace(row, version=event.originator_version, position=position)
    if isinstance(event, Order.Flagged):
        return replace(row, flag_status=FlagStatus.OPEN.value, flag_rules=list(event.rules))
    if isinstance(event, Order.FlagCleared):
        return replace(row, flag_status=FlagStatus.CLEARED.value)
    if isinstance(event, Order.FlagEscalated):
        return replace(row, flag_status=FlagStatus.ESCALATED.value)
    if isinstance(event, Order.RiskDisclosureAcknowledged):
        return replace(row, risk_acknowledged=True)
    if isinstance(event, Order.Reviewed):
        status = OrderStatus.ACCEPTED if event.accepted else OrderStatus.REJECTED
        return replace(
            row,
            status=status.value,
            reviewed_by=event.envelope.actor,
            reviewed_at=at,
            reason_codes=list(event.reason_codes),
        )
    if isinstance(event, Order.Filled):
        filled = row.filled_quantity + event.quantity
        status = OrderStatus.FILLED if filled == row.quantity else OrderStatus.PARTIALLY_FILLED
        return replace(
            row,
            status=status.value,
            filled_quantity=filled,
            filled_amount=row.filled_amount + event.price * event.quantity,
            last_executed_at=event.executed_at,
        )
    if isinstance(event, Order.Cancelled):
        return replace(
            row,
            status=OrderStatus.CANCELLED.value,
            cancelled_quantity=event.quantity,
            cancel_cause=event.cause,
        )
    if isinstance(event, Order.FedBack):
        return replace(row, fed_back_at=event.fed_back_at, feedback_channel=event.channel)
    if isinstance(event, Order.Archived):
        return replace(row, status=OrderStatus.ARCHIVED.value, archived_at=at)
    return row


def timeline_entry(event: DomainEventProtocol[Any], position: int) -> dict[str, Any]:
    """The timeline row of one order event: who did what, when, in which role, and why."""
    envelope = event.envelope  # type: ignore[attr-defined]
    details = {
        k: (str(v) if isinstance(v, Decimal | UUID | datetime | date) else v)
        for k, v in event.__dict__.items()
        if k not in ("originator_id", "originator_version", "timestamp", "envelope")
    }
    return {
        "order_id": event.originator_id,
        "version": event.originator_version,
        "position": position,
        "event_type": type(event).__name__,
        "occurred_at": envelope.occurred_at,
        "actor": envelope.actor,
        "actor_role": envelope.actor_role,
        "reason": envelope.reason,
        "details": Jsonb(details),
    }


_COLUMNS = tuple(OrderRow.__dataclass_fields__)


def _row(found: DictRow) -> OrderRow:
    return OrderRow(**found)


def get(curs: Cursor[DictRow], order_id: UUID) -> OrderRow | None:
    """One order."""
    found = select_one(curs, "orders", _COLUMNS, "id = %s", order_id)
    return None if found is None else _row(found)


class OrderModel(ReadModel):
    """Rows in ``orders`` and ``order_timeline``."""

    name = "orders"
    topics = tuple(
        get_topic(c)
        for c in (
            Order.Received,
            Order.Flagged,
            Order.FlagCleared,
            Order.FlagEscalated,
            Order.RiskDisclosureAcknowledged,
            Order.Reviewed,
            Order.Filled,
            Order.Cancelled,
            Order.FedBack,
            Order.Archived,
        )
    )
    tables = ("orders", "order_timeline")

    def apply(self, curs: Cursor[DictRow], event: DomainEventProtocol[Any], position: int) -> None:
        row = evolve(get(curs, event.originator_id), event, position)
        upsert(curs, "orders", asdict(row))
        upsert(curs, "order_timeline", timeline_entry(event, position), key="order_id, version")


# -- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One step of an order's life."""

    version: int
    position: int
    event_type: str
    occurred_at: datetime
    actor: UUID
    actor_role: str
    reason: str | None
    details: dict[str, Any]


def timeline(curs: Cursor[DictRow], order_id: UUID) -> list[TimelineEntry]:
    """Every event of an order, in order."""
    curs.execute(
        "SELECT version, position, event_type, occurred_at, actor, actor_role, reason, details"
        " FROM order_timeline WHERE order_id = %s ORDER BY version",
        (order_id,),
    )
    return [TimelineEntry(**r) for r in curs.fetchall()]


@dataclass(frozen=True)
class OrderFilter:
    """Filters of the blotter; None means any."""

    branch: str | None = None
    client_id: UUID | None = None
    instrument_code: str | None = None
    status: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    flagged: bool | None = None


def page(curs: Cursor[DictRow], flt: OrderFilter, first: int, after: str | None) -> Page[OrderRow]:
    """Orders by receipt time, ``first`` at a time after the cursor ``after``."""
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    for column, value in (
        ("branch", flt.branch),
        ("client_id", flt.client_id),
        ("instrument_code", flt.instrument_code),
        ("status", flt.status),
    ):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if flt.received_from is not None:
        where.append("received_on >= %s")
        params.append(flt.received_from)
    if flt.received_to is not None:
        where.append("received_on <= %s")
        params.append(flt.received_to)
    if flt.flagged is not None:
        where.append("(flag_status <> 'none') = %s")
        params.append(flt.flagged)
    if after is not None:
        key = decode_cursor(after)
        try:
            where.append("(received_at, id) > (%s, %s)")
            params.extend([datetime.fromisoformat(str(key[0])), UUID(str(key[1]))])
        except (ValueError, IndexError):
            raise BadCursor("cursor is not one this service handed out") from None
    curs.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM orders WHERE {' AND '.join(where)}"  # noqa: S608
        " ORDER BY received_at, id LIMIT %s",
        [*params, check_first(first) + 1],
    )
    rows = [_row(r) for r in curs.fetchall()]
    has_next = len(rows) > first
    rows = rows[:first]
    end = encode_cursor([rows[-1].received_at.isoformat(), str(rows[-1].id)]) if rows else None
    return Page(rows, end, has_next)


def flagged(curs: Cursor[DictRow], branch: str | None) -> list[OrderRow]:
    """The risk-management queue: open and escalated flags, oldest first."""
    curs.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM orders"  # noqa: S608
        " WHERE flag_status IN ('open', 'escalated') AND (%s::text IS NULL OR branch = %s)"
        " ORDER BY received_at, id",
        (branch, branch),
    )
    return [_row(r) for r in curs.fetchall()]


def cancellations_on(curs: Cursor[DictRow], client_id: UUID, day: date) -> int:
    """How many of the client's orders received that day were cancelled."""
    curs.execute(
        "SELECT count(*) AS n FROM orders WHERE client_id = %s AND received_on = %s"
        " AND cancelled_quantity > 0",
        (client_id, day),
    )
    found = curs.fetchone()
    return int(found["n"]) if found else 0


@dataclass(frozen=True)
class TraderKpi:
    """One trader's month: reviews, accuracy, and the times that matter to clients."""

    trader: UUID
    month: str
    reviewed: int
    accepted: int
    cancelled_for_error: int
    review_accuracy: Decimal | None
    average_minutes_to_review: Decimal | None
    average_minutes_to_feedback: Decimal | None


def trader_kpis(
    curs: Cursor[DictRow], branch: str | None, year: int, timezone: str
) -> list[TraderKpi]:
    """Per trader per month: review accuracy (1 − accepted-then-cancelled-for-error / reviewed),
    minutes from receipt to review, and from last execution to feedback."""
    curs.execute(
        "SELECT reviewed_by AS trader,"
        " to_char(reviewed_at AT TIME ZONE %(tz)s, 'YYYY-MM') AS month,"
        " count(*) AS reviewed,"
        " count(*) FILTER (WHERE reason_codes = '{}') AS accepted,"
        " count(*) FILTER (WHERE reason_codes = '{}' AND cancel_cause = 'error') AS errors,"
        " avg(extract(epoch FROM reviewed_at - received_at) / 60) AS to_review,"
        " avg(extract(epoch FROM fed_back_at - last_executed_at) / 60)"
        "   FILTER (WHERE last_executed_at IS NOT NULL AND fed_back_at IS NOT NULL) AS to_feedback"
        " FROM orders WHERE reviewed_by IS NOT NULL"
        " AND extract(year FROM reviewed_at AT TIME ZONE %(tz)s) = %(year)s"
        " AND (%(branch)s::text IS NULL OR branch = %(branch)s)"
        " GROUP BY 1, 2 ORDER BY 2, 1",
        {"tz": timezone, "year": year, "branch": branch},
    )
    out = []
    for r in curs.fetchall():
        reviewed = int(r["reviewed"])
        accuracy = 1 - Decimal(r["errors"]) / reviewed if reviewed else None

        def minutes(value: Any) -> Decimal | None:
            return None if value is None else Decimal(value).quantize(Decimal("0.1"))

        out.append(
            TraderKpi(
                trader=r["trader"],
                month=r["month"],
                reviewed=reviewed,
                accepted=int(r["accepted"]),
                cancelled_for_error=int(r["errors"]),
                review_accuracy=None if accuracy is None else accuracy.quantize(Decimal("0.0001")),
                average_minutes_to_review=minutes(r["to_review"]),
                average_minutes_to_feedback=minutes(r["to_feedback"]),
            )
        )
    return out
