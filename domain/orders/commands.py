"""The commands of an order's life: receipt, review, fills, cancellation, feedback, archive,
and risk management's decisions on flags."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Annotated

from domain.access import Permission
from domain.clients import Client
from domain.commands import Command, Decision, command
from domain.errors import Code, ValidationError
from domain.fields import Amount, Int, Text, derived, describe, new_id
from domain.instruments import Instrument, SecurityCode, instrument_id
from domain.orders.aggregate import (
    FINAL,
    CancelCause,
    ExecutionClaim,
    FlagStatus,
    Order,
    OrderChannel,
    OrderStatus,
    OrderType,
    Side,
    execution_claim_id,
)
from domain.orders.suitability import (
    ClientFacts,
    InstrumentFacts,
    ReviewerCode,
    abnormal_rules,
    review_checks,
    stricter,
)
from domain.values import At, ClientId, Note, OrderId, Reference

Quantity = Annotated[int, Int(1, 1_000_000_000, "A number of shares (or units).")]
Price = Annotated[
    Decimal,
    Amount(Decimal("0.0001"), Decimal("10000000"), 4, "A price per share (CNY, 4 places)."),
]
AccountNumber = Annotated[
    str,
    Text(
        16,
        "The client's securities account number.",
        remove=r"\s",
        pattern=r"\d{8,16}",
        shape="8-16 digits",
    ),
]
ExecutionId = Annotated[str, Text(64, "The exchange's execution id of a fill.")]
ActingPerson = Annotated[
    str, Text(200, "Who gave the instruction when not the client (name and document).")
]
Cancellations = Annotated[int, Int(0, 1_000_000, "The client's cancellations that day.")]


@command("receive_order", Permission.TAKE_ORDERS)
class ReceiveOrder(Command):
    """Take a client's instruction as given; abnormal-trade rules may flag it to risk
    management. The client's and the instrument's facts at this moment go with it."""

    order_id: OrderId = new_id("Chosen by the caller for safe retries; generated if absent.")
    client_id: ClientId
    account_number: AccountNumber
    instrument_code: SecurityCode
    side: Side
    quantity: Quantity
    order_type: OrderType
    channel: OrderChannel
    limit_price: Price | None = describe("Required for limit orders.", default=None)
    received_at: At | None = describe(
        "When the client gave it (microseconds kept); default: now. Back-dating is allowed "
        "within the same business day only.",
        default=None,
    )
    acting_person: ActingPerson | None = None
    cancellations_today: Cancellations | None = derived(
        "The client's cancellations that day, read by the edge from the order blotter."
    )

    def decide(self, d: Decision[Order]) -> list[Order]:
        d.require_new(self.order_id, "id")
        client = d.get(Client, self.client_id, "clientId")
        d.scope(client.branch, "clientId")
        instrument = d.get(Instrument, instrument_id(self.instrument_code), "instrumentCode")
        at = d.policy.times.check(self.received_at or d.now, d.now, "receivedAt")
        if client.opened_at is not None and at < client.opened_at:
            raise ValidationError(
                "an order cannot be received before the client's account was opened",
                "receivedAt",
                Code.IMPLAUSIBLE_TIME,
            )
        client_facts, instrument_facts = ClientFacts.of(client), InstrumentFacts.of(instrument)
        order = d.new(
            Order,
            Order.Received,
            order_id=self.order_id,
            client_id=self.client_id,
            branch=client.branch,
            acting_person=self.acting_person,
            account_number=self.account_number,
            instrument_code=instrument.code,
            side=self.side.value,
            quantity=self.quantity,
            order_type=self.order_type.value,
            limit_price=self.limit_price,
            channel=self.channel.value,
            received_at=at,
            received_on=d.policy.times.day_of(at),
            client_facts=client_facts,
            instrument_facts=instrument_facts,
        )
        assert order.terms is not None
        flags = abnormal_rules(
            order.terms,
            client_facts,
            instrument_facts,
            self.cancellations_today or 0,
            d.policy.surveillance,
        )
        if flags:
            d.record_on(order, Order.Flagged, rules=sorted(flags))
        return [order]


@command("review_order", Permission.REVIEW_ORDERS, about=Order)
class ReviewOrder(Command):
    """Review (traders, not the taker): every check runs on the facts as they stood at receipt
    — a later change can only make a check fail — and is recorded; any failure or any
    rejectCodes rejects the order."""

    order_id: OrderId
    reject_codes: list[ReviewerCode] = describe(
        "The reviewer's own reasons to reject.", default_factory=list
    )

    def decide(self, d: Decision[Order]) -> None:
        order = d.target
        order.require(OrderStatus.RECEIVED.value, action="review")
        if d.envelope.actor == order.taken_by:
            raise ValidationError(
                "the reviewer must not be the staff member who took the order",
                "orderId",
                Code.SAME_PERSON,
            )
        if order.flag == FlagStatus.OPEN.value:
            raise ValidationError(
                "the order awaits risk management's decision", "orderId", Code.INVALID_STATE
            )
        assert order.terms is not None and order.client_id is not None
        client = d.get(Client, order.client_id, "orderId")
        instrument = d.get(Instrument, instrument_id(order.instrument_code), "orderId")
        terms = replace(order.terms, risk_acknowledged=order.risk_acknowledged)
        client_now, instrument_now = ClientFacts.of(client), InstrumentFacts.of(instrument)
        checks = stricter(
            review_checks(
                terms, order.client_facts or client_now, order.instrument_facts or instrument_now
            ),
            review_checks(terms, client_now, instrument_now),
        )
        failed = [c.code for c in checks if not c.passed]
        manual = [c.value for c in self.reject_codes if c.value not in failed]
        if order.flag == FlagStatus.ESCALATED.value and not (failed or manual):
            raise ValidationError(
                "an escalated order can only be rejected", "orderId", Code.INVALID_STATE
            )
        codes = failed + sorted(set(manual), key=manual.index)
        d.record(
            Order.Reviewed,
            accepted=not codes,
            reason_codes=codes,
            checks=[{"code": c.code, "passed": c.passed, "detail": c.detail} for c in checks],
            product_risk=(order.instrument_facts or instrument_now).risk_level,
            investor_risk=(order.client_facts or client_now).risk_level,
        )


@command("acknowledge_risk_disclosure", Permission.TAKE_ORDERS, about=Order)
class AcknowledgeRiskDisclosure(Command):
    """Record the client's signed acknowledgement of the risk warning for this order."""

    order_id: OrderId
    warning_ref: Reference = describe("The signed risk warning's reference.")
    signed_at: At | None = describe("Default: now.", default=None)

    def decide(self, d: Decision[Order]) -> None:
        d.target.require(OrderStatus.RECEIVED.value, action="acknowledge a risk warning")
        at = d.policy.times.check(self.signed_at or d.now, d.now, "signedAt")
        d.record(Order.RiskDisclosureAcknowledged, warning_ref=self.warning_ref, signed_at=at)


@command("record_fill", Permission.REVIEW_ORDERS, about=Order)
class RecordFill(Command):
    """Record an execution (traders): never beyond the ordered quantity; an execution id is
    applied once across all orders."""

    order_id: OrderId
    execution_id: ExecutionId
    quantity: Quantity
    price: Price
    executed_at: At | None = describe(
        "The execution's time as the exchange reported it. Default: now.", default=None
    )

    def decide(self, d: Decision[Order]) -> None:
        order = d.target
        order.require(
            OrderStatus.ACCEPTED.value, OrderStatus.PARTIALLY_FILLED.value, action="record a fill"
        )
        if self.execution_id in order.execution_ids:
            raise ValidationError(
                f"execution {self.execution_id} is already recorded", "executionId", Code.DUPLICATE
            )
        if self.quantity > order.remaining:
            raise ValidationError(
                f"fill of {self.quantity} exceeds the {order.remaining} still open",
                "quantity",
                Code.LIMIT_EXCEEDED,
            )
        at = d.policy.times.check(self.executed_at or d.now, d.now, "executedAt")
        if order.received_at is not None and at < order.received_at:
            raise ValidationError(
                "an execution cannot precede the order's receipt",
                "executedAt",
                Code.IMPLAUSIBLE_TIME,
            )
        d.record(
            Order.Filled,
            execution_id=self.execution_id,
            quantity=self.quantity,
            price=self.price,
            executed_at=at,
        )
        d.claim(
            d.new(
                ExecutionClaim,
                ExecutionClaim.Claimed,
                claim_id=execution_claim_id(self.execution_id),
                execution_id=self.execution_id,
                order_id=order.id,
            ),
            f"execution {self.execution_id} is already applied to another order",
            "executionId",
        )


@command("cancel_order", Permission.TAKE_ORDERS, about=Order)
class CancelOrder(Command):
    """Cancel what is unfilled (before review, or after acceptance)."""

    order_id: OrderId
    cause: CancelCause

    def decide(self, d: Decision[Order]) -> None:
        order = d.target
        order.require(
            OrderStatus.RECEIVED.value,
            OrderStatus.ACCEPTED.value,
            OrderStatus.PARTIALLY_FILLED.value,
            action="cancel",
        )
        d.record(Order.Cancelled, quantity=order.remaining, cause=self.cause.value)


@command("record_order_feedback", Permission.TAKE_ORDERS, about=Order)
class RecordOrderFeedback(Command):
    """Record that the final result was reported to the client."""

    order_id: OrderId
    channel: OrderChannel
    fed_back_at: At | None = describe("Default: now.", default=None)

    def decide(self, d: Decision[Order]) -> None:
        order = d.target
        if order.status not in FINAL:
            raise ValidationError(
                "only a filled, cancelled or rejected order is reported",
                "orderId",
                Code.INVALID_STATE,
            )
        if order.fed_back:
            raise ValidationError("the result was already reported", "orderId", Code.DUPLICATE)
        at = d.policy.times.check(self.fed_back_at or d.now, d.now, "fedBackAt")
        d.record(Order.FedBack, channel=self.channel.value, fed_back_at=at)


@command("archive_order", Permission.TAKE_ORDERS, about=Order)
class ArchiveOrder(Command):
    """Archive a final order whose result was reported."""

    order_id: OrderId

    def decide(self, d: Decision[Order]) -> None:
        if d.target.status not in FINAL or not d.target.fed_back:
            raise ValidationError(
                "only a filled, cancelled or rejected order that was reported is archived",
                "orderId",
                Code.INVALID_STATE,
            )
        d.record(Order.Archived)


@command("clear_order_flag", Permission.DECIDE_FLAGS, about=Order)
class ClearOrderFlag(Command):
    """Risk management clears a flag; the order may then be reviewed."""

    order_id: OrderId
    note: Note

    def decide(self, d: Decision[Order]) -> None:
        d.target.require_flag(FlagStatus.OPEN.value, FlagStatus.ESCALATED.value)
        d.record(Order.FlagCleared, note=self.note)


@command("escalate_order_flag", Permission.DECIDE_FLAGS, about=Order)
class EscalateOrderFlag(Command):
    """Risk management escalates a flag; the order can then only be rejected or cancelled."""

    order_id: OrderId
    note: Note

    def decide(self, d: Decision[Order]) -> None:
        d.target.require_flag(FlagStatus.OPEN.value)
        d.record(Order.FlagEscalated, note=self.note)
