"""A demo-like order for report tests: every kind of event a demo order has, by named staff."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from api.runtime import Runtime, system_command
from tests.conftest import add_staff, command, onboard

FILL_PRICES = (Decimal("1499.9"), Decimal("1500.1"))


def demo_like_order(rt: Runtime, account: str = "10000001") -> uuid.UUID:
    """Received and flagged (restricted list), cleared by risk, risk warning signed (an R4
    product for a C3 client), accepted, filled in two executions, reported and archived: nine
    events, like the longest demo orders."""
    rt.app.upsert_instrument(
        system_command(rt, "test"),
        code="600519.SH",
        name="贵州茅台",
        board="main",
        risk_level="R4",
        board_lot=100,
        restricted=True,
    )
    manager = add_staff(rt, "李娜", "SH01", ["account_manager"])[0].staff_id
    trader = add_staff(rt, "张伟", "SH01", ["trader"])[0].staff_id
    risk = add_staff(rt, "陈静", "SH01", ["risk"])[0].staff_id
    client_id = onboard(rt, manager, account)
    oid = uuid.uuid4()
    start = datetime.now(UTC) - timedelta(minutes=5)
    app = rt.app
    app.receive_order(
        command({"account_manager"}, actor=manager),
        order_id=oid,
        client_id=client_id,
        account_number=account,
        instrument_code="600519.SH",
        side="buy",
        quantity=300,
        order_type="limit",
        limit_price=Decimal("1500"),
        channel="counter",
        received_at=start,
    )
    app.clear_order_flag(command({"risk"}, actor=risk), order_id=oid, note="已电话向客户核实")
    app.acknowledge_risk_disclosure(
        command({"account_manager"}, actor=manager),
        order_id=oid,
        warning_ref="RW-2026-0001",
        signed_at=start + timedelta(seconds=30),
    )
    app.review_order(command({"trader"}, actor=trader), order_id=oid)
    for n, (quantity, price) in enumerate(zip((100, 200), FILL_PRICES, strict=True), start=1):
        app.record_fill(
            command({"trader"}, actor=trader),
            order_id=oid,
            execution_id=f"EXE-{oid.hex[:8]}-{n}",
            quantity=quantity,
            price=price,
            executed_at=start + timedelta(seconds=60 * n),
        )
    app.record_order_feedback(
        command({"account_manager"}, actor=manager),
        order_id=oid,
        channel="phone",
        fed_back_at=start + timedelta(seconds=200),
    )
    app.archive_order(command({"account_manager"}, actor=manager), order_id=oid)
    rt.runner.sync(rt.runner.head())
    return oid
