"""A client's trade instruction, from receipt to archive."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.envelope import BackofficeAggregate, Envelope
from domain.errors import ValidationError
from domain.suitability import MANUAL_CODES, CheckOutcome


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"


class FlagStatus(StrEnum):
    """Where a risk-management flag is."""

    NONE = "none"
    OPEN = "open"
    CLEARED = "cleared"
    ESCALATED = "escalated"


SIDES = ("buy", "sell")
ORDER_TYPES = ("limit", "market")
CHANNELS = ("counter", "phone", "online")
CANCEL_CAUSES = ("client_request", "error", "expired")
FINAL = (OrderStatus.FILLED.value, OrderStatus.CANCELLED.value, OrderStatus.REJECTED.value)


def _choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    v = value.strip().lower()
    if v not in allowed:
        raise ValidationError(f"{value!r} is not one of: {', '.join(allowed)}", field)
    return v


def execution_claim_id(execution_id: str) -> UUID:
    """The id of the claim that makes an execution id unique across all orders."""
    return uuid5(NAMESPACE_URL, f"backoffice:execution:{execution_id}")


class Order(BackofficeAggregate):
    """One order of one client."""

    class Received(BackofficeAggregate.Created):
        """The instruction was taken (``envelope.actor`` took it)."""

        envelope: Envelope
        order_id: UUID
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

    class Flagged(BackofficeAggregate.Event):
        """Abnormal-trade rules sent the order to risk management."""

        envelope: Envelope
        rules: list[str]

    class FlagCleared(BackofficeAggregate.Event):
        """Risk management cleared the flag."""

        envelope: Envelope
        note: str

    class FlagEscalated(BackofficeAggregate.Event):
        """Risk management escalated the flag."""

        envelope: Envelope
        note: str

    class RiskDisclosureAcknowledged(BackofficeAggregate.Event):
        """The client signed the risk warning for this order."""

        envelope: Envelope
        warning_ref: str
        signed_at: datetime

    class Reviewed(BackofficeAggregate.Event):
        """A trader reviewed the order: every check's outcome and the decision."""

        envelope: Envelope
        accepted: bool
        reason_codes: list[str]
        checks: list[dict[str, Any]]
        product_risk: str
        investor_risk: str | None

    class Filled(BackofficeAggregate.Event):
        """An execution (fill)."""

        envelope: Envelope
        execution_id: str
        quantity: int
        price: Decimal
        executed_at: datetime

    class Cancelled(BackofficeAggregate.Event):
        """The unfilled remainder was cancelled."""

        envelope: Envelope
        quantity: int
        cause: str

    class FedBack(BackofficeAggregate.Event):
        """The result was reported to the client."""

        envelope: Envelope
        channel: str
        fed_back_at: datetime

    class Archived(BackofficeAggregate.Event):
        """The order's file was closed."""

        envelope: Envelope

    # -- receipt ---------------------------------------------------------------------------

    @classmethod
    def receive(
        cls,
        envelope: Envelope,
        order_id: UUID,
        client_id: UUID,
        branch: str,
        account_number: str,
        instrument_code: str,
        side: str,
        quantity: int,
        order_type: str,
        limit_price: Decimal | None,
        channel: str,
        received_at: datetime,
        received_on: date,
        acting_person: str | None = None,
        flags: list[str] | None = None,
    ) -> Order:
        """Take an instruction as the client gave it; the review judges it later."""
        if quantity <= 0:
            raise ValidationError("quantity must be a positive whole number", "quantity")
        if limit_price is not None and limit_price < 0:
            raise ValidationError("limit price cannot be negative", "limitPrice")
        if received_at.tzinfo is None:
            raise ValidationError("received_at needs a time zone", "receivedAt")
        if received_at > envelope.occurred_at:
            raise ValidationError("an order cannot be received in the future", "receivedAt")
        if acting_person is not None and not acting_person.strip():
            acting_person = None
        order = cls(
            envelope=envelope,
            order_id=order_id,
            client_id=client_id,
            branch=branch,
            acting_person=acting_person,
            account_number=account_number.strip(),
            instrument_code=instrument_code,
            side=_choice(side, SIDES, "side"),
            quantity=quantity,
            order_type=_choice(order_type, ORDER_TYPES, "orderType"),
            limit_price=limit_price,
            channel=_choice(channel, CHANNELS, "channel"),
            received_at=received_at,
            received_on=received_on,
        )
        if flags:
            order._flagged(envelope=envelope, rules=sorted(flags))
        return order

    @event(Received)
    def __init__(
        self,
        envelope: Envelope,
        order_id: UUID,
        client_id: UUID,
        branch: str,
        acting_person: str | None,
        account_number: str,
        instrument_code: str,
        side: str,
        quantity: int,
        order_type: str,
        limit_price: Decimal | None,
        channel: str,
        received_at: datetime,
        received_on: date,
    ) -> None:
        self.client_id = client_id
        self.branch = branch
        self.received_on = received_on
        self.account_number = account_number
        self.instrument_code = instrument_code
        self.side = side
        self.quantity = quantity
        self.order_type = order_type
        self.limit_price = limit_price
        self.received_at = received_at
        self.taken_by = envelope.actor
        self.status = OrderStatus.RECEIVED.value
        self.flag = FlagStatus.NONE.value
        self.risk_acknowledged = False
        self.filled = 0
        self.execution_ids: list[str] = []
        self.fed_back = False

    @staticmethod
    def create_id(order_id: UUID, **_: object) -> UUID:
        """The id is chosen at the edge and passed in."""
        return order_id

    @property
    def remaining(self) -> int:
        """Quantity neither filled nor cancelled."""
        return self.quantity - self.filled

    # -- risk management -------------------------------------------------------------------

    @event(Flagged)
    def _flagged(self, envelope: Envelope, rules: list[str]) -> None:
        self.flag = FlagStatus.OPEN.value

    def _require_flag(self, *allowed: str) -> None:
        if self.flag not in allowed:
            raise ValidationError(f"the order's flag is {self.flag}", "orderId")

    def clear_flag(self, envelope: Envelope, note: str) -> None:
        """Risk management clears the flag; the order may then be reviewed."""
        self._require_flag(FlagStatus.OPEN.value, FlagStatus.ESCALATED.value)
        self._flag_cleared(envelope=envelope, note=_note(note))

    @event(FlagCleared)
    def _flag_cleared(self, envelope: Envelope, note: str) -> None:
        self.flag = FlagStatus.CLEARED.value

    def escalate_flag(self, envelope: Envelope, note: str) -> None:
        """Risk management escalates; the order can then only be rejected or cancelled."""
        self._require_flag(FlagStatus.OPEN.value)
        self._flag_escalated(envelope=envelope, note=_note(note))

    @event(FlagEscalated)
    def _flag_escalated(self, envelope: Envelope, note: str) -> None:
        self.flag = FlagStatus.ESCALATED.value

    # -- review ----------------------------------------------------------------------------

    def acknowledge_risk_disclosure(
        self, envelope: Envelope, warning_ref: str, signed_at: datetime
    ) -> None:
        """Record the client's signed acknowledgement of the risk warning for this order."""
        self._require(OrderStatus.RECEIVED.value, action="acknowledge a risk warning")
        if not warning_ref or not warning_ref.strip():
            raise ValidationError("the risk warning's reference is required", "warningRef")
        if signed_at.tzinfo is None or signed_at > envelope.occurred_at:
            raise ValidationError("signed_at must be a past, zoned time", "signedAt")
        self._acknowledged(envelope=envelope, warning_ref=warning_ref.strip(), signed_at=signed_at)

    @event(RiskDisclosureAcknowledged)
    def _acknowledged(self, envelope: Envelope, warning_ref: str, signed_at: datetime) -> None:
        self.risk_acknowledged = True

    def review(
        self,
        envelope: Envelope,
        checks: list[CheckOutcome],
        reject_codes: list[str],
        product_risk: str,
        investor_risk: str | None,
    ) -> bool:
        """Record the review: accepted only when every check passed and the reviewer gave no
        reason to reject. Returns whether it was accepted."""
        self._require(OrderStatus.RECEIVED.value, action="review")
        if envelope.actor == self.taken_by:
            raise ValidationError(
                "the reviewer must not be the staff member who took the order", "orderId"
            )
        if self.flag == FlagStatus.OPEN.value:
            raise ValidationError("the order awaits risk management's decision", "orderId")
        manual = []
        for code in reject_codes:
            value = code.strip().upper()
            if value not in MANUAL_CODES:
                valid = ", ".join(sorted(MANUAL_CODES))
                raise ValidationError(f"{code!r} is not a reviewer's code ({valid})", "rejectCodes")
            manual.append(value)
        failed = [c.code for c in checks if not c.passed]
        if self.flag == FlagStatus.ESCALATED.value and not (failed or manual):
            raise ValidationError("an escalated order can only be rejected", "orderId")
        codes = failed + [c for c in manual if c not in failed]
        self._reviewed(
            envelope=envelope,
            accepted=not codes,
            reason_codes=codes,
            checks=[{"code": c.code, "passed": c.passed, "detail": c.detail} for c in checks],
            product_risk=product_risk,
            investor_risk=investor_risk,
        )
        return not codes

    @event(Reviewed)
    def _reviewed(
        self,
        envelope: Envelope,
        accepted: bool,
        reason_codes: list[str],
        checks: list[dict[str, Any]],
        product_risk: str,
        investor_risk: str | None,
    ) -> None:
        self.status = OrderStatus.ACCEPTED.value if accepted else OrderStatus.REJECTED.value

    # -- execution -------------------------------------------------------------------------

    def record_fill(
        self,
        envelope: Envelope,
        execution_id: str,
        quantity: int,
        price: Decimal,
        executed_at: datetime,
    ) -> None:
        """Record an execution: never beyond the ordered quantity, never the same id twice."""
        self._require(
            OrderStatus.ACCEPTED.value, OrderStatus.PARTIALLY_FILLED.value, action="record a fill"
        )
        execution_id = execution_id.strip()
        if not execution_id:
            raise ValidationError("execution id is required", "executionId")
        if execution_id in self.execution_ids:
            raise ValidationError(f"execution {execution_id} is already recorded", "executionId")
        if quantity <= 0:
            raise ValidationError("fill quantity must be positive", "quantity")
        if quantity > self.remaining:
            raise ValidationError(
                f"fill of {quantity} exceeds the {self.remaining} still open", "quantity"
            )
        if price <= 0:
            raise ValidationError("fill price must be positive", "price")
        if executed_at.tzinfo is None or executed_at < self.received_at:
            raise ValidationError("executed_at must be zoned and after receipt", "executedAt")
        self._filled(
            envelope=envelope,
            execution_id=execution_id,
            quantity=quantity,
            price=price,
            executed_at=executed_at,
        )

    @event(Filled)
    def _filled(
        self,
        envelope: Envelope,
        execution_id: str,
        quantity: int,
        price: Decimal,
        executed_at: datetime,
    ) -> None:
        self.filled += quantity
        self.execution_ids = [*self.execution_ids, execution_id]
        self.status = (
            OrderStatus.FILLED.value
            if self.filled == self.quantity
            else OrderStatus.PARTIALLY_FILLED.value
        )

    def cancel(self, envelope: Envelope, cause: str) -> None:
        """Cancel what is not filled (before review, or after acceptance)."""
        self._require(
            OrderStatus.RECEIVED.value,
            OrderStatus.ACCEPTED.value,
            OrderStatus.PARTIALLY_FILLED.value,
            action="cancel",
        )
        self._cancelled(
            envelope=envelope, quantity=self.remaining, cause=_choice(cause, CANCEL_CAUSES, "cause")
        )

    @event(Cancelled)
    def _cancelled(self, envelope: Envelope, quantity: int, cause: str) -> None:
        self.status = OrderStatus.CANCELLED.value

    # -- closing ---------------------------------------------------------------------------

    def feed_back(self, envelope: Envelope, channel: str, fed_back_at: datetime) -> None:
        """Report the final result to the client."""
        if self.status not in FINAL:
            raise ValidationError(
                "only a filled, cancelled or rejected order is reported", "orderId"
            )
        if self.fed_back:
            raise ValidationError("the result was already reported", "orderId")
        if fed_back_at.tzinfo is None or fed_back_at > envelope.occurred_at:
            raise ValidationError("fed_back_at must be a past, zoned time", "fedBackAt")
        self._fed_back(
            envelope=envelope,
            channel=_choice(channel, CHANNELS, "channel"),
            fed_back_at=fed_back_at,
        )

    @event(FedBack)
    def _fed_back(self, envelope: Envelope, channel: str, fed_back_at: datetime) -> None:
        self.fed_back = True

    def archive(self, envelope: Envelope) -> None:
        """Close the file: only once final and reported to the client."""
        if self.status not in FINAL or not self.fed_back:
            raise ValidationError(
                "only a filled, cancelled or rejected order that was reported is archived",
                "orderId",
            )
        self._archived(envelope=envelope)

    @event(Archived)
    def _archived(self, envelope: Envelope) -> None:
        self.status = OrderStatus.ARCHIVED.value

    def _require(self, *statuses: str, action: str) -> None:
        if self.status not in statuses:
            raise ValidationError(f"cannot {action} an order that is {self.status}", "orderId")


class ExecutionClaim(BackofficeAggregate):
    """Makes an execution id unique across every order (saved with the fill)."""

    class Claimed(BackofficeAggregate.Created):
        """The execution id was applied to an order."""

        envelope: Envelope
        claim_id: UUID
        execution_id: str
        order_id: UUID

    @event(Claimed)
    def __init__(
        self, envelope: Envelope, claim_id: UUID, execution_id: str, order_id: UUID
    ) -> None:
        self.order_id = order_id

    @staticmethod
    def create_id(claim_id: UUID, **_: object) -> UUID:
        """Derived from the execution id."""
        return claim_id


def _note(note: str) -> str:
    if not note or not note.strip():
        raise ValidationError("a note is required", "note")
    return note.strip()
