"""A client's trade instruction, from receipt to archive: the record's events and how each
changes it (the rules are with the commands, ``domain.orders.commands``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.envelope import BackofficeAggregate, Envelope
from domain.errors import Code, ValidationError
from domain.orders.suitability import ClientFacts, InstrumentFacts, OrderTerms


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


class Side(StrEnum):
    """Buy or sell."""

    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    """Limit (with a price) or market (without)."""

    LIMIT = "limit"
    MARKET = "market"


class OrderChannel(StrEnum):
    """How the instruction (or the feedback) travelled."""

    COUNTER = "counter"
    PHONE = "phone"
    ONLINE = "online"


class CancelCause(StrEnum):
    """Why the unfilled remainder was cancelled."""

    CLIENT_REQUEST = "client_request"
    ERROR = "error"
    EXPIRED = "expired"


FINAL = (OrderStatus.FILLED.value, OrderStatus.CANCELLED.value, OrderStatus.REJECTED.value)


def fill_status(filled: int, quantity: int) -> OrderStatus:
    """The status after fills of ``filled`` out of ``quantity``."""
    return OrderStatus.FILLED if filled == quantity else OrderStatus.PARTIALLY_FILLED


def execution_claim_id(execution_id: str) -> UUID:
    """The id of the claim that makes an execution id unique across all orders."""
    return uuid5(NAMESPACE_URL, f"backoffice:execution:{execution_id}")


class Order(BackofficeAggregate, formerly="domain.orders"):
    """One order of one client."""

    def __init__(self) -> None:
        self.client_id: UUID | None = None
        self.branch = ""
        self.terms: OrderTerms | None = None
        self.instrument_code = ""
        self.quantity = 0
        self.received_at: datetime | None = None
        self.received_on: date | None = None
        self.client_facts: ClientFacts | None = None
        self.instrument_facts: InstrumentFacts | None = None
        self.taken_by: UUID | None = None
        self.status = OrderStatus.RECEIVED.value
        self.flag = FlagStatus.NONE.value
        self.risk_acknowledged = False
        self.filled = 0
        self.execution_ids: list[str] = []
        self.fed_back = False

    class Received(BackofficeAggregate.Created):
        """The instruction was taken (``envelope.actor`` took it), with the client's and the
        instrument's facts as they stood at that moment — the review judges on them."""

        class_version = 2
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
        client_facts: ClientFacts | None
        instrument_facts: InstrumentFacts | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Orders received before facts were recorded have none (reviewed on current)."""
            state["client_facts"] = None
            state["instrument_facts"] = None

        def apply(self, o: Order) -> None:
            o.client_id, o.branch, o.quantity = self.client_id, self.branch, self.quantity
            o.instrument_code = self.instrument_code
            o.terms = OrderTerms(
                account_number=self.account_number,
                side=self.side,
                quantity=self.quantity,
                order_type=self.order_type,
                limit_price=self.limit_price,
                received_on=self.received_on,
                risk_acknowledged=False,
            )
            o.received_at, o.received_on = self.received_at, self.received_on
            o.client_facts, o.instrument_facts = self.client_facts, self.instrument_facts
            o.taken_by = self.envelope.actor

    class Flagged(BackofficeAggregate.Event):
        """Abnormal-trade rules sent the order to risk management."""

        envelope: Envelope
        rules: list[str]

        def apply(self, o: Order) -> None:
            o.flag = FlagStatus.OPEN.value

    class FlagCleared(BackofficeAggregate.Event):
        """Risk management cleared the flag."""

        envelope: Envelope
        note: str

        def apply(self, o: Order) -> None:
            o.flag = FlagStatus.CLEARED.value

    class FlagEscalated(BackofficeAggregate.Event):
        """Risk management escalated the flag."""

        envelope: Envelope
        note: str

        def apply(self, o: Order) -> None:
            o.flag = FlagStatus.ESCALATED.value

    class RiskDisclosureAcknowledged(BackofficeAggregate.Event):
        """The client signed the risk warning for this order."""

        envelope: Envelope
        warning_ref: str
        signed_at: datetime

        def apply(self, o: Order) -> None:
            o.risk_acknowledged = True

    class Reviewed(BackofficeAggregate.Event):
        """A trader reviewed the order: every check's outcome and the decision."""

        envelope: Envelope
        accepted: bool
        reason_codes: list[str]
        checks: list[dict[str, Any]]
        product_risk: str
        investor_risk: str | None

        def apply(self, o: Order) -> None:
            o.status = (OrderStatus.ACCEPTED if self.accepted else OrderStatus.REJECTED).value

    class Filled(BackofficeAggregate.Event):
        """An execution (fill)."""

        envelope: Envelope
        execution_id: str
        quantity: int
        price: Decimal
        executed_at: datetime

        def apply(self, o: Order) -> None:
            o.filled += self.quantity
            o.execution_ids = [*o.execution_ids, self.execution_id]
            o.status = fill_status(o.filled, o.quantity).value

    class Cancelled(BackofficeAggregate.Event):
        """The unfilled remainder was cancelled."""

        envelope: Envelope
        quantity: int
        cause: str

        def apply(self, o: Order) -> None:
            o.status = OrderStatus.CANCELLED.value

    class FedBack(BackofficeAggregate.Event):
        """The result was reported to the client."""

        envelope: Envelope
        channel: str
        fed_back_at: datetime

        def apply(self, o: Order) -> None:
            o.fed_back = True

    class Archived(BackofficeAggregate.Event):
        """The order's file was closed."""

        envelope: Envelope

        def apply(self, o: Order) -> None:
            o.status = OrderStatus.ARCHIVED.value

    @staticmethod
    def create_id(order_id: UUID, **_: object) -> UUID:
        """The id is chosen at the edge and passed in."""
        return order_id

    @property
    def remaining(self) -> int:
        """Quantity neither filled nor cancelled."""
        return self.quantity - self.filled

    def require(self, *statuses: str, action: str) -> None:
        """Refuse ``action`` unless the order is in one of ``statuses``."""
        if self.status not in statuses:
            raise ValidationError(
                f"cannot {action} an order that is {self.status}", "orderId", Code.INVALID_STATE
            )

    def require_flag(self, *allowed: str) -> None:
        """Refuse unless the order's flag is one of ``allowed``."""
        if self.flag not in allowed:
            raise ValidationError(f"the order's flag is {self.flag}", "orderId", Code.INVALID_STATE)


class ExecutionClaim(BackofficeAggregate, formerly="domain.orders"):
    """Makes an execution id unique across every order (saved with the fill)."""

    class Claimed(BackofficeAggregate.Created):
        """The execution id was applied to an order."""

        envelope: Envelope
        claim_id: UUID
        execution_id: str
        order_id: UUID

    @staticmethod
    def create_id(claim_id: UUID, **_: object) -> UUID:
        """Derived from the execution id."""
        return claim_id
