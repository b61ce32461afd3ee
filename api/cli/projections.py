"""``backoffice project``: run, inspect, rebuild and compare read models."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from api.cli.common import JsonFlag, emit_json, err, fail, group, open_configured, out, progress
from api.cli.incidents import project_resume, status_document, status_report
from projections.rebuild import BlueGreen, rebuild_together
from projections.runner import ProjectionFailed

project_cli = group("project", "Run, inspect and rebuild the read models.", no_args_is_help=False)


@project_cli.callback(invoke_without_command=True)
def project(ctx: typer.Context) -> None:
    """Without a subcommand: run the projections as a worker until interrupted."""
    if ctx.invoked_subcommand is not None:
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    runtime = open_configured()
    err.print("projection worker: following the event store (Ctrl-C to stop)")
    try:
        runtime.runner.run_forever()  # rides out outages; a failing model stops alone
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()


@project_cli.command("status")
def project_status(as_json: JsonFlag = False) -> None:
    """Position, lag and state of every read model, and the newest incidents."""
    runtime = open_configured()
    try:
        if as_json:
            emit_json(status_document(runtime))
            return
        for part in status_report(runtime):
            out.print(part)
    finally:
        runtime.close()


project_cli.command("resume")(project_resume)


@project_cli.command("rebuild")
def project_rebuild(
    names: Annotated[
        list[str] | None, typer.Argument(help="Read model names (several: one pass for all).")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Rebuild every read model.")] = False,
    fresh: Annotated[
        bool, typer.Option(help="Start over instead of resuming an interrupted rebuild.")
    ] = False,
) -> None:
    """Replay read models from event 1 into shadow tables, then swap them in (blue/green):
    the API keeps serving the live tables meanwhile. Several models are replayed together,
    each event read and decoded once for all of them."""
    runtime = open_configured()
    try:
        chosen = list(runtime.runner.views) if every else list(dict.fromkeys(names or []))
        if not chosen:
            raise fail("name at least one read model, or pass --all", 2)
        with progress() as bar:
            head = runtime.runner.head()
            tasks = {name: bar.add_task(f"rebuilding {name}", total=head) for name in chosen}

            def report(name: str, position: int, head: int) -> None:
                bar.update(tasks[name], completed=position, total=head)

            reached = rebuild_together(runtime.runner, chosen, report, resume=not fresh)
        for name, position in reached.items():
            out.print(f"{name}: rebuilt up to position {position} and swapped in")
    except KeyError as exc:
        raise fail(str(exc.args[0]), 2) from None
    except ProjectionFailed as exc:
        raise fail(str(exc)) from None
    finally:
        runtime.close()


@project_cli.command("compare")
def project_compare(
    name: Annotated[str, typer.Argument(help="Read model name.")], as_json: JsonFlag = False
) -> None:
    """Replay one read model into a shadow and report every row that differs from the live one."""
    runtime = open_configured()
    try:
        blue_green = BlueGreen(runtime.runner, name)
        with progress() as bar:
            task = bar.add_task(f"replaying {name}", total=runtime.runner.head())
            differences = blue_green.compare(
                lambda _, position, head: bar.update(task, completed=position, total=head)
            )
    except KeyError as exc:
        raise fail(str(exc.args[0]), 2) from None
    finally:
        runtime.close()
    if as_json:
        emit_json({"model": name, "matches": not differences, "differences": differences})
        if differences:
            raise typer.Exit(1)
        return
    if not differences:
        out.print(f"{name}: the live model matches a replay from event 1")
        return
    for d in differences:
        err.print(
            f"[red]{d.table}[/red]: {d.only_live} row(s) only in the live model, "
            f"{d.only_replayed} only in the replay"
        )
        for example in d.examples:
            err.print(f"  live: {example}")
    raise typer.Exit(1)
