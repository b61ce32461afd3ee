"""Orders through BackOffice and the order read model on real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from api.database import Database
from api.runtime import Runtime
from domain import errors
from domain import orders as o
from domain.instruments import Board, ProductRisk, UpsertInstrument
from projections import orders as model
from tests.conftest import add_staff, onboard, run, staff


def load_catalogue(rt: Runtime) -> None:
    for code, name, board, risk, lot in [
        ("600519.SH", "贵州茅台", Board.MAIN, ProductRisk.R3, 100),
        ("300750.SZ", "宁德时代", Board.CHINEXT, ProductRisk.R4, 100),
        ("688981.SH", "中芯国际", Board.STAR, ProductRisk.R4, 200),
        ("000001.SZ", "平安银行", Board.MAIN, ProductRisk.R2, 100),
    ]:
        rt.system(
            UpsertInstrument(code=code, name=name, board=board, risk_level=risk, board_lot=lot),
            "test",
        )


@pytest.fixture
def client_id(runtime: Runtime) -> uuid.UUID:
    load_catalogue(runtime)
    manager = add_staff(runtime, "客户经理", "SH01", ["account_manager"])[0].staff_id
    return onboard(runtime, manager, "10000001")


@pytest.fixture
def taker(runtime: Runtime) -> uuid.UUID:
    """The trader who takes the orders."""
    return staff(runtime, "trader", name="接单员")


@pytest.fixture
def trader(runtime: Runtime) -> uuid.UUID:
    """Another trader, who reviews and fills them."""
    return staff(runtime, "trader", name="交易员")


def receive(rt: Runtime, client_id: uuid.UUID, taker: uuid.UUID, **kw: Any) -> uuid.UUID:
    # received_at is left to default to now: the order may not predate the account opening,
    # which the fixture did an instant ago.
    args: dict[str, Any] = {
        "order_id": uuid.uuid4(),
        "client_id": client_id,
        "account_number": "10000001",
        "instrument_code": "600519.SH",
        "side": o.Side.BUY,
        "quantity": 200,
        "order_type": o.OrderType.LIMIT,
        "limit_price": Decimal("1500.00"),
        "channel": o.OrderChannel.COUNTER,
    }
    args.update(kw)
    return run(rt, o.ReceiveOrder(**args), taker).aggregate_id


def fill(order_id: uuid.UUID, execution_id: str, quantity: int, price: Decimal) -> o.RecordFill:
    return o.RecordFill(
        order_id=order_id,
        execution_id=execution_id,
        quantity=quantity,
        price=price,
        executed_at=datetime.now(UTC),
    )


def test_an_order_goes_from_receipt_to_archive_and_the_blotter_follows(
    runtime: Runtime, client_id: uuid.UUID, taker: uuid.UUID, trader: uuid.UUID
) -> None:
    oid = receive(runtime, client_id, taker)
    assert run(runtime, o.ReviewOrder(order_id=oid), trader).version == 2
    run(runtime, fill(oid, "E1", 100, Decimal("1499.5")), trader)
    run(runtime, fill(oid, "E2", 100, Decimal("1500.5")), trader)
    run(
        runtime,
        o.RecordOrderFeedback(
            order_id=oid, channel=o.OrderChannel.PHONE, fed_back_at=datetime.now(UTC)
        ),
        taker,
    )
    run(runtime, o.ArchiveOrder(order_id=oid), taker)
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        row = model.get(curs, oid)
        steps = [t.event_type for t in model.timeline(curs, oid)]
    assert row is not None and row.status == "archived"
    assert (row.filled_quantity, row.average_price) == (200, Decimal("1500.0000"))
    assert steps == ["Received", "Reviewed", "Filled", "Filled", "FedBack", "Archived"]


def test_the_reviewer_must_not_be_the_taker(
    runtime: Runtime, client_id: uuid.UUID, taker: uuid.UUID
) -> None:
    oid = receive(runtime, client_id, taker)
    with pytest.raises(errors.ValidationError, match="took the order"):
        run(runtime, o.ReviewOrder(order_id=oid), taker)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"quantity": 150}, "BOARD_LOT"),
        ({"limit_price": None}, "LIMIT_PRICE_INVALID"),
        ({"account_number": "99999999"}, "ACCOUNT_MISMATCH"),
        ({"instrument_code": "300750.SZ"}, "BOARD_NOT_PERMITTED"),
        ({"instrument_code": "300750.SZ"}, "SUITABILITY_NOT_ACKNOWLEDGED"),
    ],
)
def test_a_failed_check_is_recorded_as_a_rejection_with_its_code(
    runtime: Runtime,
    database: Database,
    client_id: uuid.UUID,
    taker: uuid.UUID,
    trader: uuid.UUID,
    kwargs: dict[str, Any],
    code: str,
) -> None:
    oid = receive(runtime, client_id, taker, **kwargs)
    run(runtime, o.ReviewOrder(order_id=oid), trader)
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        row = model.get(curs, oid)
    assert row is not None and row.status == "rejected" and code in row.reason_codes


def test_overfill_and_a_repeated_execution_id_are_refused(
    runtime: Runtime, client_id: uuid.UUID, taker: uuid.UUID, trader: uuid.UUID
) -> None:
    oid = receive(runtime, client_id, taker)
    run(runtime, o.ReviewOrder(order_id=oid), trader)
    with pytest.raises(errors.ValidationError, match="exceeds"):
        run(runtime, fill(oid, "X1", 300, Decimal(1)), trader)
    run(runtime, fill(oid, "X1", 100, Decimal(1)), trader)
    with pytest.raises(errors.ValidationError, match="already recorded"):
        run(runtime, fill(oid, "X1", 100, Decimal(1)), trader)
    other = receive(runtime, client_id, taker)
    run(runtime, o.ReviewOrder(order_id=other), trader)
    with pytest.raises(errors.ValidationError, match="another order"):
        run(runtime, fill(other, "X1", 100, Decimal(1)), trader)


def test_a_restricted_instrument_flags_the_order_until_risk_clears_it(
    runtime: Runtime, client_id: uuid.UUID, taker: uuid.UUID, trader: uuid.UUID
) -> None:
    runtime.system(
        UpsertInstrument(
            code="000001.SZ",
            name="平安银行",
            board=Board.MAIN,
            risk_level=ProductRisk.R2,
            board_lot=100,
            restricted=True,
        ),
        "test",
    )
    risk = staff(runtime, "risk")
    oid = receive(runtime, client_id, taker, instrument_code="000001.SZ", limit_price=Decimal(10))
    with pytest.raises(errors.ValidationError, match="risk management"):
        run(runtime, o.ReviewOrder(order_id=oid), trader)
    with pytest.raises(errors.NotAllowed):
        run(runtime, o.ClearOrderFlag(order_id=oid, note="fine"), trader)
    run(runtime, o.ClearOrderFlag(order_id=oid, note="checked with client"), risk)
    run(runtime, o.ReviewOrder(order_id=oid), trader)
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        row = model.get(curs, oid)
        queue = model.flagged(curs, None)
    assert row is not None
    assert (row.status, row.flag_status, row.flag_rules) == (
        "accepted",
        "cleared",
        ["RESTRICTED_INSTRUMENT"],
    )
    assert queue == []
