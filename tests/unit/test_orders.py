"""Orders: given events, when a command, then events or an error."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain import clients as c
from domain import orders as o
from domain.errors import Code, ValidationError
from domain.fields import intake
from domain.instruments import Board, ProductRisk, UpsertInstrument
from domain.orders import Order
from projections.orders import evolve
from tests.harness import Domain


@dataclass
class Desk:
    """A branch's order desk: a client with an open account (C3), an R3 instrument, two
    traders (one takes, the other reviews) and risk management; the clock stands half an
    hour after the account was opened."""

    d: Domain
    client: UUID
    taker: UUID
    reviewer: UUID
    risk: UUID
    manager: UUID

    @property
    def now(self) -> datetime:
        """The desk's clock."""
        return self.d.now

    def receive(self, **kw: Any) -> UUID:
        """Take an order (300 600519.SH at 10, a minute ago, at the counter)."""
        oid = uuid.uuid4()
        self.d.run(receipt(self, order_id=oid, **kw), self.taker)
        return oid

    def review(self, oid: UUID, *codes: o.ReviewerCode) -> Order.Reviewed:
        """Review as the second trader; the Reviewed event."""
        self.d.run(o.ReviewOrder(order_id=oid, reject_codes=list(codes)), self.reviewer)
        event = self.d.last(oid)
        assert isinstance(event, Order.Reviewed)
        return event

    def accepted(self) -> UUID:
        """A received and accepted order."""
        oid = self.receive()
        assert self.review(oid).accepted
        return oid

    def fill(self, oid: UUID, execution: str, quantity: int, price: str) -> None:
        """Record a fill executed now."""
        self.d.run(
            o.RecordFill(
                order_id=oid,
                execution_id=execution,
                quantity=quantity,
                price=Decimal(price),
                executed_at=self.now,
            ),
            self.reviewer,
        )


def receipt(desk: Desk, **kw: Any) -> o.ReceiveOrder:
    args: dict[str, Any] = {
        "order_id": uuid.uuid4(),
        "client_id": desk.client,
        "account_number": "10000001",
        "instrument_code": "600519.SH",
        "side": o.Side.BUY,
        "quantity": 300,
        "order_type": o.OrderType.LIMIT,
        "limit_price": Decimal("10"),
        "channel": o.OrderChannel.COUNTER,
        "received_at": desk.now - timedelta(minutes=1),
        **kw,
    }
    return o.ReceiveOrder(**args)


@pytest.fixture
def desk() -> Desk:
    d = Domain()
    manager = d.staff("account_manager")
    client = d.onboard(manager)
    d.instrument()
    d.later(minutes=30)
    return Desk(d, client, d.staff("trader"), d.staff("trader"), d.staff("risk"), manager)


def refused(desk: Desk, command: Any, actor: UUID) -> ValidationError:
    """The ValidationError running ``command`` raises."""
    with pytest.raises(ValidationError) as caught:
        desk.d.run(command, actor)
    return caught.value


def test_receipt_refuses_a_time_in_the_future_beyond_the_tolerance(desk: Desk) -> None:
    # Changed on purpose: two minutes ahead are tolerated (another machine's clock).
    desk.receive(received_at=desk.now + timedelta(minutes=2))
    error = refused(desk, receipt(desk, received_at=desk.now + timedelta(minutes=3)), desk.taker)
    assert (error.field, error.reason) == ("receivedAt", Code.IMPLAUSIBLE_TIME)


def test_receipt_refuses_a_time_back_dated_before_the_business_day(desk: Desk) -> None:
    yesterday = desk.now - timedelta(days=1)
    error = refused(desk, receipt(desk, received_at=yesterday), desk.taker)
    assert (error.field, error.reason) == ("receivedAt", Code.IMPLAUSIBLE_TIME)
    assert "back-dating" in error.message


def test_an_order_cannot_be_received_before_the_account_was_opened(desk: Desk) -> None:
    before = desk.now - timedelta(minutes=31)
    error = refused(desk, receipt(desk, received_at=before), desk.taker)
    assert (error.field, error.reason) == ("receivedAt", Code.IMPLAUSIBLE_TIME)
    assert "account was opened" in error.message


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"side": "hold"}, "side", Code.INVALID_CHOICE),
        ({"quantity": 0}, "quantity", Code.OUT_OF_RANGE),
        ({"limit_price": Decimal("10.00001")}, "limitPrice", Code.TOO_PRECISE),
        ({"limit_price": Decimal("NaN")}, "limitPrice", Code.OUT_OF_RANGE),
        ({"instrument_code": "600519"}, "instrumentCode", Code.INVALID_FORMAT),
        ({"received_at": datetime(2026, 11, 23, 12, 0)}, "receivedAt", Code.TIME_ZONE_REQUIRED),
        ({"channel": "fax"}, "channel", Code.INVALID_CHOICE),
    ],
)
def test_receipt_refuses_bad_terms_by_their_field_types(
    desk: Desk, kwargs: dict[str, Any], field: str, code: Code
) -> None:
    with pytest.raises(ValidationError) as caught:
        intake(receipt(desk, **kwargs))
    assert (caught.value.field, caught.value.reason) == (field, code)


def test_a_bad_side_is_refused_when_the_command_runs(desk: Desk) -> None:
    error = refused(desk, receipt(desk, side="hold"), desk.taker)
    assert (error.field, error.reason) == ("side", Code.INVALID_CHOICE)


def test_a_failed_check_makes_a_rejection_with_its_code(desk: Desk) -> None:
    event = desk.review(desk.receive(quantity=150))
    assert not event.accepted and event.reason_codes == ["BOARD_LOT"]


def test_a_reviewer_code_makes_a_rejection(desk: Desk) -> None:
    event = desk.review(desk.receive(), o.ReviewerCode.PRICE_SANITY)
    assert not event.accepted and event.reason_codes == ["PRICE_SANITY"]


def test_a_check_code_is_not_a_reviewer_code(desk: Desk) -> None:
    command = o.ReviewOrder(order_id=desk.receive(), reject_codes=["BOARD_LOT"])  # type: ignore[list-item]
    error = refused(desk, command, desk.reviewer)
    assert (error.field, error.reason) == ("rejectCodes", Code.INVALID_CHOICE)


def test_the_taker_does_not_review_their_own_order(desk: Desk) -> None:
    error = refused(desk, o.ReviewOrder(order_id=desk.receive()), desk.taker)
    assert error.reason is Code.SAME_PERSON


def test_a_client_frozen_since_receipt_fails_the_review(desk: Desk) -> None:
    oid = desk.receive()
    supervisor = desk.d.staff("branch_manager")
    desk.d.run(c.FreezeClient(client_id=desk.client), supervisor, reason="court order")
    event = desk.review(oid)
    assert not event.accepted and "CLIENT_FROZEN" in event.reason_codes


def test_a_risk_level_raised_since_receipt_does_not_make_an_order_suitable(desk: Desk) -> None:
    desk.d.instrument("300750.SZ", risk="R4")
    oid = desk.receive(instrument_code="300750.SZ")
    desk.d.run(c.AssessRisk(client_id=desk.client, level=c.RiskLevel.C5), desk.manager)
    event = desk.review(oid)
    assert event.reason_codes == ["SUITABILITY_NOT_ACKNOWLEDGED"]
    assert (event.investor_risk, event.product_risk) == ("C3", "R4")


def test_cancelling_cancels_only_what_is_unfilled(desk: Desk) -> None:
    oid = desk.accepted()
    desk.fill(oid, "E1", 100, "10")
    desk.d.run(o.CancelOrder(order_id=oid, cause=o.CancelCause.CLIENT_REQUEST), desk.taker)
    event = desk.d.last(oid)
    assert isinstance(event, Order.Cancelled) and event.quantity == 200
    with pytest.raises(ValidationError) as caught:
        desk.fill(oid, "E2", 100, "10")
    assert caught.value.reason is Code.INVALID_STATE


def test_archiving_needs_a_final_state_and_feedback(desk: Desk) -> None:
    oid = desk.accepted()
    archive = o.ArchiveOrder(order_id=oid)
    refused(desk, archive, desk.taker)
    desk.fill(oid, "E1", 300, "10")
    refused(desk, archive, desk.taker)
    feedback = o.RecordOrderFeedback(order_id=oid, channel=o.OrderChannel.PHONE)
    desk.d.run(feedback, desk.taker)
    desk.d.run(archive, desk.taker)
    assert desk.d.app.get(Order, oid).status == "archived"


def test_an_escalated_flag_allows_only_a_rejection(desk: Desk) -> None:
    desk.d.run(
        UpsertInstrument(
            code="600519.SH",
            name="贵州茅台",
            board=Board.MAIN,
            risk_level=ProductRisk.R3,
            board_lot=100,
            restricted=True,
        )
    )
    oid = desk.receive()
    flagged = desk.d.last(oid)
    assert isinstance(flagged, Order.Flagged) and flagged.rules == ["RESTRICTED_INSTRUMENT"]
    with pytest.raises(ValidationError, match="risk management"):
        desk.review(oid)
    escalate = o.EscalateOrderFlag(order_id=oid, note="reported to compliance")
    desk.d.run(escalate, desk.risk)
    with pytest.raises(ValidationError, match="only be rejected"):
        desk.review(oid)
    assert not desk.review(oid, o.ReviewerCode.OTHER).accepted


def test_the_blotter_row_follows_the_events(desk: Desk) -> None:
    oid = desk.accepted()
    desk.fill(oid, "E1", 100, "10")
    desk.fill(oid, "E2", 200, "11.5")
    row = None
    for position, event in enumerate(desk.d.events(oid), start=1):
        row = evolve(row, event, position)
    assert row is not None
    assert (row.status, row.filled_quantity, row.average_price) == (
        "filled",
        300,
        Decimal("11.0000"),
    )
    assert row.taken_by == desk.taker
