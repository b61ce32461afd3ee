"""Demo orders: the sample catalogue, then a few thousand orders over 90 days in every state,
and annual risk reviews after them (so reconstructions show clients as at each receipt)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from api.demo import Seeder
from api.demo.clients import client_id
from api.demo.staff import staff_id
from api.instruments_csv import SAMPLE_INSTRUMENTS, read_instruments
from domain import orders as o
from domain.clients import AssessRisk, Client, GrantTradingPermission, RiskLevel
from domain.envelope import SYSTEM_ACTOR
from domain.instruments import Board, UpsertInstrument

# Who handles orders in the demo, per branch: (takers, trader, risk officer).
ORDER_STAFF = {
    "SH01": ([staff_id(1), staff_id(12), staff_id(3)], staff_id(2), staff_id(4)),
    "BJ02": ([staff_id(11)], staff_id(8), staff_id(13)),
}


def seed(s: Seeder, count: int = 2000, client_count: int = 300, seed: int = 2027) -> None:
    """Load the sample catalogue and seed ``count`` orders, in every state (deterministic)."""
    rng = random.Random(seed)
    catalogue = [command for _, command in read_instruments(SAMPLE_INSTRUMENTS)]
    for command in catalogue:
        s.run(f"instrument:{command.code}", SYSTEM_ACTOR, s.now, command, "demo catalogue")
    clients = [
        found
        for found in (s.runtime.app.find(client_id(i)) for i in range(client_count))
        if isinstance(found, Client) and found.account_number and found.status == "active"
    ]
    for n, client in enumerate(clients):
        if n % 3 == 0:
            takers, _, _ = ORDER_STAFF[client.branch]
            s.run(
                f"perm{n}",
                takers[0],
                s.now - timedelta(days=95),
                GrantTradingPermission(client_id=client.id, board=Board.CHINEXT),
                may_fail=True,  # e.g. the risk assessment had lapsed 95 days ago
            )
    for i in range(count):
        _one(s, rng, i, rng.choice(clients), rng.choice(catalogue))
        s.report("demo orders", i + 1, count)
    for n, client in enumerate(clients):
        if n % 5 == 0 and client.risk_level is not None:
            takers, _, _ = ORDER_STAFF[client.branch]
            level = RiskLevel.C2 if client.risk_level != "C2" else RiskLevel.C4
            s.run(
                f"review{n}",
                takers[0],
                s.now,
                AssessRisk(client_id=client.id, level=level),
                "annual suitability review",
                may_fail=True,  # a closed client takes no review
            )


def _one(s: Seeder, rng: random.Random, i: int, client: Client, inst: UpsertInstrument) -> None:
    """One order's story, step by step; it stops at a random stage."""
    takers, trader, risk = ORDER_STAFF[client.branch]
    taker = rng.choice(takers)
    day = s.now - timedelta(days=rng.randint(0, 90))
    at = day.replace(hour=1, minute=30) + timedelta(
        minutes=rng.randint(0, 330), microseconds=rng.randint(0, 999_999)
    )
    at = min(at, s.now - timedelta(minutes=30))
    if client.opened_at is not None:  # an order cannot be received before the account opened
        at = max(at, client.opened_at + timedelta(minutes=1))
    lot = inst.board_lot
    odd = rng.randint(1, lot - 1) if rng.random() < 0.03 and lot > 1 else 0
    quantity = lot * rng.randint(1, 20) + odd
    price = Decimal(rng.randint(500, 200_000)) / 100
    market = rng.random() < 0.1
    oid = uuid5(NAMESPACE_URL, f"backoffice:demo:order:{i}")

    def do(
        step: str, actor: UUID, when: datetime, command: object, reason: str | None = None
    ) -> bool:
        return s.run(f"o{i}:{step}", actor, when, command, reason, may_fail=True)  # type: ignore[arg-type]

    received = do(
        "receive",
        taker,
        at,
        o.ReceiveOrder(
            order_id=oid,
            client_id=client.id,
            account_number=client.account_number or "",
            instrument_code=inst.code,
            side=o.Side.BUY if rng.random() < 0.6 else o.Side.SELL,
            quantity=quantity,
            order_type=o.OrderType.MARKET if market else o.OrderType.LIMIT,
            limit_price=None if market else price,
            channel=rng.choice(
                [o.OrderChannel.COUNTER, o.OrderChannel.PHONE] + [o.OrderChannel.ONLINE] * 2
            ),
            received_at=at,
        ),
    )
    if not received or (s.now - at) < timedelta(hours=2) and rng.random() < 0.5:
        return  # still waiting for review
    order = s.runtime.app.get(o.Order, oid)
    at += timedelta(minutes=rng.randint(1, 15))
    if order.flag == "open":
        if rng.random() < 0.3:
            return  # in risk management's queue
        if rng.random() < 0.8:
            do(
                "clear",
                risk,
                at,
                o.ClearOrderFlag(order_id=oid, note="confirmed with the client by phone"),
            )
        else:
            do(
                "escalate",
                risk,
                at,
                o.EscalateOrderFlag(order_id=oid, note="reported to head office compliance"),
            )
        at += timedelta(minutes=rng.randint(1, 30))
    if rng.random() < 0.03:
        do("cancel0", taker, at, o.CancelOrder(order_id=oid, cause=o.CancelCause.CLIENT_REQUEST))
    elif s.runtime.app.get(o.Order, oid).flag == "escalated":
        do("review", trader, at, o.ReviewOrder(order_id=oid, reject_codes=[o.ReviewerCode.OTHER]),
           "escalated by risk management")  # fmt: skip
    else:
        if s.runtime.app.get(o.Order, oid).status == "received" and rng.random() < 0.5:
            do(
                "ack",
                taker,
                at,
                o.AcknowledgeRiskDisclosure(order_id=oid, warning_ref="RW-2025-07", signed_at=at),
            )
        manual = [o.ReviewerCode.PRICE_SANITY] if rng.random() < 0.02 else []
        do("review", trader, at, o.ReviewOrder(order_id=oid, reject_codes=manual))
    _execute(s, rng, i, oid, trader, taker, lot, price, market, at)


def _execute(
    s: Seeder,
    rng: random.Random,
    i: int,
    oid: UUID,
    trader: UUID,
    taker: UUID,
    lot: int,
    price: Decimal,
    market: bool,
    at: datetime,
) -> None:
    app = s.runtime.app
    order = app.get(o.Order, oid)
    if order.status == "accepted":
        at += timedelta(seconds=rng.randint(1, 600))
        remaining = order.quantity
        fills = 1 if rng.random() < 0.7 else 2
        for k in range(fills):
            qty = remaining if k == fills - 1 else lot * max(1, remaining // lot // 2)
            if rng.random() < 0.12 and k == fills - 1:
                break  # left partially filled or unfilled
            fill_price = price if not market else Decimal(rng.randint(500, 200_000)) / 100
            s.run(
                f"o{i}:fill{k}",
                trader,
                at,
                o.RecordFill(
                    order_id=oid,
                    execution_id=f"X{i:05d}{k}",
                    quantity=qty,
                    price=fill_price,
                    executed_at=min(at, s.now),
                ),
                may_fail=True,
            )
            remaining -= qty
            at += timedelta(seconds=rng.randint(1, 300))
        if app.get(o.Order, oid).status in ("accepted", "partially_filled") and rng.random() < 0.6:
            cause = (
                o.CancelCause.ERROR
                if rng.random() < 0.1
                else rng.choice([o.CancelCause.CLIENT_REQUEST, o.CancelCause.EXPIRED])
            )
            s.run(
                f"o{i}:cancel", taker, at, o.CancelOrder(order_id=oid, cause=cause), may_fail=True
            )
    if app.get(o.Order, oid).status in ("filled", "cancelled", "rejected") and rng.random() < 0.9:
        at += timedelta(minutes=rng.randint(1, 90))
        channel = rng.choice([o.OrderChannel.PHONE, o.OrderChannel.ONLINE])
        fed_back = s.run(
            f"o{i}:feedback",
            taker,
            at,
            o.RecordOrderFeedback(order_id=oid, channel=channel, fed_back_at=min(at, s.now)),
            may_fail=True,
        )
        if fed_back and (s.now - at) > timedelta(days=7) and rng.random() < 0.8:
            s.run(
                f"o{i}:archive",
                taker,
                at + timedelta(days=1),
                o.ArchiveOrder(order_id=oid),
                may_fail=True,
            )
