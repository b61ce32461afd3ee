"""``backoffice bench generate``: a branch history of any size, for benchmarks."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import TaskID

from api.cli.common import JsonFlag, emit_json, err, fail, group, out, progress
from api.generate import Plan, generate
from api.runtime import open_runtime
from api.settings import get_settings
from api.signing import SigningKeyError
from domain.errors import DomainError

bench_cli = group("bench", "Benchmark tools: generate a branch history of any size.")


@bench_cli.command("generate")
def bench_generate(
    clients: Annotated[int, typer.Option(help="Clients (about 92% open an account).")] = 1_000,
    orders: Annotated[
        int, typer.Option(help="Orders, dealt among the clients who trade.")
    ] = 10_000,
    years: Annotated[int, typer.Option(help="Years of history before today.")] = 2,
    complaints: Annotated[
        int | None, typer.Option(help="Complaints (default: one per 20 clients).")
    ] = None,
    expenses: Annotated[
        int | None,
        typer.Option(
            help="Expenses, charged to yearly budget lines (default: one per 10 clients)."
        ),
    ] = None,
    branches: Annotated[int, typer.Option(help="Branches (each with its own staff).")] = 2,
    seed: Annotated[int, typer.Option(help="The same seed gives the same history.")] = 1,
    workers: Annotated[int, typer.Option(help="Stories run concurrently.")] = 4,
    project: Annotated[
        bool, typer.Option(help="Bring every read model up to date afterwards.")
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Generate a deterministic branch history through the application's commands: staff,
    the catalogue, clients with their orders, complaints, budgets and expenses, with business
    times spread over ``--years``. Prints the events written and the rate."""
    plan = Plan(clients, orders, years, complaints, expenses, branches, seed)
    try:
        plan = plan.checked()
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    if workers < 1:
        raise fail("--workers must be at least 1", 2)
    settings = get_settings()
    # One pooled connection per worker, and one for the progress and the projections.
    settings = settings.model_copy(update={"pool_size": max(settings.pool_size, workers + 1)})
    try:
        runtime = open_runtime(settings)
    except SigningKeyError as exc:
        raise fail(str(exc), 2) from None
    try:
        with progress() as bar:
            task = bar.add_task("generating stories", total=None)
            report = generate(
                runtime,
                plan,
                workers=workers,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        runtime.admin.analyze()  # a bulk load: the planner's statistics now, not some day
        refused = sum(report.refused.values())
        if as_json:
            emit_json(
                {
                    "seed": plan.seed,
                    "events": report.events,
                    "commands": report.commands,
                    "seconds": round(report.seconds, 3),
                    "events_per_second": round(report.rate, 1),
                    "refused": dict(report.refused),
                }
            )
        else:
            out.print(
                f"{report.events:,} events from {report.commands:,} commands in "
                f"{report.seconds:,.1f} s: {report.rate:,.0f} events/s"
            )
        if refused and not as_json:
            err.print(f"{refused:,} commands refused by the domain's rules (as a branch sees):")
            for reason, n in report.refused.most_common(10):
                err.print(f"  {n:>8,}  {reason}")
        if project:
            with progress() as bar:
                head = runtime.runner.head()
                for name in runtime.runner.views:
                    view = bar.add_task(f"projecting {name}", total=head)

                    def advance(_: str, done: int, total: int, view: TaskID = view) -> None:
                        bar.update(view, completed=done, total=total)

                    runtime.runner.catch_up(name, advance)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    except DomainError as exc:
        # e.g. a store that already holds another history: its branches' budget lines exist.
        why = f"the store refused the history: {exc.message}; use a fresh database"
        raise fail(why, 2) from None
    finally:
        runtime.close()
