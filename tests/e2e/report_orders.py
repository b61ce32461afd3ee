"""A demo-like order for report tests: every kind of event a demo order has, by named staff."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from api.runtime import Runtime
from domain import orders as o
from domain.instruments import Board, ProductRisk, UpsertInstrument
from tests.conftest import add_staff, onboard, run

FILL_PRICES = (Decimal("1499.9"), Decimal("1500.1"))


def demo_like_order(rt: Runtime, account: str = "10000001") -> uuid.UUID:
    """Received and flagged (restricted list), cleared by risk, risk warning signed (an R4
    product for a C3 client), accepted, filled in two executions, reported and archived: nine
    events, like the longest demo orders."""
    run(
        rt,
        UpsertInstrument(
            code="600519.SH",
            name="贵州茅台",
            board=Board.MAIN,
            risk_level=ProductRisk.R4,
            board_lot=100,
            restricted=True,
        ),
    )
    manager = add_staff(rt, "李娜", "SH01", ["account_manager"])[0].staff_id
    trader = add_staff(rt, "张伟", "SH01", ["trader"])[0].staff_id
    risk = add_staff(rt, "陈静", "SH01", ["risk"])[0].staff_id
    client_id = onboard(rt, manager, account)
    oid = uuid.uuid4()
    start = datetime.now(UTC)
    run(
        rt,
        o.ReceiveOrder(
            order_id=oid,
            client_id=client_id,
            account_number=account,
            instrument_code="600519.SH",
            side=o.Side.BUY,
            quantity=300,
            order_type=o.OrderType.LIMIT,
            limit_price=Decimal("1500"),
            channel=o.OrderChannel.COUNTER,
            received_at=start,
        ),
        manager,
    )
    run(rt, o.ClearOrderFlag(order_id=oid, note="已电话向客户核实"), risk)
    run(
        rt,
        o.AcknowledgeRiskDisclosure(order_id=oid, warning_ref="RW-2026-0001", signed_at=start),
        manager,
    )
    run(rt, o.ReviewOrder(order_id=oid), trader)
    for n, (quantity, price) in enumerate(zip((100, 200), FILL_PRICES, strict=True), start=1):
        run(
            rt,
            o.RecordFill(
                order_id=oid,
                execution_id=f"EXE-{oid.hex[:8]}-{n}",
                quantity=quantity,
                price=price,
                executed_at=start,
            ),
            trader,
        )
    run(rt, o.RecordOrderFeedback(order_id=oid, channel=o.OrderChannel.PHONE), manager)
    last = run(rt, o.ArchiveOrder(order_id=oid), manager)
    rt.runner.sync(last.position or 0)
    return oid
