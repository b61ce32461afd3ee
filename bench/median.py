"""Run one benchmark several times, each in a fresh process, and print the median of every
figure (with the median of its same-run baselines and of its ratios) beside the spread.

    python -m bench.median --runs 3 bench.verify --database $STORE

A fresh process per run, so that no cache, pool or JIT-warm state of one run helps the next.
The runs' own tables go to stderr as they come; stdout holds the median table and one
``BENCH`` JSON line, as every benchmark's does, with ``runs`` and each figure's ``spread``
(min and max of the values).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from bench.harness import JSON_PREFIX, Figure, Results, note


def run_once(module: str, args: Sequence[str]) -> dict[str, Any]:
    """Run ``python -m module args`` and return its JSON line (stderr passes through)."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args], stdout=subprocess.PIPE, text=True, check=False
    )
    sys.stderr.write(done.stdout)
    lines = [x for x in done.stdout.splitlines() if x.startswith(JSON_PREFIX)]
    if done.returncode != 0 or len(lines) != 1:
        raise SystemExit(f"{module} exited with {done.returncode} and {len(lines)} JSON lines")
    result: dict[str, Any] = json.loads(lines[0][len(JSON_PREFIX) :])
    return result


def _aligned(runs: Sequence[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each figure of the first run with the same figure of every run: by position, since a
    benchmark prints its figures in one order and may name one by the store's size, which
    grows from run to run (``append_at_<events>_events``)."""
    lists = [list(r["figures"].values()) for r in runs]
    if len({len(x) for x in lists}) != 1:
        raise SystemExit("the runs printed different numbers of figures")
    return [(name, [x[i] for x in lists]) for i, name in enumerate(runs[0]["figures"])]


def combine(runs: Sequence[dict[str, Any]]) -> Results:
    """The median of each figure over ``runs``: of its values, its baselines and its ratios."""
    first = runs[0]
    out = Results(f"{first['bench']} (median of {len(runs)})", {**first["size"], "runs": len(runs)})
    for name, seen in _aligned(runs):
        fig, met = seen[0], [s["met"] for s in seen]
        out.add(
            Figure(
                name,
                statistics.median(s["value"] for s in seen),
                fig["unit"],
                fig["baseline_name"],
                statistics.median(s["baseline"] for s in seen),
                fig["target"],
                ratio=statistics.median(s["ratio"] for s in seen),
                met=None if None in met else statistics.median_low(met),
            )
        )
    return out


def spreads(runs: Sequence[dict[str, Any]]) -> dict[str, list[float]]:
    """Each figure's lowest and highest value over the runs."""
    return {
        name: [min(s["value"] for s in seen), max(s["value"] for s in seen)]
        for name, seen in _aligned(runs)
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="how many runs (default 3)")
    parser.add_argument("module", help="the benchmark, e.g. bench.verify")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    runs = []
    for i in range(args.runs):
        note(f"run {i + 1} of {args.runs}: {args.module} {' '.join(args.args)}")
        runs.append(run_once(args.module, args.args))
    return combine(runs).print(spread=spreads(runs))


if __name__ == "__main__":
    main()
