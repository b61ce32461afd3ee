"""The generator's trading stories: a client's onboarding, then its orders (receipt, risk
management's flag, review, fill or cancellation, feedback, archive), each at its business time."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from api.generation import GIVEN, ORDER_WINDOW, SURNAMES, Actor, Branch, Plan, ident
from domain import clients as c
from domain import orders as o
from domain.clients.identity import DocumentType, resident_id_check_char
from domain.instruments import UpsertInstrument

# -- clients and their orders ---------------------------------------------------------------


def client_task(
    g: Actor,
    plan: Plan,
    i: int,
    start: datetime,
    span: timedelta,
    branches: list[Branch],
    catalogue: list[UpsertInstrument],
    orders: int,
) -> Callable[[], None]:
    def task() -> None:
        rng = random.Random(f"{plan.seed}:client:{i}")
        stage = rng.random()
        b = branches[rng.randrange(len(branches))]
        cid = ident(plan.seed, "client", i)
        manager = rng.choice(b.managers)
        at = start + span * rng.random() * (0.5 if orders else 1.0)
        at = at.replace(hour=rng.randint(1, 8), minute=rng.randint(0, 59))
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        key = f"c{i}"
        register = c.RegisterClient(
            client_id=cid,
            client_type=c.ClientType.INDIVIDUAL,
            name=name,
            source_channel=rng.choice(list(c.SourceChannel)),
            account_manager=manager,
        )
        if not g.run(f"{key}:register", b.marketing, at, register) or stage < 0.04:
            return  # a prospect
        born = at.date().replace(year=rng.randint(1950, 2000), day=rng.randint(1, 28))
        first17 = f"310115{born:%Y%m%d}{i % 1000:03d}"
        number = first17 + resident_id_check_char(first17)
        at += timedelta(minutes=rng.randint(5, 120))
        g.run(
            f"{key}:identity",
            manager,
            at,
            c.RecordIdentity(
                client_id=cid,
                real_name=name,
                document_type=DocumentType.RESIDENT_ID,
                document_number=number,
            ),
        )
        g.run(
            f"{key}:contact",
            manager,
            at,
            c.RecordContact(
                client_id=cid,
                mobile=f"13{rng.randint(100_000_000, 999_999_999)}",
                id_address=f"上海市某路{i}号",
                mailing_address=f"上海市某街{i}号",
            ),
        )
        level = rng.choices(list(c.RiskLevel), [5, 20, 35, 25, 15])[0]
        g.run(f"{key}:risk", manager, at, c.AssessRisk(client_id=cid, level=level))
        g.run(
            f"{key}:classify",
            manager,
            at,
            c.ClassifyInvestor(
                client_id=cid,
                classification=c.InvestorClass.ORDINARY,
                financial_assets=Decimal(rng.choice([300_000, 1_000_000, 3_000_000])),
            ),
        )
        if stage < 0.08:
            return  # profiled, no agreement yet
        g.run(
            f"{key}:agreement",
            manager,
            at,
            c.SignAgreement(
                client_id=cid, agreement_type=c.AgreementType.CLIENT_AGREEMENT, version="2025.2"
            ),
        )
        account = f"{10 + branches.index(b):02d}{plan.seed % 100:02d}{i:07d}"[-10:]
        if not g.run(
            f"{key}:open", manager, at, c.OpenAccount(client_id=cid, account_number=account)
        ):
            return
        opened = at
        end = min(opened + ORDER_WINDOW, g.now - timedelta(hours=2))
        times = sorted(
            opened + timedelta(hours=1) + (end - opened - timedelta(hours=1)) * rng.random()
            for _ in range(orders)
        )
        for n, when in enumerate(times):
            order(g, plan, rng, f"{i}.{n}", cid, account, b, catalogue, when)

    return task


def trading_time(rng: random.Random, day: datetime) -> datetime:
    """A moment of the trading session (09:30-15:00 in Shanghai) on ``day``'s UTC date."""
    return day.replace(hour=1, minute=30, second=0, microsecond=0) + timedelta(
        minutes=rng.randint(0, 320), microseconds=rng.randint(0, 999_999)
    )


def order(
    g: Actor,
    plan: Plan,
    rng: random.Random,
    n: str,
    cid: UUID,
    account: str,
    b: Branch,
    catalogue: list[UpsertInstrument],
    when: datetime,
) -> None:
    """One order's story: receipt, risk management's flag, review, fills, feedback, archive."""
    oid = ident(plan.seed, "order", n)
    inst = catalogue[rng.randrange(len(catalogue))]
    at = max(trading_time(rng, when), when)
    at = min(at, g.now - timedelta(hours=1))
    lot = inst.board_lot
    quantity = lot * rng.randint(1, 20)
    price = Decimal(rng.randint(500, 200_000)) / 100
    market = rng.random() < 0.1
    key = f"o{n}"
    taker = rng.choice(b.managers)
    if not g.run(
        f"{key}:receive",
        taker,
        at,
        o.ReceiveOrder(
            order_id=oid,
            client_id=cid,
            account_number=account,
            instrument_code=inst.code,
            side=o.Side.BUY if rng.random() < 0.6 else o.Side.SELL,
            quantity=quantity,
            order_type=o.OrderType.MARKET if market else o.OrderType.LIMIT,
            limit_price=None if market else price,
            channel=rng.choice(
                [o.OrderChannel.COUNTER, o.OrderChannel.PHONE] * 1 + [o.OrderChannel.ONLINE] * 2
            ),
            received_at=at,
        ),
    ):
        return
    order = g.runtime.app.get(o.Order, oid)
    at += timedelta(minutes=rng.randint(1, 15))
    if order.flag == "open":
        if rng.random() < 0.8:
            note = "confirmed with the client by phone"
            g.run(f"{key}:clear", b.risk, at, o.ClearOrderFlag(order_id=oid, note=note))
        else:
            note = "reported to head office compliance"
            g.run(f"{key}:escalate", b.risk, at, o.EscalateOrderFlag(order_id=oid, note=note))
            g.run(
                f"{key}:review",
                b.trader,
                at,
                o.ReviewOrder(order_id=oid, reject_codes=[o.ReviewerCode.OTHER]),
                "escalated by risk management",
            )
            return
        at += timedelta(minutes=rng.randint(1, 30))
    if rng.random() < 0.03:
        cause = o.CancelCause.CLIENT_REQUEST
        g.run(f"{key}:cancel0", taker, at, o.CancelOrder(order_id=oid, cause=cause))
        return
    if not g.run(f"{key}:review", b.trader, at, o.ReviewOrder(order_id=oid, reject_codes=[])):
        return
    if g.runtime.app.get(o.Order, oid).status != "accepted":
        return  # rejected by the review's own checks (e.g. suitability)
    at += timedelta(seconds=rng.randint(1, 600))
    filled = rng.random() < 0.85
    if filled:
        fill_price = price if not market else Decimal(rng.randint(500, 200_000)) / 100
        filled = g.run(
            f"{key}:fill",
            b.trader,
            at,
            o.RecordFill(
                order_id=oid,
                execution_id=f"X{plan.seed}-{n}",
                quantity=quantity,
                price=fill_price,
                executed_at=min(at, g.now),
            ),
        )
    if not filled:
        cause = rng.choice([o.CancelCause.CLIENT_REQUEST, o.CancelCause.EXPIRED])
        if not g.run(f"{key}:cancel", taker, at, o.CancelOrder(order_id=oid, cause=cause)):
            return
    at += timedelta(minutes=rng.randint(1, 90))
    channel = rng.choice([o.OrderChannel.PHONE, o.OrderChannel.ONLINE])
    fed_back = g.run(
        f"{key}:feedback",
        taker,
        at,
        o.RecordOrderFeedback(order_id=oid, channel=channel, fed_back_at=min(at, g.now)),
    )
    if fed_back and (g.now - at) > timedelta(days=7) and rng.random() < 0.8:
        g.run(f"{key}:archive", taker, at + timedelta(days=1), o.ArchiveOrder(order_id=oid))
