"""Orders through BackOffice and the order read model on real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from api.database import Database
from api.runtime import Runtime, system_command
from domain import errors
from projections import orders as model
from tests.conftest import add_staff, command, onboard


def load_catalogue(rt: Runtime) -> None:
    for code, name, board, risk, lot in [
        ("600519.SH", "贵州茅台", "main", "R3", 100),
        ("300750.SZ", "宁德时代", "chinext", "R4", 100),
        ("688981.SH", "中芯国际", "star", "R4", 200),
        ("000001.SZ", "平安银行", "main", "R2", 100),
    ]:
        rt.app.upsert_instrument(
            system_command(rt, "test"),
            code=code,
            name=name,
            board=board,
            risk_level=risk,
            board_lot=lot,
        )


@pytest.fixture
def client_id(runtime: Runtime) -> uuid.UUID:
    load_catalogue(runtime)
    manager = add_staff(runtime, "客户经理", "SH01", ["account_manager"])[0].staff_id
    return onboard(runtime, manager, "10000001")


def receive(rt: Runtime, client_id: uuid.UUID, taker: uuid.UUID, **kw: object) -> uuid.UUID:
    order_id = uuid.uuid4()
    args: dict[str, object] = {
        "account_number": "10000001",
        "instrument_code": "600519.SH",
        "side": "buy",
        "quantity": 200,
        "order_type": "limit",
        "limit_price": Decimal("1500.00"),
        "channel": "counter",
        "received_at": datetime.now(UTC) - timedelta(seconds=5),
    }
    args.update(kw)
    rt.app.receive_order(
        command({"trader"}, actor=taker),
        order_id=order_id,
        client_id=client_id,
        **args,  # type: ignore[arg-type]
    )
    return order_id


def test_an_order_goes_from_receipt_to_archive_and_the_blotter_follows(
    runtime: Runtime, client_id: uuid.UUID
) -> None:
    taker, trader = uuid.uuid4(), uuid.uuid4()
    oid = receive(runtime, client_id, taker)
    assert runtime.app.review_order(command({"trader"}, actor=trader), order_id=oid).version == 2
    now = datetime.now(UTC)
    runtime.app.record_fill(
        command({"trader"}, actor=trader),
        order_id=oid,
        execution_id="E1",
        quantity=100,
        price=Decimal("1499.5"),
        executed_at=now,
    )
    runtime.app.record_fill(
        command({"trader"}, actor=trader),
        order_id=oid,
        execution_id="E2",
        quantity=100,
        price=Decimal("1500.5"),
        executed_at=now,
    )
    runtime.app.record_order_feedback(
        command({"trader"}, actor=taker),
        order_id=oid,
        channel="phone",
        fed_back_at=now,
    )
    runtime.app.archive_order(command({"trader"}, actor=taker), order_id=oid)
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        row = model.get(curs, oid)
        steps = [t.event_type for t in model.timeline(curs, oid)]
    assert row is not None and row.status == "archived"
    assert (row.filled_quantity, row.average_price) == (200, Decimal("1500.0000"))
    assert steps == ["Received", "Reviewed", "Filled", "Filled", "FedBack", "Archived"]


def test_the_reviewer_must_not_be_the_taker(runtime: Runtime, client_id: uuid.UUID) -> None:
    taker = uuid.uuid4()
    oid = receive(runtime, client_id, taker)
    with pytest.raises(errors.ValidationError, match="took the order"):
        runtime.app.review_order(command({"trader"}, actor=taker), order_id=oid)


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
    runtime: Runtime, database: Database, client_id: uuid.UUID, kwargs: dict[str, object], code: str
) -> None:
    oid = receive(runtime, client_id, uuid.uuid4(), **kwargs)
    runtime.app.review_order(command({"trader"}), order_id=oid)
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        row = model.get(curs, oid)
    assert row is not None and row.status == "rejected" and code in row.reason_codes


def test_overfill_and_a_repeated_execution_id_are_refused(
    runtime: Runtime, client_id: uuid.UUID
) -> None:
    oid = receive(runtime, client_id, uuid.uuid4())
    runtime.app.review_order(command({"trader"}), order_id=oid)
    now = datetime.now(UTC)
    with pytest.raises(errors.ValidationError, match="exceeds"):
        runtime.app.record_fill(
            command({"trader"}),
            order_id=oid,
            execution_id="X1",
            quantity=300,
            price=Decimal(1),
            executed_at=now,
        )
    runtime.app.record_fill(
        command({"trader"}),
        order_id=oid,
        execution_id="X1",
        quantity=100,
        price=Decimal(1),
        executed_at=now,
    )
    with pytest.raises(errors.ValidationError, match="already recorded"):
        runtime.app.record_fill(
            command({"trader"}),
            order_id=oid,
            execution_id="X1",
            quantity=100,
            price=Decimal(1),
            executed_at=now,
        )
    other = receive(runtime, client_id, uuid.uuid4())
    runtime.app.review_order(command({"trader"}), order_id=other)
    with pytest.raises(errors.ValidationError, match="another order"):
        runtime.app.record_fill(
            command({"trader"}),
            order_id=other,
            execution_id="X1",
            quantity=100,
            price=Decimal(1),
            executed_at=now,
        )


def test_a_restricted_instrument_flags_the_order_until_risk_clears_it(
    runtime: Runtime, client_id: uuid.UUID
) -> None:
    runtime.app.upsert_instrument(
        system_command(runtime, "test"),
        code="000001.SZ",
        name="平安银行",
        board="main",
        risk_level="R2",
        board_lot=100,
        restricted=True,
    )
    oid = receive(
        runtime, client_id, uuid.uuid4(), instrument_code="000001.SZ", limit_price=Decimal("10")
    )
    with pytest.raises(errors.ValidationError, match="risk management"):
        runtime.app.review_order(command({"trader"}), order_id=oid)
    with pytest.raises(errors.NotAllowed):
        runtime.app.clear_order_flag(command({"trader"}), order_id=oid, note="fine")
    runtime.app.clear_order_flag(command({"risk"}), order_id=oid, note="checked with client")
    runtime.app.review_order(command({"trader"}), order_id=oid)
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
