"""The parts of the benchmark generator (``api.generate``) its stories share: the plan, the
report, the actor that runs commands at business times, ids and branches."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from api.demo import seeding_context
from api.runtime import Runtime
from domain.access import Role
from domain.commands import Command
from domain.errors import DomainError

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
        name = f"backoffice:generate:{self.seed}:{key}"
        context = seeding_context(self.runtime, actor, min(at, self.now), name, reason)
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
