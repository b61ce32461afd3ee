"""Demo data for a fresh store: a head office and two branches, their staff and a few
hundred clients in every state, with valid generated identity numbers."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from uuid import NAMESPACE_URL, UUID, uuid5

from api.auth import new_token, token_hash
from api.runtime import Runtime, system_command
from domain.application import BackOffice, CommandResult
from domain.envelope import Command
from domain.errors import DomainError
from domain.identity import USCC_ALPHABET, resident_id_check_char, uscc_check_char

DEMO_ADMIN = uuid5(NAMESPACE_URL, "backoffice:demo:admin")

STAFF: list[tuple[str, str, list[str]]] = [
    ("王建国", "SH01", ["branch_manager"]),
    ("李娜", "SH01", ["account_manager"]),
    ("张伟", "SH01", ["trader"]),
    ("刘洋", "SH01", ["customer_service"]),
    ("陈静", "SH01", ["risk"]),
    ("杨帆", "SH01", ["finance"]),
    ("赵敏", "SH01", ["marketing"]),
    ("周强", "BJ02", ["branch_manager"]),
    ("吴磊", "BJ02", ["trader"]),
    ("孙丽", "HQ", ["head_office"]),
    ("郑华", "HQ", ["auditor"]),
    ("钱多多", "BJ02", ["account_manager"]),
    ("黄蕾", "SH01", ["account_manager"]),
    ("林峰", "BJ02", ["risk"]),
]


def _stage(
    progress: Callable[[str, int, int], None] | None, name: str
) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(name, done, total)


def staff_id(index: int) -> UUID:
    """The id of the demo staff member at ``index`` of STAFF."""
    return uuid5(NAMESPACE_URL, f"backoffice:demo:staff:{index}")


# Who acts for each branch in the demo: (account managers, marketing, supervisor).
BRANCH_STAFF = {
    "SH01": ([staff_id(1), staff_id(12)], staff_id(6), staff_id(0)),
    "BJ02": ([staff_id(11)], staff_id(11), staff_id(7)),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国晓东"
REGIONS = ["110105", "310115", "440305", "320106", "330106", "510107"]
COMPANIES = ["华信投资", "东方制造", "长江贸易", "新兴科技", "远航物流", "金石资本"]


def seed(
    runtime: Runtime,
    token_file: Path,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    clients: int = 300,
    orders: int = 2000,
) -> str | None:
    """Seed the demo branch once; return the demo admin's token (kept in ``token_file``)."""
    app = runtime.app
    if token_file.exists() and app.recorder.select_events(DEMO_ADMIN, limit=1):
        return token_file.read_text().strip()
    position = 0
    result = app.register_staff(
        system_command(runtime, "demo data", "demo:admin"),
        staff_id=DEMO_ADMIN,
        name="Demo Admin",
        branch="HQ",
        roles=["admin"],
    )
    for i, (name, branch, roles) in enumerate(STAFF):
        r = app.register_staff(
            system_command(runtime, "demo data", f"demo:staff:{i}"),
            staff_id=staff_id(i),
            name=name,
            branch=branch,
            roles=roles,
        )
        position = max(position, r.position or 0)
    token = new_token()
    r = app.issue_token(
        system_command(runtime, "demo admin token"),
        staff_id=DEMO_ADMIN,
        token_hash=token_hash(token),
    )
    position = max(position, r.position or 0, result.position or 0)
    runtime.runner.sync(position)  # the account managers must exist before their clients
    position = max(
        position, seed_clients(runtime, clients, progress=_stage(progress, "demo clients"))
    )
    position = max(
        position, seed_orders(runtime, orders, clients, progress=_stage(progress, "demo orders"))
    )
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    runtime.runner.sync(position)
    return token


def resident_id(rng: random.Random, born: date) -> str:
    """A valid 18-digit resident ID for someone born on ``born``."""
    first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return first17 + resident_id_check_char(first17)


def credit_code(rng: random.Random) -> str:
    """A valid unified social credit code."""
    first17 = "91" + rng.choice(REGIONS) + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return first17 + uscc_check_char(first17)


def _demo_command(
    runtime: Runtime,
    key: str,
    actor: UUID,
    role: str,
    branch: str,
    at: datetime,
    reason: str | None = None,
) -> Command:
    correlation = uuid5(NAMESPACE_URL, f"backoffice:demo:{key}")
    return Command(
        actor=actor,
        actor_roles=frozenset({role}),
        branch_id=branch,
        occurred_at=at,
        correlation_id=correlation,
        causation_id=correlation,
        reason=reason,
        idempotency_key=f"demo:{key}",
        business_date=runtime.business_date(at),
    )


def seed_clients(
    runtime: Runtime,
    count: int = 300,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Seed ``count`` clients spread over 18 months and every state; return the last position.

    Deterministic (one random seed) and retry-safe (every command carries an idempotency key).
    """
    rng = random.Random(seed)
    app = runtime.app
    now = runtime.clock()
    position = 0

    def act(
        key: str,
        actor: UUID,
        role: str,
        branch: str,
        at: datetime,
        run: Callable[[BackOffice, Command], CommandResult],
        reason: str | None = None,
    ) -> None:
        nonlocal position
        result = run(app, _demo_command(runtime, key, actor, role, branch, min(at, now), reason))
        position = max(position, result.position or 0)

    def one(i: int) -> None:  # noqa: C901 - one client's story, step by step
        branch = "SH01" if rng.random() < 0.7 else "BJ02"
        managers, marketing, supervisor = BRANCH_STAFF[branch]
        manager = rng.choice(managers)
        institution = rng.random() < 0.08
        cid = uuid5(NAMESPACE_URL, f"backoffice:demo:client:{i}")
        at = now - timedelta(days=rng.randint(3, 540), minutes=rng.randint(0, 600))
        if institution:
            name = rng.choice(COMPANIES) + f"有限公司{i}"
        else:
            name = rng.choice(SURNAMES) + "".join(
                rng.choice(GIVEN) for _ in range(rng.randint(1, 2))
            )
        act(
            f"c{i}:register",
            marketing,
            "marketing",
            branch,
            at,
            lambda a, c: a.register_client(
                c,
                client_id=cid,
                client_type="institution" if institution else "individual",
                name=name,
                source_channel=rng.choice(["phone", "online", "referral", "walk_in", "event"]),
                account_manager=manager,
            ),
        )
        stage = rng.random()
        if stage < 0.08:
            return  # a prospect
        at += timedelta(hours=rng.randint(1, 72))
        if institution:
            doc_type, number = "uscc", credit_code(rng)
        else:
            born = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
            roll = rng.random()
            if roll < 0.015:
                doc_type, number = "passport", f"E{rng.randint(10_000_000, 99_999_999)}"
            elif roll < 0.02:
                doc_type, number = "hk_macau_permit", f"H{rng.randint(10_000_000, 99_999_999)}"
            else:
                doc_type, number = "resident_id", resident_id(rng, born)
        act(
            f"c{i}:identity",
            manager,
            "account_manager",
            branch,
            at,
            lambda a, c: a.record_identity(
                c, client_id=cid, real_name=name, document_type=doc_type, document_number=number
            ),
        )
        act(
            f"c{i}:contact",
            manager,
            "account_manager",
            branch,
            at,
            lambda a, c: a.record_contact(
                c,
                client_id=cid,
                mobile=f"13{rng.randint(100_000_000, 999_999_999)}",
                landline=None,
                id_address=f"{rng.choice(['北京市', '上海市', '深圳市'])}某路{i}号",
                mailing_address=f"{'上海市' if branch == 'SH01' else '北京市'}某街{i}号",
            ),
        )
        if institution:
            for k in range(rng.randint(1, 2)):
                owner_born = date(rng.randint(1955, 1990), rng.randint(1, 12), rng.randint(1, 28))
                owner = rng.choice(SURNAMES) + rng.choice(GIVEN)
                owner_id = resident_id(rng, owner_born)
                share = Decimal(rng.choice([30, 40, 50]))
                act(
                    f"c{i}:owner{k}",
                    manager,
                    "account_manager",
                    branch,
                    at,
                    partial(
                        BackOffice.add_beneficial_owner,
                        client_id=cid,
                        name=owner,
                        document_type="resident_id",
                        document_number=owner_id,
                        share=share,
                    ),
                )
        if stage < 0.16:
            return  # identified, not yet assessed
        at += timedelta(days=rng.randint(0, 5))
        level = rng.choices(["C1", "C2", "C3", "C4", "C5"], [10, 25, 35, 20, 10])[0]
        declared = Decimal(rng.choice([300_000, 1_000_000, 3_000_000, 8_000_000, 20_000_000]))
        act(
            f"c{i}:risk",
            manager,
            "account_manager",
            branch,
            at,
            lambda a, c: a.assess_risk(c, client_id=cid, level=level),
        )
        act(
            f"c{i}:classify",
            manager,
            "account_manager",
            branch,
            at,
            lambda a, c: a.classify_investor(
                c, client_id=cid, classification="ordinary", financial_assets=declared
            ),
        )
        if rng.random() < 0.3:
            assets = Decimal(rng.choice([300_000, 800_000, 1_200_000, 3_000_000, 12_000_000]))
            act(
                f"c{i}:qualified",
                manager,
                "account_manager",
                branch,
                at,
                lambda a, c: a.assess_qualified_investor(
                    c,
                    client_id=cid,
                    evidence_ref=f"demo-evidence-{i}",
                    family_financial_assets=assets,
                    net_assets=assets,
                ),
            )
        if stage < 0.24:
            return  # profiled, no agreement yet
        act(
            f"c{i}:agreement",
            manager,
            "account_manager",
            branch,
            at,
            lambda a, c: a.sign_agreement(
                c, client_id=cid, agreement_type="client_agreement", version="2025.2"
            ),
        )
        act(
            f"c{i}:open",
            manager,
            "account_manager",
            branch,
            at,
            lambda a, c: a.open_account(
                c, client_id=cid, account_number=f"{'88' if branch == 'SH01' else '66'}{i:08d}"
            ),
        )
        if stage > 0.97:
            at += timedelta(days=rng.randint(30, 200))
            act(
                f"c{i}:close",
                supervisor,
                "branch_manager",
                branch,
                at,
                lambda a, c: a.close_client(c, client_id=cid),
                "client moved abroad",
            )
        elif stage > 0.93:
            at += timedelta(days=rng.randint(1, 100))
            act(
                f"c{i}:freeze",
                supervisor,
                "branch_manager",
                branch,
                at,
                lambda a, c: a.freeze_client(c, client_id=cid),
                "judicial freeze notice",
            )
        elif stage > 0.89 and not institution:
            at += timedelta(days=rng.randint(1, 100))
            act(
                f"c{i}:change",
                manager,
                "account_manager",
                branch,
                at,
                lambda a, c: a.request_identity_change(
                    c,
                    client_id=cid,
                    request_id=uuid5(NAMESPACE_URL, f"demo:change:{i}"),
                    evidence_ref=f"demo-scan-{i}",
                    real_name=name + "然",
                ),
                "name changed at the public security bureau",
            )

    for i in range(count):
        one(i)
        if progress is not None:
            progress(i + 1, count)
    runtime.runner.sync(position)
    return position


# Who handles orders in the demo, per branch: (takers, trader, risk officer).
ORDER_STAFF = {
    "SH01": ([staff_id(1), staff_id(12), staff_id(3)], staff_id(2), staff_id(4)),
    "BJ02": ([staff_id(11)], staff_id(8), staff_id(13)),
}


def seed_orders(
    runtime: Runtime,
    count: int = 2000,
    client_count: int = 300,
    seed: int = 2027,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Load the sample catalogue and seed ``count`` orders over 90 days, in every state."""
    from api.instruments_csv import SAMPLE_INSTRUMENTS, read_instruments

    rng = random.Random(seed)
    app = runtime.app
    now = runtime.clock()
    position = 0
    for _, row in read_instruments(SAMPLE_INSTRUMENTS):
        r = app.upsert_instrument(system_command(runtime, "demo catalogue"), **row)
        position = max(position, r.position if r and r.position else 0)
    clients = [
        c
        for c in (
            app.get_client(uuid5(NAMESPACE_URL, f"backoffice:demo:client:{i}"))
            for i in range(client_count)
            if app.recorder.select_events(
                uuid5(NAMESPACE_URL, f"backoffice:demo:client:{i}"), limit=1
            )
        )
        if c.account_number is not None and c.status == "active"
    ]
    instruments = [row for _, row in read_instruments(SAMPLE_INSTRUMENTS)]
    for n, client in enumerate(clients):
        if n % 3 == 0 and client.risk_current(runtime.business_date(now)):
            takers, _, _ = ORDER_STAFF[client.branch]
            cmd = _demo_command(
                runtime,
                f"perm{n}",
                takers[0],
                "account_manager",
                client.branch,
                now - timedelta(days=95),
            )
            try:
                r = app.grant_trading_permission(cmd, client_id=client.id, board="chinext")
                position = max(position, r.position or 0)
            except DomainError:
                pass  # e.g. the risk assessment had lapsed 95 days ago

    def one(i: int) -> None:  # noqa: C901 - one order's story, step by step
        nonlocal position
        client = rng.choice(clients)
        takers, trader, risk = ORDER_STAFF[client.branch]
        taker = rng.choice(takers)
        taker_role = "customer_service" if taker == staff_id(3) else "account_manager"
        inst = rng.choice(instruments)
        day = now - timedelta(days=rng.randint(0, 90))
        at = day.replace(hour=1, minute=30) + timedelta(
            minutes=rng.randint(0, 330), microseconds=rng.randint(0, 999_999)
        )
        at = min(at, now - timedelta(minutes=30))
        lot = int(inst["board_lot"])
        quantity = lot * rng.randint(1, 20) + (
            rng.randint(1, lot - 1) if rng.random() < 0.03 and lot > 1 else 0
        )
        price = Decimal(rng.randint(500, 200_000)) / 100
        market = rng.random() < 0.1
        oid = uuid5(NAMESPACE_URL, f"backoffice:demo:order:{i}")

        def do(
            step: str,
            actor: UUID,
            role: str,
            when: datetime,
            run: Callable[[BackOffice, Command], CommandResult],
            reason: str | None = None,
        ) -> bool:
            nonlocal position
            try:
                result = run(
                    app,
                    _demo_command(
                        runtime, f"o{i}:{step}", actor, role, client.branch, min(when, now), reason
                    ),
                )
            except DomainError:
                return False
            position = max(position, result.position or 0)
            return True

        received = do(
            "receive",
            taker,
            taker_role,
            at,
            lambda a, c: a.receive_order(
                c,
                order_id=oid,
                client_id=client.id,
                account_number=client.account_number or "",
                instrument_code=inst["code"],
                side="buy" if rng.random() < 0.6 else "sell",
                quantity=quantity,
                order_type="market" if market else "limit",
                limit_price=None if market else price,
                channel=rng.choice(["counter", "phone", "online", "online"]),
                received_at=at,
                received_on=runtime.business_date(at),
            ),
        )
        if not received or (now - at) < timedelta(hours=2) and rng.random() < 0.5:
            return  # still waiting for review
        order = app.get_order(oid)
        at += timedelta(minutes=rng.randint(1, 15))
        if order.flag == "open":
            if rng.random() < 0.3:
                return  # in risk management's queue
            if rng.random() < 0.8:
                do(
                    "clear",
                    risk,
                    "risk",
                    at,
                    lambda a, c: a.clear_order_flag(
                        c, order_id=oid, note="confirmed with the client by phone"
                    ),
                )
            else:
                do(
                    "escalate",
                    risk,
                    "risk",
                    at,
                    lambda a, c: a.escalate_order_flag(
                        c, order_id=oid, note="reported to head office compliance"
                    ),
                )
            at += timedelta(minutes=rng.randint(1, 30))
        if rng.random() < 0.03:
            do(
                "cancel0",
                taker,
                taker_role,
                at,
                lambda a, c: a.cancel_order(c, order_id=oid, cause="client_request"),
            )
        elif app.get_order(oid).flag == "escalated":
            do(
                "review",
                trader,
                "trader",
                at,
                lambda a, c: a.review_order(c, order_id=oid, reject_codes=["OTHER"]),
                "escalated by risk management",
            )
        else:
            if app.get_order(oid).status == "received" and rng.random() < 0.5:
                do(
                    "ack",
                    taker,
                    taker_role,
                    at,
                    lambda a, c: a.acknowledge_risk_disclosure(
                        c, order_id=oid, warning_ref="RW-2025-07", signed_at=at
                    ),
                )
            manual = ["PRICE_SANITY"] if rng.random() < 0.02 else []
            do(
                "review",
                trader,
                "trader",
                at,
                lambda a, c: a.review_order(c, order_id=oid, reject_codes=manual),
            )
        order = app.get_order(oid)
        if order.status == "accepted":
            at += timedelta(seconds=rng.randint(1, 600))
            remaining = order.quantity
            fills = 1 if rng.random() < 0.7 else 2
            for k in range(fills):
                qty = remaining if k == fills - 1 else lot * max(1, remaining // lot // 2)
                if rng.random() < 0.12 and k == fills - 1:
                    break  # left partially filled or unfilled
                fill_price = price if not market else Decimal(rng.randint(500, 200_000)) / 100
                do(
                    f"fill{k}",
                    trader,
                    "trader",
                    at,
                    partial(
                        BackOffice.record_fill,
                        order_id=oid,
                        execution_id=f"X{i:05d}{k}",
                        quantity=qty,
                        price=fill_price,
                        executed_at=at,
                    ),
                )
                remaining -= qty
                at += timedelta(seconds=rng.randint(1, 300))
            order = app.get_order(oid)
            if order.status in ("accepted", "partially_filled") and rng.random() < 0.6:
                cause = "error" if rng.random() < 0.1 else rng.choice(["client_request", "expired"])
                do(
                    "cancel",
                    taker,
                    taker_role,
                    at,
                    lambda a, c: a.cancel_order(c, order_id=oid, cause=cause),
                )
        order = app.get_order(oid)
        if order.status in ("filled", "cancelled", "rejected") and rng.random() < 0.9:
            at += timedelta(minutes=rng.randint(1, 90))
            if do(
                "feedback",
                taker,
                taker_role,
                at,
                lambda a, c: a.record_order_feedback(
                    c, order_id=oid, channel=rng.choice(["phone", "online"]), fed_back_at=at
                ),
            ):
                if (now - at) > timedelta(days=7) and rng.random() < 0.8:
                    do(
                        "archive",
                        taker,
                        taker_role,
                        at + timedelta(days=1),
                        lambda a, c: a.archive_order(c, order_id=oid),
                    )

    for i in range(count):
        one(i)
        if progress is not None:
            progress(i + 1, count)
    # Annual reviews after the orders: a reconstruction must still show each order's client as
    # assessed when the order came in, not as reassessed later.
    for n, client in enumerate(clients):
        if n % 5 == 0 and client.risk_level is not None:
            takers, _, _ = ORDER_STAFF[client.branch]
            new_level = "C2" if client.risk_level != "C2" else "C4"
            if do_review(runtime, client.id, takers[0], client.branch, now, n, new_level):
                position = runtime.runner.head()
    runtime.runner.sync(position, timeout=120)
    return position


def do_review(
    runtime: Runtime, client_id: UUID, actor: UUID, branch: str, now: datetime, n: int, level: str
) -> bool:
    """Record a demo annual risk review; False when the client no longer accepts one."""
    cmd = _demo_command(
        runtime, f"review{n}", actor, "account_manager", branch, now, "annual suitability review"
    )
    try:
        runtime.app.assess_risk(cmd, client_id=client_id, level=level)
    except DomainError:
        return False
    return True
