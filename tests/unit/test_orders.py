"""Order aggregate: given events, when command, then events or error."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.envelope import Envelope
from domain.errors import ValidationError
from domain.orders import Order
from domain.suitability import CheckOutcome
from projections.orders import evolve

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TAKER = uuid.uuid4()
PASS = [CheckOutcome("BOARD_LOT", True, "ok")]


def env(actor: uuid.UUID | None = None) -> Envelope:
    return Envelope(actor or uuid.uuid4(), "trader", "SH01", uuid.uuid4(), uuid.uuid4(), NOW)


def received(flags: list[str] | None = None, **kw: object) -> Order:
    args: dict[str, object] = {
        "account_number": "10000001",
        "instrument_code": "600519.SH",
        "side": "buy",
        "quantity": 300,
        "order_type": "limit",
        "limit_price": Decimal("10"),
        "channel": "counter",
        "received_at": NOW - timedelta(minutes=1),
    }
    args.update(kw)
    return Order.receive(
        env(TAKER),
        uuid.uuid4(),
        uuid.uuid4(),
        "SH01",  # type: ignore[arg-type]
        received_on=date(2026, 11, 23),
        flags=flags,
        **args,
    )


def accepted() -> Order:
    order = received()
    assert order.review(env(), PASS, [], "R3", "C3")
    return order


def test_receipt_refuses_a_time_in_the_future_and_a_bad_side() -> None:
    with pytest.raises(ValidationError) as caught:
        received(received_at=NOW + timedelta(seconds=1))
    assert caught.value.field == "receivedAt"
    with pytest.raises(ValidationError) as caught:
        received(side="hold")
    assert caught.value.field == "side"


def test_a_failed_check_or_a_reviewer_code_makes_a_rejection() -> None:
    order = received()
    assert not order.review(env(), [CheckOutcome("BOARD_LOT", False, "150/100")], [], "R3", "C3")
    event = order.collect_events()[-1]
    assert isinstance(event, Order.Reviewed) and event.reason_codes == ["BOARD_LOT"]
    other = received()
    assert not other.review(env(), PASS, ["price_sanity"], "R3", "C3")
    with pytest.raises(ValidationError):
        received().review(env(), PASS, ["BOARD_LOT"], "R3", "C3")  # not a reviewer's code


def test_cancelling_cancels_only_what_is_unfilled() -> None:
    order = accepted()
    order.record_fill(env(), "E1", 100, Decimal("10"), NOW)
    order.cancel(env(), "client_request")
    event = order.collect_events()[-1]
    assert isinstance(event, Order.Cancelled) and event.quantity == 200
    with pytest.raises(ValidationError):
        order.record_fill(env(), "E2", 100, Decimal("10"), NOW)


def test_archiving_needs_a_final_state_and_feedback() -> None:
    order = accepted()
    with pytest.raises(ValidationError):
        order.archive(env())
    order.record_fill(env(), "E1", 300, Decimal("10"), NOW)
    with pytest.raises(ValidationError):
        order.archive(env())
    order.feed_back(env(), "phone", NOW)
    order.archive(env())
    assert order.status == "archived"


def test_an_escalated_flag_allows_only_a_rejection() -> None:
    order = received(flags=["RESTRICTED_INSTRUMENT"])
    with pytest.raises(ValidationError, match="risk management"):
        order.review(env(), PASS, [], "R3", "C3")
    order.escalate_flag(env(), "reported to compliance")
    with pytest.raises(ValidationError, match="only be rejected"):
        order.review(env(), PASS, [], "R3", "C3")
    assert not order.review(env(), PASS, ["OTHER"], "R3", "C3")


def test_the_blotter_row_follows_the_events() -> None:
    order = accepted()
    order.record_fill(env(), "E1", 100, Decimal("10"), NOW)
    order.record_fill(env(), "E2", 200, Decimal("11.5"), NOW)
    row = None
    for position, event in enumerate(order.collect_events(), start=1):
        row = evolve(row, event, position)
    assert row is not None
    assert (row.status, row.filled_quantity, row.average_price) == (
        "filled",
        300,
        Decimal("11.0000"),
    )
    assert row.taken_by == TAKER
