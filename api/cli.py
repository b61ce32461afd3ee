"""The ``backoffice`` command: serve, migrate, verify, digest, project, staff, demo, schema."""

from __future__ import annotations

import csv
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID, uuid4

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from api.audit import export_lines
from api.auth import new_token, token_hash
from api.cli_integrity import register as register_integrity
from api.demo import seed
from api.instruments_csv import (
    SAMPLE_INSTRUMENTS,
    InstrumentFileError,
    read_instruments,
)
from api.migrate import migrate as run_migrations
from api.reconstruction import Request
from api.reconstruction import build as build_package
from api.reconstruction import verify_package as check_package
from api.roles import connections
from api.runtime import Runtime, adopt_configured_retention, open_runtime, system_command
from api.settings import get_settings
from api.signing import KeyStore, SigningKeyError, trusted_keys
from domain.errors import DomainError
from domain.retention import PRESETS, RecordClass
from projections import retention as retention_model
from projections import staff as staff_model
from projections.audit import AuditFilter
from projections.audit import entries as audit_entries
from projections.rebuild import BlueGreen
from projections.runner import ProjectionFailed

cli = typer.Typer(
    help="Backoffice: the event-sourced back office of a brokerage branch.",
    no_args_is_help=True,
    add_completion=False,
)
project_cli = typer.Typer(help="Run, inspect and rebuild the read models.")
staff_cli = typer.Typer(help="Staff members and their API tokens.", no_args_is_help=True)
cli.add_typer(project_cli, name="project")
instruments_cli = typer.Typer(help="The instrument reference catalogue.", no_args_is_help=True)
cli.add_typer(staff_cli, name="staff")
cli.add_typer(instruments_cli, name="instruments")
audit_cli = typer.Typer(help="Audit trail exports.", no_args_is_help=True)
retention_cli = typer.Typer(
    help="Retention policy, legal holds, and the report.", no_args_is_help=True
)
cli.add_typer(retention_cli, name="retention")
cli.add_typer(audit_cli, name="audit")
register_integrity(cli)  # verify, digest, doctor, keys, backup, restore

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _runtime(run_migrations: bool = True) -> Runtime:
    return open_runtime(get_settings(), run_migrations=run_migrations)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@cli.command()
def migrate() -> None:
    """Apply pending migrations (idempotent; safe to run concurrently)."""
    found = connections(get_settings())
    applied = run_migrations(
        found.admin, lambda m: err.print(f"applying {m}"), service_role=found.service_role
    )
    out.print(f"{len(applied)} migration(s) applied to {found.admin.describe()}")


def _seed_with_progress(runtime: Runtime) -> str | None:
    """Seed the demo data (once) with a progress bar per stage."""
    with _progress() as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done)

        return seed(runtime, runtime.settings.backoffice_home / "demo-token", report)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Seed demo data into an empty store.")] = False,
    projections: Annotated[
        bool, typer.Option(help="Run the projection runner in this process.")
    ] = True,
) -> None:
    """Migrate, then serve GraphQL at /graphql, /health and /metrics."""
    import uvicorn

    from api.app import create_app

    runtime = _runtime()
    out.print(f"database: {runtime.database.describe()}")
    runtime.start_checkpoints()  # a signed checkpoint every CHECKPOINT_INTERVAL seconds
    adopt_configured_retention(runtime)
    if demo:
        token = _seed_with_progress(runtime)
        out.print(f"demo admin token: [bold]{token}[/bold]")
        out.print("  (send it as the header  Authorization: Bearer <token>)")
    out.print(f"GraphiQL: [bold]http://{host}:{port}/graphql[/bold]")
    try:
        uvicorn.run(create_app(runtime, run_projections=projections), host=host, port=port)
    finally:
        runtime.close()


@project_cli.callback(invoke_without_command=True)
def project(ctx: typer.Context) -> None:
    """Without a subcommand: run the projections as a worker until interrupted."""
    if ctx.invoked_subcommand is not None:
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    runtime = _runtime()
    err.print("projection worker: following the event store (Ctrl-C to stop)")
    try:
        runtime.runner.run_forever()
    except KeyboardInterrupt:
        pass
    except ProjectionFailed as exc:
        raise _fail(str(exc)) from None
    finally:
        runtime.close()


@project_cli.command("status")
def project_status() -> None:
    """Position and lag of every read model."""
    runtime = _runtime()
    try:
        table = Table("read model", "position", "head", "lag")
        for lag in runtime.runner.lags():
            table.add_row(lag.name, str(lag.position), str(lag.head), str(lag.lag))
        out.print(table)
    finally:
        runtime.close()


@project_cli.command("rebuild")
def project_rebuild(
    name: Annotated[str, typer.Argument(help="Read model name.")],
    fresh: Annotated[
        bool, typer.Option(help="Start over instead of resuming an interrupted rebuild.")
    ] = False,
) -> None:
    """Replay one read model from event 1 into shadow tables, then swap them in (blue/green):
    the API keeps serving the live tables meanwhile."""
    runtime = _runtime()
    try:
        blue_green = BlueGreen(runtime.runner, name)
        with _progress() as progress:
            task = progress.add_task(f"rebuilding {name}", total=runtime.runner.head())

            def report(_: str, position: int, head: int) -> None:
                progress.update(task, completed=position, total=head)

            position = blue_green.rebuild(report, resume=not fresh)
        out.print(f"{name}: rebuilt up to position {position} and swapped in")
    except KeyError as exc:
        raise _fail(str(exc.args[0]), 2) from None
    except ProjectionFailed as exc:
        raise _fail(str(exc)) from None
    finally:
        runtime.close()


@project_cli.command("compare")
def project_compare(name: Annotated[str, typer.Argument(help="Read model name.")]) -> None:
    """Replay one read model into a shadow and report every row that differs from the live one."""
    runtime = _runtime()
    try:
        blue_green = BlueGreen(runtime.runner, name)
        with _progress() as progress:
            task = progress.add_task(f"replaying {name}", total=runtime.runner.head())
            differences = blue_green.compare(
                lambda _, position, head: progress.update(task, completed=position, total=head)
            )
    except KeyError as exc:
        raise _fail(str(exc.args[0]), 2) from None
    finally:
        runtime.close()
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


def _issue_token(runtime: Runtime, staff_id: UUID) -> str:
    token = new_token()
    result = runtime.app.issue_token(
        system_command(runtime, f"token issued on the command line by {_os_user()}"),
        staff_id=staff_id,
        token_hash=token_hash(token),
    )
    runtime.runner.sync(result.position or 0)
    return token


def _os_user() -> str:
    try:
        return os.getlogin()
    except OSError:
        return os.environ.get("USER", "unknown")


@staff_cli.command("add")
def staff_add(
    name: Annotated[str, typer.Argument(help="Full name, exactly as it should appear.")],
    role: Annotated[list[str], typer.Option("--role", help="A role; repeat for several.")],
    branch: Annotated[str, typer.Option(help="Branch code, e.g. SH01.")],
) -> None:
    """Register a staff member and print a bearer token (shown once, stored only hashed)."""
    runtime = _runtime()
    try:
        staff_id = uuid4()
        runtime.app.register_staff(
            system_command(runtime, f"registered on the command line by {_os_user()}"),
            staff_id=staff_id,
            name=name,
            branch=branch,
            roles=role,
        )
        token = _issue_token(runtime, staff_id)
    except DomainError as exc:
        raise _fail(exc.message, 2) from None
    finally:
        runtime.close()
    err.print(f"staff {staff_id} registered; bearer token (shown once):")
    out.print(token)


@staff_cli.command("list")
def staff_list(
    branch: Annotated[str | None, typer.Option(help="Only this branch.")] = None,
) -> None:
    """Staff members with their ids, branch and roles (from the staff read model)."""
    runtime = _runtime()
    try:
        table = Table("id", "name", "branch", "roles", "active")
        after = None
        while True:
            with runtime.cursor() as curs:
                found = staff_model.page(
                    curs,
                    staff_model.StaffFilter(branch=branch.upper() if branch else None),
                    200,
                    after,
                )
            for s in found.items:
                table.add_row(str(s.id), s.name, s.branch, ", ".join(s.roles), str(s.active))
            if not found.has_next_page:
                break
            after = found.end_cursor
        out.print(table)
    finally:
        runtime.close()


@staff_cli.command("token")
def staff_token(staff_id: Annotated[UUID, typer.Argument(help="The staff member's id.")]) -> None:
    """Issue another bearer token for a staff member."""
    runtime = _runtime()
    try:
        token = _issue_token(runtime, staff_id)
    except DomainError as exc:
        raise _fail(exc.message, 2) from None
    finally:
        runtime.close()
    out.print(token)


@instruments_cli.command("load")
def instruments_load(
    file: Annotated[
        Path | None,
        typer.Argument(help="CSV: code,name,board,risk_level,board_lot,status,restricted."),
    ] = None,
) -> None:
    """Load (list or revise) instruments from a CSV; default: the shipped sample catalogue."""
    path = file or SAMPLE_INSTRUMENTS
    try:
        rows = read_instruments(path)
    except InstrumentFileError as exc:
        raise _fail(str(exc), 2) from None
    runtime = _runtime()
    counts = {"recorded": 0, "unchanged": 0}
    position = 0
    try:
        with _progress() as progress:
            task = progress.add_task(f"loading {path.name}", total=len(rows))
            for line, row in rows:
                try:
                    result = runtime.app.upsert_instrument(
                        system_command(runtime, f"catalogue loaded from {path.name}"), **row
                    )
                except DomainError as exc:
                    raise _fail(f"{path}:{line}: {exc.message}", 2) from None
                if result is None:
                    counts["unchanged"] += 1
                else:
                    counts["recorded"] += 1
                    position = max(position, result.position or 0)
                progress.advance(task)
        runtime.runner.sync(position)
    finally:
        runtime.close()
    out.print(
        f"{counts['recorded']} instrument(s) listed or revised, {counts['unchanged']} unchanged"
    )


@audit_cli.command("export")
def audit_export(
    out_file: Annotated[Path, typer.Option("--out", help="JSON Lines file to write.")],
    event_type: Annotated[str | None, typer.Option("--type", help="e.g. Order.Reviewed")] = None,
    aggregate_type: Annotated[str | None, typer.Option("--aggregate-type")] = None,
    actor: Annotated[UUID | None, typer.Option(help="Staff id.")] = None,
    branch: Annotated[str | None, typer.Option()] = None,
    recorded_from: Annotated[datetime | None, typer.Option("--from")] = None,
    recorded_to: Annotated[datetime | None, typer.Option("--to")] = None,
    aggregate_id: Annotated[UUID | None, typer.Option("--aggregate")] = None,
    personal_data: Annotated[
        bool,
        typer.Option(help="Include personal data unmasked (for auditors and regulators)."),
    ] = False,
) -> None:
    """Export the audit trail (every event with its envelope, data and chain hash); personal
    data is masked unless --personal-data is given."""
    runtime = _runtime()
    flt = AuditFilter(
        event_type=event_type,
        aggregate_type=aggregate_type,
        actor=actor,
        branch=branch.upper() if branch else None,
        recorded_from=_utc(recorded_from),
        recorded_to=_utc(recorded_to),
        originator_id=aggregate_id,
    )
    written = 0
    try:
        runtime.runner.sync(runtime.runner.head())
        with runtime.cursor() as curs:
            total = len(audit_entries(curs, flt, 0, None))
        with _progress() as progress, out_file.open("w", encoding="utf-8") as sink:
            task = progress.add_task("exporting", total=total)
            with runtime.cursor() as curs:
                for line in export_lines(
                    runtime.app,
                    curs,
                    flt,
                    personal_data,
                    see_restricted=personal_data,
                    progress=lambda n: progress.update(task, completed=n),
                ):
                    sink.write(line)
                    written += 1
    finally:
        runtime.close()
    out.print(f"{written} event(s) written to {out_file}")


def _utc(value: datetime | None) -> datetime | None:
    """Command-line times without a zone are taken as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@cli.command()
def reconstruct(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write the package into.")],
    order: Annotated[UUID | None, typer.Option(help="One order.")] = None,
    client: Annotated[UUID | None, typer.Option(help="Every order of one client.")] = None,
    received_from: Annotated[datetime | None, typer.Option("--from")] = None,
    received_to: Annotated[datetime | None, typer.Option("--to")] = None,
    branch: Annotated[str | None, typer.Option(help="With --from/--to: one branch.")] = None,
) -> None:
    """Write a reconstruction package: package.json, report.html and manifest.json."""
    try:
        request = Request(
            order,
            client,
            _utc(received_from),
            _utc(received_to),
            branch.upper() if branch else None,
        )
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    runtime = _runtime()
    try:
        runtime.runner.sync(runtime.runner.head())
        with _progress() as progress, runtime.cursor() as curs:
            task = progress.add_task("reconstructing", total=None)
            manifest = build_package(
                runtime.app,
                runtime.database,
                curs,
                request,
                f"{_os_user()} (command line)",
                out_dir,
                runtime.clock(),
                lambda n, total: progress.update(task, completed=n, total=total),
                seal=runtime.seal(),
            )
    except LookupError as exc:
        raise _fail(str(exc.args[0]), 1) from None
    finally:
        runtime.close()
    out.print(f"{manifest['orders']} order(s) reconstructed into {out_dir}")
    out.print(f"chain head at export: {manifest['chain_head']}")


@cli.command("verify-package")
def verify_package_command(
    directory: Annotated[Path, typer.Argument(help="A package written by `reconstruct`.")],
    offline: Annotated[
        bool, typer.Option(help="Check the files only, without the event store.")
    ] = False,
    keys: Annotated[
        Path | None, typer.Option("--keys", help="A keyring from `keys export` to trust.")
    ] = None,
) -> None:
    """Check a package's signature and files against its manifest, and (online) its events
    against the chain."""
    settings = get_settings()
    database = None if offline else connections(settings).service
    try:
        trusted = trusted_keys(KeyStore(settings.key_directory), keys)
    except SigningKeyError as exc:
        raise _fail(str(exc), 2) from None
    result = check_package(directory, database, trusted or None)
    for note in result.notes:
        err.print(f"note: {note}")
    if not result.ok:
        for problem in result.problems:
            err.print(f"[red]✗[/red] {problem}")
        raise typer.Exit(1)
    where = "files only" if offline else f"{result.events_checked} event(s) found in the chain"
    out.print(f"package verified: signature and {where}")


@retention_cli.command("policy")
def retention_policy() -> None:
    """Show the presets in force (adopting RETENTION_PRESETS first if it changed)."""
    runtime = _runtime()
    try:
        result = adopt_configured_retention(runtime)
        runtime.runner.sync(runtime.runner.head())
        with runtime.cursor() as curs:
            presets = retention_model.presets_in_force(curs) or []
    except DomainError as exc:
        raise _fail(exc.message, 2) from None
    finally:
        runtime.close()
    if result is not None:
        err.print("recorded the configured presets as the policy in force")
    table = Table("record class", *presets)
    for cls in RecordClass:
        table.add_row(
            cls.value,
            *(f"{PRESETS[p][cls].years}y from {PRESETS[p][cls].clock.value}" for p in presets),
        )
    out.print(f"in force: {', '.join(presets)} (the longest applies)")
    out.print(table)


@retention_cli.command("report")
def retention_report(
    record_class: Annotated[str | None, typer.Option("--class", help="One record class.")] = None,
    eligible: Annotated[bool, typer.Option(help="Only records eligible to leave now.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write every line as CSV.")] = None,
) -> None:
    """For every record: the preset that decides, the clock, and the earliest date it could
    leave primary storage. Nothing is deleted: this only reports."""
    runtime = _runtime()
    try:
        adopt_configured_retention(runtime)
        runtime.runner.sync(runtime.runner.head())
        today = runtime.business_date(runtime.clock())
        with runtime.cursor() as curs:
            presets = retention_model.presets_in_force(curs) or []
            lines = [
                line
                for line in retention_model.report(curs, presets, runtime.settings.branch_timezone)
                if (record_class is None or line.record_class == record_class)
                and (not eligible or line.eligible(today))
            ]
    finally:
        runtime.close()
    summary = Table("record class", "records", "held", "eligible now", "next eligible")
    for cls in RecordClass:
        mine = [x for x in lines if x.record_class == cls.value]
        dates = [x.earliest_removal for x in mine if x.earliest_removal and not x.held]
        summary.add_row(
            cls.value,
            str(len(mine)),
            str(sum(x.held for x in mine)),
            str(sum(x.eligible(today) for x in mine)),
            str(min(dates)) if dates else "-",
        )
    out.print(f"policy in force: {', '.join(presets)}; today {today}")
    out.print(summary)
    if out_file is not None:
        with out_file.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(
                [
                    "record_id",
                    "record_class",
                    "booked_on",
                    "relationship_ended_on",
                    "preset",
                    "earliest_removal",
                    "held",
                    "eligible_now",
                ]
            )
            for x in lines:
                writer.writerow(
                    [
                        x.record_id,
                        x.record_class,
                        x.booked_on,
                        x.relationship_ended_on or "",
                        x.preset,
                        x.earliest_removal or "",
                        x.held,
                        x.eligible(today),
                    ]
                )
        out.print(f"{len(lines)} line(s) written to {out_file}")


@retention_cli.command("hold")
def retention_hold(
    subject: Annotated[UUID, typer.Argument(help="A client or record id.")],
    reason: Annotated[str, typer.Option(help="Why (required): case, order, request.")],
) -> None:
    """Place a legal hold: every retention clock of the subject stops until lifted."""
    _hold(subject, reason, place=True)


@retention_cli.command("release")
def retention_release(
    subject: Annotated[UUID, typer.Argument(help="A client or record id.")],
    reason: Annotated[str, typer.Option(help="Why the hold ends (required).")],
) -> None:
    """Lift a legal hold."""
    _hold(subject, reason, place=False)


def _hold(subject: UUID, reason: str, *, place: bool) -> None:
    runtime = _runtime()
    try:
        cmd = system_command(runtime, reason)
        if place:
            runtime.app.place_legal_hold(cmd, subject_id=subject)
        else:
            runtime.app.lift_legal_hold(cmd, subject_id=subject)
    except DomainError as exc:
        raise _fail(exc.message, 2) from None
    finally:
        runtime.close()
    out.print(f"legal hold {'placed on' if place else 'lifted from'} {subject}")


@cli.command()
def demo() -> None:
    """Seed the demo data (once) and print the demo admin's token."""
    runtime = _runtime()
    try:
        token = _seed_with_progress(runtime)
    finally:
        runtime.close()
    out.print(token)


@cli.command()
def schema(
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("api/schema.graphql"),
) -> None:
    """Export the GraphQL schema (SDL)."""
    from api.graphql.schema import sdl

    output.write_text(sdl())
    err.print(f"wrote {output}")


def main() -> None:
    """Entry point of the ``backoffice`` console script."""
    cli(prog_name="backoffice")


if __name__ == "__main__":
    main()
