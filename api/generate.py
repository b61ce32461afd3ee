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

import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from uuid import UUID

from api.generate_office import budgets, complaint_task, expense_task
from api.generate_trading import client_task
from api.generation import (
    BRANCH_ROLES,
    Actor,
    Branch,
    Plan,
    Progress,
    Report,
    branch_code,
    ident,
)
from api.instruments_csv import SAMPLE_INSTRUMENTS, read_instruments
from api.runtime import Runtime
from domain import complaints as k
from domain.access import Role
from domain.envelope import SYSTEM_ACTOR
from domain.instruments import PERMISSION_BOARDS, UpsertInstrument
from domain.staff import RegisterStaff

__all__ = ["Plan", "Report", "generate"]


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
    budgets(g, plan, start, branches, hq)
    tasks: list[Callable[[], None]] = []
    for i in range(plan.clients):
        tasks.append(client_task(g, plan, i, start, span, branches, catalogue, per_client[i]))
    for i in range(plan.complaints):
        tasks.append(complaint_task(g, plan, i, start, span, branches))
    for i in range(plan.expenses):
        tasks.append(expense_task(g, plan, i, start, span, branches))
    # Interleave the kinds so the log looks like a working branch, deterministically.
    random.Random(f"{plan.seed}:order-of-stories").shuffle(tasks)
    return tasks
