"""Every benchmark in ``bench/`` runs at a smoke size and prints its table and one JSON line
with every figure beside its same-run baseline. No timing is asserted here: the figures
themselves belong in bench/README.md, measured at size."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from api.database import Database
from api.generate import Plan, generate
from api.runtime import Runtime
from bench import (
    append_cost,
    as_of,
    backup_restore,
    blotter,
    median,
    rebuild,
    verify,
    write_path,
)
from bench.harness import JSON_PREFIX

#: Each benchmark, its arguments at smoke size, and the figures its JSON line must hold.
CASES: list[tuple[Callable[[list[str]], dict[str, Any]], list[str], set[str]]] = [
    (
        write_path.main,
        ["--n", "4", "--concurrency", "2"],
        {
            "graphql_mutation_c1",
            "graphql_mutation_c2",
            "backoffice_command_c1",
            "backoffice_command_c2",
            "bare_library_save_c2",
        },
    ),  # fmt: skip
    (
        rebuild.main,
        ["--models", "orders,clients,audit"],
        {"rebuild_orders", "rebuild_clients", "rebuild_audit", "rebuild_together"},
    ),  # fmt: skip
    (verify.main, [], {"verify"}),
    (
        blotter.main,
        ["--requests", "3", "--concurrency", "2"],
        {
            "blotter_first_page_p99_c1",
            "blotter_first_page_p99_c2",
            "blotter_branch_status_p99_c1",
            "blotter_timelines_statements_50_rows",
            "blotter_first_page_cpu_per_request_c1",
            "total_count_all_p99",
            "total_count_branch_status_p99",
        },
    ),  # fmt: skip
    (
        as_of.main,
        ["--events", "12", "--short", "3", "--requests", "3"],
        {"as_of_12_events_p50", "as_of_12_events_p99", "command_on_12_events"},
    ),
    (append_cost.main, ["--n", "3"], set()),  # one figure, named by the store's size
    (backup_restore.main, ["200"], {"backup", "restore"}),
]


@pytest.fixture
def store(runtime: Runtime, database: Database) -> str:
    """A tiny generated store with its read models up to date: its owner's URL (a benchmark
    applies pending migrations to the store it is given)."""
    generate(runtime, Plan(clients=6, orders=20, years=2, complaints=2, expenses=3), workers=2)
    runtime.runner.sync(runtime.runner.head(), timeout=60)
    return database.url


def test_every_benchmark_prints_each_figure_beside_its_baseline(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for main, args, expected in CASES:
        store_args = [] if main in (write_path.main, backup_restore.main) else ["--database", store]
        returned = main([*args, *store_args])
        printed = [
            json.loads(line[len(JSON_PREFIX) :])
            for line in capsys.readouterr().out.splitlines()
            if line.startswith(JSON_PREFIX)
        ]
        assert printed == [returned], main.__module__
        figures = returned["figures"]
        assert figures and expected <= set(figures), (main.__module__, set(figures))
        if main is append_cost.main:
            (figure,) = figures.values()
            assert figure["baseline_name"] == "append_at_1_events"
        for name, figure in figures.items():
            assert {"value", "unit", "baseline_name", "baseline", "ratio", "target"} <= set(
                figure
            ), name
            assert figure["value"] >= 0 and figure["baseline"] > 0, (name, figure)


def test_the_median_of_runs_takes_each_figure_from_fresh_processes(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = median.main(["--runs", "2", "bench.verify", "--database", store])
    printed = [
        json.loads(x[len(JSON_PREFIX) :])
        for x in capsys.readouterr().out.splitlines()
        if x.startswith(JSON_PREFIX)
    ]
    assert printed == [line]
    assert line["size"]["runs"] == 2
    low, high = line["spread"]["verify"]
    assert low <= line["figures"]["verify"]["value"] <= high


def test_the_median_is_taken_per_figure_of_values_baselines_and_ratios() -> None:
    def run(value: float, baseline: float) -> dict[str, Any]:
        figure = {"value": value, "unit": "events/s", "baseline_name": "raw",
                  "baseline": baseline, "ratio": value / baseline, "target": ">= 1",
                  "met": value >= baseline}  # fmt: skip
        return {"bench": "b", "size": {"n": 1}, "figures": {"f": figure}}

    combined = median.combine([run(1, 4), run(9, 3), run(5, 10)]).figures[0]
    assert (combined.value, combined.baseline, combined.ratio) == (5, 4, 0.5)
    assert combined.met is False  # two of three runs missed
    assert median.spreads([run(1, 4), run(9, 3)]) == {"f": [1, 9]}
    # A figure named by the store's size, which grows between runs, is still the same figure.
    grown = run(7, 4)
    grown["figures"] = {"f_at_2": grown["figures"]["f"]}
    assert median.spreads([run(1, 4), grown, run(9, 3)]) == {"f": [1, 9]}
    assert median.combine([run(1, 4), grown, run(9, 3)]).figures[0].value == 7
