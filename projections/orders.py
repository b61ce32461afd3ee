"""The order blotter, each order's lifecycle timeline, the risk-management queue, and the
trader KPIs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from domain.orders import (
    AbnormalRule,
    CancelCause,
    FlagStatus,
    Order,
    OrderChannel,
    OrderStatus,
    OrderType,
    ReasonCode,
    Side,
    fill_status,
)
from projections.base import (
    Evolver,
    ReadModel,
    col,
    json_text,
    on,
    replace,
    row_values,
    select_one,
    tally,
    upsert,
)
from projections.batch import BatchCursor


@dataclass(frozen=True)
class OrderRow:
    """One row of ``orders``: an order as the blotter has it."""

    id: UUID = col("The order's id.")
    client_id: UUID = col("The client who gave the instruction.")
    branch: str = col("The client's branch.")
    acting_person: str | None = col("Who gave the instruction when not the client.")
    account_number: str = col("The securities account the order is for.")
    instrument_code: str = col("The security, e.g. 600519.SH.")
    side: str = col("Buy or sell.", enum=Side)
    quantity: int = col("Shares ordered.")
    order_type: str = col("Limit or market.", enum=OrderType)
    limit_price: Decimal | None = col("The limit price (limit orders).")
    channel: str = col("How the instruction came in.", enum=OrderChannel)
    received_at: datetime = col("When the client gave it (business time, microseconds).")
    received_on: date = col("The branch's business date of receipt.")
    taken_by: UUID = col("The staff member who took it.")
    status: str = col("Where the order is in its life.", enum=OrderStatus)
    flag_status: str = col("Risk management's flag on it.", enum=FlagStatus)
    version: int = col("The record's version: pass it as expectedVersion.")
    position: int = col("Notification id of the record's last event.")
    flag_rules: list[str] = col(
        "The abnormal-trade rules it tripped.", enum=AbnormalRule, default_factory=list
    )
    risk_acknowledged: bool = col("The client signed the risk warning for it.", default=False)
    reviewed_by: UUID | None = col("The trader who reviewed it.", default=None)
    reviewed_at: datetime | None = col("When it was reviewed.", default=None)
    reason_codes: list[str] = col(
        "Why it was rejected (empty when accepted).", enum=ReasonCode, default_factory=list
    )
    filled_quantity: int = col("Shares executed so far.", default=0)
    filled_amount: Decimal = col("Sum of quantity × price of the fills.", default=Decimal(0))
    last_executed_at: datetime | None = col("Time of the latest fill.", default=None)
    cancelled_quantity: int = col("Shares cancelled.", default=0)
    cancel_cause: str | None = col("Why it was cancelled.", enum=CancelCause, default=None)
    fed_back_at: datetime | None = col("When the result was reported to the client.", default=None)
    feedback_channel: str | None = col(
        "How the result was reported.", enum=OrderChannel, default=None
    )
    archived_at: datetime | None = col("When the file was closed.", default=None)

    @property
    def average_price(self) -> Decimal | None:
        """Volume-weighted price of the fills."""
        return average_price(self.filled_amount, self.filled_quantity)


def average_price(amount: Decimal, quantity: int) -> Decimal | None:
    """Volume-weighted price of fills worth ``amount`` over ``quantity`` shares."""
    if not quantity:
        return None
    return (amount / quantity).quantize(Decimal("0.0001"))


evolve: Evolver[OrderRow] = Evolver()


@evolve.creates(Order.Received)
def _received(e: Order.Received, position: int) -> OrderRow:
    return OrderRow(
        id=e.originator_id,
        client_id=e.client_id,
        branch=e.branch,
        acting_person=e.acting_person,
        account_number=e.account_number,
        instrument_code=e.instrument_code,
        side=e.side,
        quantity=e.quantity,
        order_type=e.order_type,
        limit_price=e.limit_price,
        channel=e.channel,
        received_at=e.received_at,
        received_on=e.received_on,
        taken_by=e.envelope.actor,
        status=OrderStatus.RECEIVED.value,
        flag_status=FlagStatus.NONE.value,
        version=e.originator_version,
        position=position,
    )


@evolve.on(Order.Flagged)
def _flagged(row: OrderRow, e: Order.Flagged, _: int) -> OrderRow:
    return replace(row, flag_status=FlagStatus.OPEN.value, flag_rules=list(e.rules))


@evolve.on(Order.FlagCleared)
def _cleared(row: OrderRow, _e: object, _: int) -> OrderRow:
    return replace(row, flag_status=FlagStatus.CLEARED.value)


@evolve.on(Order.FlagEscalated)
def _escalated(row: OrderRow, _e: object, _: int) -> OrderRow:
    return replace(row, flag_status=FlagStatus.ESCALATED.value)


@evolve.on(Order.RiskDisclosureAcknowledged)
def _acknowledged(row: OrderRow, _e: object, _: int) -> OrderRow:
    return replace(row, risk_acknowledged=True)


@evolve.on(Order.Reviewed)
def _reviewed(row: OrderRow, e: Order.Reviewed, _: int) -> OrderRow:
    status = OrderStatus.ACCEPTED if e.accepted else OrderStatus.REJECTED
    return replace(
        row,
        status=status.value,
        reviewed_by=e.envelope.actor,
        reviewed_at=e.envelope.occurred_at,
        reason_codes=list(e.reason_codes),
    )


@evolve.on(Order.Filled)
def _filled(row: OrderRow, e: Order.Filled, _: int) -> OrderRow:
    filled = row.filled_quantity + e.quantity
    return replace(
        row,
        status=fill_status(filled, row.quantity).value,
        filled_quantity=filled,
        filled_amount=row.filled_amount + e.price * e.quantity,
        last_executed_at=e.executed_at,
    )


@evolve.on(Order.Cancelled)
def _cancelled(row: OrderRow, e: Order.Cancelled, _: int) -> OrderRow:
    return replace(
        row, status=OrderStatus.CANCELLED.value, cancelled_quantity=e.quantity, cancel_cause=e.cause
    )


@evolve.on(Order.FedBack)
def _fed_back(row: OrderRow, e: Order.FedBack, _: int) -> OrderRow:
    return replace(row, fed_back_at=e.fed_back_at, feedback_channel=e.channel)


@evolve.on(Order.Archived)
def _archived(row: OrderRow, e: Order.Archived, _: int) -> OrderRow:
    return replace(row, status=OrderStatus.ARCHIVED.value, archived_at=e.envelope.occurred_at)


_NOT_DETAILS = frozenset(("originator_id", "originator_version", "timestamp", "envelope"))


def timeline_entry(event: DomainEventProtocol[Any], position: int) -> dict[str, Any]:
    """The timeline row of one order event: who did what, when, in which role, and why."""
    envelope = event.envelope  # type: ignore[attr-defined]
    details = {k: v for k, v in event.__dict__.items() if k not in _NOT_DETAILS}
    return {
        "order_id": event.originator_id,
        "version": event.originator_version,
        "position": position,
        "event_type": type(event).__name__,
        "occurred_at": envelope.occurred_at,
        "actor": envelope.actor,
        "actor_role": envelope.actor_role,
        "reason": envelope.reason,
        # Written as ``to_json`` would make it, by the JSON encoder itself (see json_text).
        "details": Jsonb(details, dumps=json_text),
    }


_COLUMNS = tuple(OrderRow.__dataclass_fields__)


def _row(found: DictRow) -> OrderRow:
    return OrderRow(**found)


def get(curs: Cursor[DictRow], order_id: UUID) -> OrderRow | None:
    """One order."""
    found = select_one(curs, "orders", _COLUMNS, "id = %s", order_id)
    return None if found is None else _row(found)


def get_many(curs: Cursor[DictRow], ids: Sequence[UUID]) -> dict[UUID, OrderRow]:
    """The orders with these ids (those that exist), in one statement."""
    curs.execute(f"SELECT {', '.join(_COLUMNS)} FROM orders WHERE id = ANY(%s)", (list(ids),))  # noqa: S608
    return {r["id"]: _row(r) for r in curs.fetchall()}


#: The columns ``order_counts`` counts orders by: the blotter's low-cardinality filters.
COUNTED = ("branch", "status", "flag_status")


def _counted(row: OrderRow | None) -> tuple[Any, ...] | None:
    return None if row is None else (row.branch, row.status, row.flag_status)


class OrderModel(ReadModel):
    """Rows in ``orders``, ``order_timeline`` and ``order_counts`` (how many orders there are
    of each branch, status and flag status: the blotter's ``totalCount`` without counting)."""

    name = "orders"
    tables = ("orders", "order_timeline", "order_counts")

    @on(*evolve.events)
    def row(self, curs: Cursor[DictRow], event: Any, position: int) -> None:
        """The blotter row, the timeline entry of the event and the counts it moves."""
        order_id = event.originator_id
        batch = curs if isinstance(curs, BatchCursor) else None
        # In a batch, the order's row as this handler last made it (a rebuild's page holds
        # several events of most orders): not read back from the gathered values again.
        before = batch.recall("orders", order_id) if batch is not None else None
        if before is None:
            before = get(curs, order_id)
        row = evolve(before, event, position)
        upsert(curs, "orders", row_values(row))
        if batch is not None:
            batch.remember("orders", order_id, row)
        upsert(curs, "order_timeline", timeline_entry(event, position), key="order_id, version")
        was, now = _counted(before), _counted(row)
        if was != now:
            if was is not None:
                tally(curs, "order_counts", COUNTED, was, -1)
            tally(curs, "order_counts", COUNTED, now, 1)  # type: ignore[arg-type]


# -- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One step of an order's life: who did what, when, in which role, and why."""

    version: int = col("The order's version after this step.")
    position: int = col("Notification id of the event.")
    event_type: str = col("What happened, e.g. Reviewed or Filled.")
    occurred_at: datetime = col("Business time of the step.")
    actor: UUID = col("The staff member who did it (all zeros: the system).")
    actor_role: str = col("The role they acted in.")
    reason: str | None = col("The reason they gave, if any.")
    details: dict[str, Any] = col("The event's data (personal data masked by role).")


def timeline(curs: Cursor[DictRow], order_id: UUID) -> list[TimelineEntry]:
    """Every event of an order, in order."""
    curs.execute(
        "SELECT version, position, event_type, occurred_at, actor, actor_role, reason, details"
        " FROM order_timeline WHERE order_id = %s ORDER BY version",
        (order_id,),
    )
    return [TimelineEntry(**r) for r in curs.fetchall()]


def timelines(curs: Cursor[DictRow], order_ids: Sequence[UUID]) -> dict[UUID, list[TimelineEntry]]:
    """The timelines of many orders, in one statement."""
    curs.execute(
        "SELECT order_id, version, position, event_type, occurred_at, actor, actor_role, reason,"
        " details FROM order_timeline WHERE order_id = ANY(%s) ORDER BY order_id, version",
        (list(order_ids),),
    )
    found: dict[UUID, list[TimelineEntry]] = {i: [] for i in order_ids}
    for r in curs.fetchall():
        found[r.pop("order_id")].append(TimelineEntry(**r))
    return found


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
