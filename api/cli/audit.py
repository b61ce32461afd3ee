"""``backoffice audit export``, ``reconstruct`` and ``verify-package``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from api.audit import export_lines
from api.cli.common import cli, err, fail, group, open_configured, os_user, out, progress
from api.database import resolve
from api.reconstruction import Request, Requester
from api.reconstruction import build as build_package
from api.reconstruction import verify_package as check_package
from api.report import ReportOptions
from api.settings import get_settings
from domain.envelope import SYSTEM_ROLE
from projections.audit import AuditFilter, check_filter
from projections.audit import count as count_entries

audit_cli = group("audit", "Audit trail exports.")


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
    runtime = open_configured()
    flt = AuditFilter(
        event_type=event_type,
        aggregate_type=aggregate_type,
        actor=actor,
        branch=branch.upper() if branch else None,
        recorded_from=_utc(recorded_from),
        recorded_to=_utc(recorded_to),
        originator_id=aggregate_id,
    )
    try:
        check_filter(flt)
    except ValueError as exc:
        runtime.close()
        raise fail(str(exc), 2) from None
    written = 0
    try:
        runtime.runner.sync(runtime.runner.head())
        with runtime.cursor() as curs:
            total = count_entries(curs, flt)
        with progress() as bar, out_file.open("w", encoding="utf-8") as sink:
            task = bar.add_task("exporting", total=total)
            with runtime.cursor() as curs:
                for line in export_lines(
                    runtime.app,
                    curs,
                    flt,
                    # The operator acts as the system: with --personal-data nothing is masked.
                    frozenset({SYSTEM_ROLE}) if personal_data else frozenset(),
                    progress=lambda n: bar.update(task, completed=n),
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
    requested_by: Annotated[
        str,
        typer.Option(
            "--requested-by",
            help="Who asked for the package (e.g. '王五, 证监会上海监管局'): in the manifest.",
        ),
    ],
    order: Annotated[UUID | None, typer.Option(help="One order.")] = None,
    client: Annotated[UUID | None, typer.Option(help="Every order of one client.")] = None,
    received_from: Annotated[datetime | None, typer.Option("--from")] = None,
    received_to: Annotated[datetime | None, typer.Option("--to")] = None,
    branch: Annotated[str | None, typer.Option(help="With --from/--to: one branch.")] = None,
    locale: Annotated[
        str | None, typer.Option(help="Report language: zh-CN (default) or en.")
    ] = None,
    pdf: Annotated[
        bool, typer.Option(help="Also print report.pdf (about 0.3 s a page; off for big periods).")
    ] = True,
) -> None:
    """Write a reconstruction package: package.json, report.html, report.pdf, manifest.json."""
    if not requested_by.strip():
        raise fail("say who asked for the package: --requested-by 'NAME, AUTHORITY'", 2)
    try:
        options = ReportOptions.from_settings(get_settings(), locale)
        request = Request(
            order,
            client,
            _utc(received_from),
            _utc(received_to),
            branch.upper() if branch else None,
        )
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    runtime = open_configured()
    try:
        runtime.runner.sync(runtime.runner.head())
        with progress() as bar, runtime.cursor() as curs:
            task = bar.add_task("reconstructing", total=None)
            manifest = build_package(
                runtime.app,
                runtime.database,
                curs,
                request,
                Requester(requested_by.strip(), "command line", operator=os_user()),
                out_dir,
                runtime.clock(),
                lambda n, total: bar.update(task, completed=n, total=total),
                options,
                with_pdf=pdf,
            )
    except LookupError as exc:
        raise fail(str(exc.args[0]), 1) from None
    finally:
        runtime.close()
    out.print(f"{manifest['orders']} order(s) reconstructed into {out_dir}")
    out.print(f"chain head at export: {manifest['chain_head']}")
    if "report_pdf_missing" in manifest:
        err.print(f"[yellow]report.pdf not written:[/yellow] {manifest['report_pdf_missing']}")


@cli.command("verify-package")
def verify_package_command(
    directory: Annotated[Path, typer.Argument(help="A package written by `reconstruct`.")],
    offline: Annotated[
        bool, typer.Option(help="Check the files only, without the event store.")
    ] = False,
) -> None:
    """Check a package's files against its manifest and its events against the chain."""
    database = None
    if not offline:
        settings = get_settings()
        database = resolve(settings.database_url, settings.backoffice_home)
    result = check_package(directory, database)
    if not result.ok:
        for problem in result.problems:
            err.print(f"[red]✗[/red] {problem}")
        raise typer.Exit(1)
    where = "files only" if offline else f"{result.events_checked} event(s) found in the chain"
    out.print(f"package verified: {where}")
