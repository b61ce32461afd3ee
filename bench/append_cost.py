"""Append cost: the same command (RegisterStaff through ``BackOffice.execute``) on an empty
store, then on a generated store of N events, in the same run: commands per second each,
from the median time of one command.

Row of issue 14: the rate at N stored events ≥ 0.8 of the rate at 1.

Usage: python -m bench.append_cost [--n N] [--database URL | --clients N --orders N ...]
"""

from __future__ import annotations

import argparse
import statistics
import uuid
from typing import Any

from api.runtime import Runtime, open_runtime
from bench.harness import (
    Figure,
    Results,
    bench_settings,
    generated_store,
    note,
    scratch_database,
    store_arguments,
    timings,
)
from domain.access import Role
from domain.staff import RegisterStaff


def per_second(runtime: Runtime, n: int) -> float:
    """Commands per second, from the median time of ``n`` RegisterStaff commands."""

    def register(i: int) -> object:
        staff = RegisterStaff(staff_id=uuid.uuid4(), name=f"A{i}", branch="SH01",
                              roles=[Role.TRADER])  # fmt: skip
        return runtime.system(staff, "bench")

    register(-1)  # warm up the pool and the statements
    return 1000 / statistics.median(timings(n, register))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    store_arguments(parser, orders=200, clients=30)
    parser.add_argument("--n", type=int, default=300, help="commands per measurement")
    args = parser.parse_args(argv)
    with scratch_database("empty") as database:
        runtime = open_runtime(bench_settings(), database=database, run_migrations=False)
        try:
            empty_head = runtime.runner.head()
            empty = per_second(runtime, args.n)
        finally:
            runtime.close()
    with generated_store(args, "append") as runtime:
        head = runtime.runner.head()
        full = per_second(runtime, args.n)
    note(f"append: {empty:,.0f}/s at {empty_head} events, {full:,.0f}/s at {head:,} events")
    results = Results("append_cost", {"events": head, "n": args.n})
    f = Figure(f"append_at_{head}_events", full, "commands/s", f"append_at_{empty_head}_events",
               empty, ">= 0.8 of baseline")  # fmt: skip
    f.met = (f.ratio or 0) >= 0.8
    results.add(f)
    return results.print()


if __name__ == "__main__":
    main()
