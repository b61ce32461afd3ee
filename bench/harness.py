"""What the benchmarks share: a generated store to run on, percentiles, the table and the one
JSON line each prints (every figure beside its same-run baseline).

A benchmark runs on ``--database URL`` (a store made by ``backoffice bench generate``, with
its read models up to date) or, by default, on a scratch database of the server in
DATABASE_URL (else the embedded one) generated at the size given, then dropped.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from api.database import Database
from api.generate import Plan, generate
from api.migrate import migrate
from api.roles import connections
from api.runtime import Runtime, open_runtime
from api.settings import Settings, get_settings

#: The prefix of the JSON line, so a CI job or a script can find it in the output.
JSON_PREFIX = "BENCH "


def store_arguments(parser: argparse.ArgumentParser, *, orders: int, clients: int) -> None:
    """The options of a benchmark that runs on a generated store (defaults: smoke size)."""
    parser.add_argument("--database", help="a generated store to use (default: generate one)")
    parser.add_argument("--clients", type=int, default=clients)
    parser.add_argument("--orders", type=int, default=orders)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4, help="generator workers")
    parser.add_argument("--seed", type=int, default=1)


def bench_settings(**changes: Any) -> Settings:
    """The configured settings, without the per-staff rate limit (a benchmark is one staff
    member hammering the API), with ``changes``."""
    return get_settings().model_copy(update={"rate_limit_per_second": 0.0, **changes})


@contextmanager
def scratch_database(label: str) -> Iterator[Database]:
    """A new, empty, migrated database of the configured server, dropped afterwards."""
    from bench.backup_restore import scratch

    with scratch(connections(get_settings()).admin, label) as database:
        migrate(database)
        yield database


def catch_up(runtime: Runtime, models: Sequence[str]) -> None:
    """Bring these read models up to the head (the benchmark owns the store: no runner)."""
    for name in models:
        began = time.perf_counter()
        position = runtime.runner.catch_up(name)
        note(f"read model {name} at {position:,} ({time.perf_counter() - began:.1f} s)")


@contextmanager
def generated_store(
    args: argparse.Namespace,
    label: str,
    *,
    models: Sequence[str] = ("staff",),
    pool_size: int = 12,
) -> Iterator[Runtime]:
    """A runtime on ``--database``, or on a scratch store generated at the size asked for,
    with the read models the benchmark reads (``models``) up to date."""
    settings = bench_settings(pool_size=pool_size)
    if args.database:
        # Pending migrations (e.g. a lever's new indexes) apply to the store first.
        runtime = open_runtime(settings, database=Database(args.database), run_migrations=True)
        try:
            catch_up(runtime, models)
            yield runtime
        finally:
            runtime.close()
        return
    with scratch_database(label) as database:
        runtime = open_runtime(settings, database=database, run_migrations=False)
        try:
            plan = Plan(clients=args.clients, orders=args.orders, years=args.years, seed=args.seed)
            report = generate(runtime, plan, workers=args.workers)
            runtime.admin.analyze()  # as `backoffice bench generate` does after its load
            note(
                f"generated {report.events:,} events in {report.seconds:.1f} s "
                f"({report.rate:,.0f} events/s)"
            )
            catch_up(runtime, models)
            yield runtime
        finally:
            runtime.close()


def note(text: str) -> None:
    """A line of progress on stderr (stdout keeps the table and the JSON line)."""
    print(text, file=sys.stderr, flush=True)


def percentile(samples: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) of ``samples``, nearest rank."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def timings(n: int, fn: Callable[[int], object]) -> list[float]:
    """Run ``fn(i)`` n times; the time of each call in milliseconds."""
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def median_ms(n: int, fn: Callable[[int], object]) -> float:
    """The median time of ``fn`` over n calls, in milliseconds."""
    return statistics.median(timings(n, fn))


@dataclass
class Figure:
    """One measured figure beside its same-run baseline, and the issue's target."""

    name: str
    value: float
    unit: str
    baseline_name: str
    baseline: float
    #: How the target reads, e.g. ">= 0.40 of baseline" or "<= 20 ms".
    target: str
    #: value ÷ baseline, unless given (e.g. baseline ÷ value when smaller is better).
    ratio: float | None = None
    met: bool | None = None

    def __post_init__(self) -> None:
        if self.ratio is None:
            self.ratio = self.value / self.baseline if self.baseline else float("inf")


@dataclass
class Results:
    """The figures of one benchmark run."""

    bench: str
    size: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def print(self, **extra: Any) -> dict[str, Any]:
        """Print the table and the JSON line (with ``extra`` keys); return what it holds."""
        width = max([len(f.name) for f in self.figures] + [20])
        bwidth = max([len(f.baseline_name) for f in self.figures] + [20])
        print(f"\n{self.bench}  ({', '.join(f'{k}={v}' for k, v in self.size.items())})")
        print(
            f"{'figure':<{width}} {'value':>12}  {'baseline':<{bwidth}} {'value':>12}"
            f" {'ratio':>7}  target"
        )
        for f in self.figures:
            mark = "" if f.met is None else (" ✓" if f.met else " ✗")
            print(
                f"{f.name:<{width}} {f.value:>12,.2f}  {f.baseline_name:<{bwidth}}"
                f" {f.baseline:>12,.2f} {f.ratio or 0:>7.2f}  {f.target}{mark}  [{f.unit}]"
            )
        line = {
            "bench": self.bench,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.node()} {platform.machine()} cpus={_cpus()}",
            "size": self.size,
            "figures": {
                f.name: {
                    "value": round(f.value, 4),
                    "unit": f.unit,
                    "baseline_name": f.baseline_name,
                    "baseline": round(f.baseline, 4),
                    "ratio": round(f.ratio or 0, 4),
                    "target": f.target,
                    "met": f.met,
                }
                for f in self.figures
            },
            **extra,
        }
        print(JSON_PREFIX + json.dumps(line, ensure_ascii=False), flush=True)
        return line


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def staff_token(runtime: Runtime, roles: Sequence[str], branch: str = "HQ") -> tuple[Any, str]:
    """A new staff member with ``roles`` and a bearer token: (staff id, token)."""
    import uuid

    from api.auth import new_token, token_hash
    from domain.access import Role
    from domain.staff import IssueToken, RegisterStaff

    member = uuid.uuid4()
    runtime.system(
        RegisterStaff(staff_id=member, name="Bench", branch=branch, roles=[Role(r) for r in roles]),
        "bench",
    )
    token = new_token()
    runtime.system(IssueToken(staff_id=member, token_hash=token_hash(token)), "bench")
    runtime.runner.catch_up("staff")  # the token is checked against the staff read model
    return member, token


def http_latencies(
    base: str, token: str, body: dict[str, Any], n: int, concurrency: int = 1
) -> tuple[list[float], float]:
    """POST ``body`` to /graphql n times over ``concurrency`` clients: (latencies in ms,
    requests per second). Any GraphQL error stops the benchmark."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    local = threading.local()

    def one(_: int) -> float:
        if not hasattr(local, "client"):
            local.client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
        start = time.perf_counter()
        answer = local.client.post("/graphql", json=body)
        took = (time.perf_counter() - start) * 1000
        answer.raise_for_status()
        if answer.json().get("errors"):
            raise RuntimeError(answer.json()["errors"])
        return took

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        found = list(pool.map(one, range(n)))
    return found, n / (time.perf_counter() - began)
