"""A branch history of any size for benchmarks: staff, the catalogue, clients, their orders,
complaints, budgets and expenses, with business times spread over the years.

Every record is made through the application's commands (``BackOffice.execute``: intake,
authorisation, the domain's rules, the chained and signed save) exactly as the demo seeding
does it: each command is given with its business time as the moment it happens
(``CommandContext.occurred_at``), so nothing is back-dated and no rule is bypassed.

The output is deterministic in ``seed``: ids, names, amounts and times come from random
generators seeded per story, so the same plan gives the same records whatever the number of
workers (only their positions in the log interleave differently). Stories run concurrently
(one client with its orders, one complaint, one expense per task) on the application's pool.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from api.instruments_csv import SAMPLE_INSTRUMENTS, read_instruments
from api.runtime import Runtime
from domain import clients as c
from domain import complaints as k
from domain import expenses as x
from domain import orders as o
from domain.access import Role
from domain.clients.identity import DocumentType, resident_id_check_char
from domain.commands import Command
from domain.envelope import SYSTEM_ACTOR, CommandContext
from domain.errors import DomainError
from domain.instruments import PERMISSION_BOARDS, UpsertInstrument
from domain.staff import RegisterStaff

#: Largest sizes accepted (a guard against typos, far above what a branch keeps).
MAX_CLIENTS = 10_000_000
MAX_ORDERS = 100_000_000
MAX_YEARS = 30
#: A risk assessment is valid 24 months: a client's orders fall within this of its opening.
ORDER_WINDOW = timedelta(days=700)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国晓东"

#: (done, total) of the stories, for a progress bar.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Plan:
    """What to generate. ``complaints`` and ``expenses`` default to a share of the clients."""

    clients: int = 1_000
    orders: int = 10_000
    years: int = 2
    complaints: int | None = None
    expenses: int | None = None
    branches: int = 2
    seed: int = 1

    def checked(self) -> Plan:
        """This plan with its defaults filled in; ValueError naming the first bad argument."""
        for name, value, top in (
            ("clients", self.clients, MAX_CLIENTS),
            ("orders", self.orders, MAX_ORDERS),
            ("years", self.years, MAX_YEARS),
            ("complaints", self.complaints, MAX_CLIENTS),
            ("expenses", self.expenses, MAX_CLIENTS),
            ("branches", self.branches, 99),
        ):
            if value is not None and not 0 <= value <= top:
                raise ValueError(f"--{name} must be between 0 and {top:,}, not {value:,}")
        if self.years < 1:
            raise ValueError("--years must be at least 1")
        if self.branches < 1:
            raise ValueError("--branches must be at least 1")
        if self.orders and self.clients < 1:
            raise ValueError("--orders needs at least one client (--clients)")
        return Plan(
            clients=self.clients,
            orders=self.orders,
            years=self.years,
            complaints=self.clients // 20 if self.complaints is None else self.complaints,
            expenses=self.clients // 10 if self.expenses is None else self.expenses,
            branches=self.branches,
            seed=self.seed,
        )


@dataclass
class Report:
    """What a generation did: commands run and refused (by reason), events written, time."""

    commands: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    events: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Events written per second."""
        return self.events / self.seconds if self.seconds else 0.0


class Actor:
    """Runs commands at business times and keeps count (shared by the worker threads)."""

    def __init__(self, runtime: Runtime, seed: int, now: datetime) -> None:
        self.runtime = runtime
        self.seed = seed
        self.now = now
        self.report = Report()
        self._lock = threading.Lock()

    def run(
        self,
        key: str,
        actor: UUID,
        at: datetime,
        command: Command,
        reason: str | None = None,
        *,
        may_fail: bool = True,
    ) -> bool:
        """Run ``command`` as ``actor`` at business time ``at``; False when refused."""
        when = min(at, self.now)
        correlation = uuid5(NAMESPACE_URL, f"backoffice:generate:{self.seed}:{key}")
        context = CommandContext(
            actor=actor,
            occurred_at=when,
            business_date=self.runtime.business_date(when),
            correlation_id=correlation,
            causation_id=correlation,
            reason=reason,
        )
        try:
            self.runtime.app.execute(command, context)
        except DomainError as exc:
            with self._lock:
                self.report.commands += 1
                self.report.refused[f"{command.spec.name}: {exc.code}: {exc.message}"[:160]] += 1
            if may_fail:
                return False
            raise
        with self._lock:
            self.report.commands += 1
        return True


def ident(seed: int, kind: str, i: object) -> UUID:
    """The id of generated record ``i`` of ``kind`` under ``seed``."""
    return uuid5(NAMESPACE_URL, f"backoffice:generate:{seed}:{kind}:{i}")


@dataclass(frozen=True)
class Branch:
    """A generated branch and who works there."""

    code: str
    managers: tuple[UUID, ...]
    marketing: UUID
    supervisor: UUID
    trader: UUID
    risk: UUID
    service: UUID
    finance: UUID
    head: UUID


BRANCH_CODES = ["SH01", "BJ02", "GZ03", "SZ04", "HZ05", "NJ06", "WH07", "CD08"]
BRANCH_ROLES: list[tuple[str, Role]] = [
    ("manager1", Role.ACCOUNT_MANAGER),
    ("manager2", Role.ACCOUNT_MANAGER),
    ("marketing", Role.MARKETING),
    ("supervisor", Role.BRANCH_MANAGER),
    ("trader", Role.TRADER),
    ("risk", Role.RISK),
    ("service", Role.CUSTOMER_SERVICE),
    ("finance", Role.FINANCE),
    ("head", Role.DEPARTMENT_HEAD),
]


def branch_code(n: int) -> str:
    """The code of generated branch ``n``."""
    return BRANCH_CODES[n] if n < len(BRANCH_CODES) else f"BR{n:02d}"


def generate(
    runtime: Runtime,
    plan: Plan,
    *,
    workers: int = 4,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Report:
    """Generate ``plan`` into the runtime's store; raise ValueError for a bad plan or a store
    that already holds this seed's history. The history ends at ``now`` (default: the start
    of today, UTC, so that runs on the same day give the same business times)."""
    plan = plan.checked()
    if workers < 1:
        raise ValueError("--workers must be at least 1")
    hq = ident(plan.seed, "staff", "hq")
    if runtime.app.exists(hq):
        raise ValueError(
            f"this store already holds the history of seed {plan.seed}: "
            "use another --seed or a fresh database"
        )
    if now is None:
        now = runtime.clock().replace(hour=0, minute=0, second=0, microsecond=0)
    g = Actor(runtime, plan.seed, now)
    started, head = time.perf_counter(), runtime.runner.head()
    start = g.now - timedelta(days=365 * plan.years)
    branches = _staff(g, plan, start)
    catalogue = _catalogue(g, start)
    assert plan.complaints is not None and plan.expenses is not None
    tasks = _tasks(g, plan, start, branches, catalogue, hq)
    total, done = len(tasks), 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="generate") as pool:
        pending: list[Future[None]] = []
        for task in tasks:
            pending.append(pool.submit(task))
            # Keep a bounded window of submitted stories, so memory stays flat at any size.
            if len(pending) >= 8 * workers:
                pending[0].result()
                pending.pop(0)
                done += 1
                if progress is not None and done % 16 == 0:
                    progress(done, total)
        for future in pending:
            future.result()
            done += 1
    if progress is not None:
        progress(total, total)
    g.report.seconds = time.perf_counter() - started
    g.report.events = runtime.runner.head() - head
    return g.report


def _staff(g: Actor, plan: Plan, start: datetime) -> list[Branch]:
    s = plan.seed
    g.run(
        "staff:hq",
        SYSTEM_ACTOR,
        start,
        RegisterStaff(
            staff_id=ident(s, "staff", "hq"),
            name="总部合规",
            branch="HQ",
            roles=[Role.HEAD_OFFICE],
        ),
        "generated history",
        may_fail=False,
    )
    branches = []
    for n in range(plan.branches):
        code = branch_code(n)
        ids = {}
        for key, role in BRANCH_ROLES:
            ids[key] = ident(s, "staff", f"{code}:{key}")
            g.run(
                f"staff:{code}:{key}",
                SYSTEM_ACTOR,
                start,
                RegisterStaff(staff_id=ids[key], name=f"{code} {key}", branch=code, roles=[role]),
                "generated history",
                may_fail=False,
            )
        branches.append(
            Branch(
                code,
                (ids["manager1"], ids["manager2"]),
                ids["marketing"],
                ids["supervisor"],
                ids["trader"],
                ids["risk"],
                ids["service"],
                ids["finance"],
                ids["head"],
            )
        )
    return branches


def _catalogue(g: Actor, start: datetime) -> list[UpsertInstrument]:
    catalogue = [command for _, command in read_instruments(SAMPLE_INSTRUMENTS)]
    for command in catalogue:
        # Changed lines only: a second seed on the same store records nothing new here.
        g.run(f"instrument:{command.code}", SYSTEM_ACTOR, start, command, "generated catalogue")
    return [i for i in catalogue if i.board.value not in PERMISSION_BOARDS]


def _tasks(
    g: Actor,
    plan: Plan,
    start: datetime,
    branches: list[Branch],
    catalogue: list[UpsertInstrument],
    hq: UUID,
) -> list[Callable[[], None]]:
    """Every story, in a deterministic order: the setup of complaints and budgets first."""
    assert plan.complaints is not None and plan.expenses is not None
    rng = random.Random(f"{plan.seed}:plan")
    span = g.now - start
    # Which clients open an account (and so may trade), decided up front so that orders can be
    # dealt among them.
    stages = [random.Random(f"{plan.seed}:client:{i}").random() for i in range(plan.clients)]
    trading = [i for i, stage in enumerate(stages) if stage >= 0.08]
    per_client = Counter(rng.choice(trading) for _ in range(plan.orders)) if trading else Counter()
    if plan.orders and not trading:
        raise ValueError("none of so few clients opens an account: raise --clients")
    # What the stories need, first and in order: the complaint terms, the budget lines.
    if plan.complaints:
        terms = k.SetComplaintDeadlines()
        reason = "adopt the terms of the complaint handling rules"
        g.run("complaint-deadlines", hq, start, terms, reason, may_fail=False)
    _budgets(g, plan, start, branches, hq)
    tasks: list[Callable[[], None]] = []
    for i in range(plan.clients):
        tasks.append(_client_task(g, plan, i, start, span, branches, catalogue, per_client[i]))
    for i in range(plan.complaints):
        tasks.append(_complaint_task(g, plan, i, start, span, branches))
    for i in range(plan.expenses):
        tasks.append(_expense_task(g, plan, i, start, span, branches))
    # Interleave the kinds so the log looks like a working branch, deterministically.
    random.Random(f"{plan.seed}:order-of-stories").shuffle(tasks)
    return tasks


# -- clients and their orders ---------------------------------------------------------------


def _client_task(
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
            _order(g, plan, rng, f"{i}.{n}", cid, account, b, catalogue, when)

    return task


def _trading_time(rng: random.Random, day: datetime) -> datetime:
    """A moment of the trading session (09:30-15:00 in Shanghai) on ``day``'s UTC date."""
    return day.replace(hour=1, minute=30, second=0, microsecond=0) + timedelta(
        minutes=rng.randint(0, 320), microseconds=rng.randint(0, 999_999)
    )


def _order(
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
    at = max(_trading_time(rng, when), when)
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


# -- complaints -----------------------------------------------------------------------------

CONTENT = {
    k.ComplaintCategory.FEES: "账户佣金比开户时约定的高，要求解释并退还多收部分。",
    k.ComplaintCategory.SERVICE: "柜台排队一个多小时，工作人员态度冷淡。",
    k.ComplaintCategory.TRADING: "委托下单后没有成交回报，错过了卖出时机。",
    k.ComplaintCategory.PRODUCT: "购买的理财产品风险等级与宣传不符。",
    k.ComplaintCategory.INFORMATION_SECURITY: "接到推销电话，怀疑个人信息泄露。",
    k.ComplaintCategory.STAFF_CONDUCT: "客户经理承诺保本收益。",
    k.ComplaintCategory.OTHER: "营业部门口停车位不足。",
}


def _complaint_task(
    g: Actor, plan: Plan, i: int, start: datetime, span: timedelta, branches: list[Branch]
) -> Callable[[], None]:
    def task() -> None:
        rng = random.Random(f"{plan.seed}:complaint:{i}")
        b = branches[rng.randrange(len(branches))]
        cid = ident(plan.seed, "complaint", i)
        at = start + timedelta(days=1) + (span - timedelta(days=2)) * rng.random()
        at = at.replace(hour=rng.randint(1, 8), minute=rng.randint(0, 59))
        category = rng.choice(list(k.ComplaintCategory))
        key = f"cp{i}"
        if not g.run(
            f"{key}:receive",
            b.service,
            at,
            k.ReceiveComplaint(
                complaint_id=cid,
                channel=rng.choice(list(k.ComplaintChannel)),
                category=category,
                content=CONTENT[category],
                complainant_name=rng.choice(["周先生", "吴女士", "郑先生"]),
                complainant_contact=f"139{rng.randint(10_000_000, 99_999_999)}",
                received_at=at,
            ),
        ):
            return

        def step(name: str, actor: UUID, command: Command, reason: str | None = None) -> bool:
            nonlocal at
            at += timedelta(days=rng.randint(0, 3), hours=rng.randint(1, 5))
            return g.run(f"{key}:{name}", actor, at, command, reason)

        if rng.random() < 0.4:
            step(
                "at-once",
                b.service,
                k.ResolveComplaintAtOnce(
                    complaint_id=cid,
                    resolution="当场解释了收费标准，客户表示理解。",
                    cause=k.ComplaintCause.UNFOUNDED,
                ),
            )
        else:
            steps: list[tuple[str, UUID, Command]] = [
                ("handling", b.service, k.TakeComplaintIntoHandling(complaint_id=cid)),
                (
                    "assign",
                    b.marketing,
                    k.AssignComplaint(
                        complaint_id=cid,
                        cause=rng.choice(list(k.ComplaintCause)),
                        department=rng.choice(list(k.ResponsibleDepartment)),
                    ),
                ),
                (
                    "propose",
                    b.service,
                    k.ProposeResolution(complaint_id=cid, resolution="已致歉并完成整改。"),
                ),
                ("approve", b.supervisor, k.ApproveResolution(complaint_id=cid)),
                (
                    "reply",
                    b.service,
                    k.ReplyToComplaint(complaint_id=cid, channel=k.ComplaintChannel.PHONE),
                ),
            ]
            for name, actor, command in steps:
                if not step(name, actor, command):
                    return
        satisfied = rng.random() < 0.85
        step(
            "feedback", b.service, k.RecordComplaintFeedback(complaint_id=cid, satisfied=satisfied)
        )
        step(
            "close",
            b.service,
            k.CloseComplaint(complaint_id=cid),
            None if satisfied else "客户坚持原诉求",
        )

    return task


# -- budgets and expenses -------------------------------------------------------------------

#: Expense lines of each branch, one per year: (department, category).
EXPENSE_LINES = [("Operations", "travel"), ("Operations", "office"), ("Marketing", "events")]


def _years(start: datetime, now: datetime) -> Iterator[int]:
    yield from range(start.year, now.year + 1)


def _budgets(g: Actor, plan: Plan, start: datetime, branches: list[Branch], hq: UUID) -> None:
    """The authority matrix once, then each branch's budget lines of every year."""
    assert plan.expenses is not None
    if not plan.expenses:
        return
    per_line = max(1, plan.expenses // max(1, plan.branches * plan.years * len(EXPENSE_LINES)))
    matrix = x.SetAuthorityMatrix(
        department_head_limit=Decimal(5000), branch_manager_limit=Decimal(50000)
    )
    g.run("matrix", hq, start, matrix, "authority matrix", may_fail=False)
    for year in _years(start, g.now):
        opens = max(start, datetime(year, 1, 1, 2, tzinfo=UTC))
        for b in branches:
            for department, category in EXPENSE_LINES:
                command = x.SetBudget(
                    department=department,
                    category=category,
                    kind=x.BudgetKind.EXPENSE,
                    period=str(year),
                    amount=Decimal(per_line * 4000 + 10_000),
                )
                key = f"budget:{b.code}:{category}:{year}"
                g.run(key, b.finance, opens, command, may_fail=False)


def _expense_task(
    g: Actor, plan: Plan, i: int, start: datetime, span: timedelta, branches: list[Branch]
) -> Callable[[], None]:
    def task() -> None:
        rng = random.Random(f"{plan.seed}:expense:{i}")
        b = branches[rng.randrange(len(branches))]
        eid = ident(plan.seed, "expense", i)
        at = start + timedelta(days=1) + (span - timedelta(days=3)) * rng.random()
        at = max(at, datetime(at.year, 1, 1, 3, tzinfo=UTC)).replace(hour=rng.randint(1, 8))
        department, category = rng.choice(EXPENSE_LINES)
        line = x.budget_id(b.code, department, category, "expense", str(at.year))
        key = f"e{i}"
        if not g.run(
            f"{key}:submit",
            b.service,
            at,
            x.SubmitExpense(
                expense_id=eid,
                department=department,
                category=category,
                amount=Decimal(rng.randint(5_000, 480_000)) / 100,
                vendor=rng.choice(["上海锦江商旅有限公司", "得力办公用品", "上海国际会议中心"]),
                invoice_number=f"{plan.seed % 1000:03d}{i:09d}",
                incurred_on=g.runtime.business_date(at),
                budget_id=line,
                description="差旅费" if category == "travel" else "办公及活动支出",
                attachments=[hashlib.sha256(f"{plan.seed}:attachment:{i}".encode()).hexdigest()],
            ),
        ):
            return
        at += timedelta(days=rng.randint(0, 3), hours=1)
        if rng.random() < 0.05:
            g.run(f"{key}:reject", b.head, at, x.RejectExpense(expense_id=eid), "not reimbursable")
            return
        if not g.run(f"{key}:approve", b.head, at, x.ApproveExpense(expense_id=eid)):
            return
        if rng.random() < 0.9:
            at += timedelta(days=rng.randint(0, 5), hours=1)
            pay = x.PayExpense(expense_id=eid, payment_reference=f"ICBC-{plan.seed}-{i:07d}")
            g.run(f"{key}:pay", b.finance, at, pay)

    return task
