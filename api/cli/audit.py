"""``backoffice audit export``, ``reconstruct`` and ``verify-package``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from api.audit import export_lines
from api.cli.common import (
    JsonFlag,
    cli,
    emit_json,
    err,
    fail,
    group,
    open_configured,
    os_user,
    out,
    progress,
)
from api.clocks import Clock, maybe_branch_time
from api.disclosures import record_disclosure
from api.reconstruction import Request, Requester, sha256_file
from api.reconstruction import build as build_package
from api.reconstruction import verify_package as check_package
from api.reconstruction_complaints import build_complaint_package
from api.report import ReportOptions
from api.roles import connections
from api.settings import get_settings
from api.signing import KeyStore, SigningKeyError, trusted_keys
from domain.disclosures import DisclosureKind
from domain.envelope import SYSTEM_ACTOR, SYSTEM_ROLE
from domain.errors import DomainError
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
    start: Annotated[
        datetime | None,
        typer.Option("--from", help="At or after this time, by --clock (no zone: the branch's)."),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option("--to", help="Before this time, by --clock (no zone: the branch's)."),
    ] = None,
    clock: Annotated[
        Clock,
        typer.Option(
            help="Which time --from/--to compare: recorded (when the store recorded the event) "
            "or business (the time its command gave)."
        ),
    ] = Clock.RECORDED,
    aggregate_id: Annotated[UUID | None, typer.Option("--aggregate")] = None,
    personal_data: Annotated[
        bool,
        typer.Option(help="Include personal data unmasked (for auditors and regulators)."),
    ] = False,
    requested_by: Annotated[
        str | None, typer.Option(help="With --personal-data: who asked for it (required).")
    ] = None,
    reason: Annotated[
        str | None, typer.Option(help="With --personal-data: why (required).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Export the audit trail (every event with its envelope, data and chain hash); personal
    data is masked unless --personal-data is given."""
    if personal_data and not (requested_by and reason):
        raise fail("an export with personal data needs --requested-by and --reason", 2)
    runtime = open_configured()
    start, end = _zoned(start), _zoned(end)
    recorded = clock is Clock.RECORDED
    flt = AuditFilter(
        event_type=event_type,
        aggregate_type=aggregate_type,
        actor=actor,
        branch=branch.upper() if branch else None,
        recorded_from=start if recorded else None,
        recorded_to=end if recorded else None,
        originator_id=aggregate_id,
        occurred_from=None if recorded else start,
        occurred_to=None if recorded else end,
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
        if personal_data and requested_by and reason:
            record_disclosure(
                runtime,
                SYSTEM_ACTOR,
                f"{reason} (exported on the command line by {os_user()})",
                kind=DisclosureKind.AUDIT_EXPORT,
                requested_by=requested_by,
                request={k: v for k, v in flt.__dict__.items() if v is not None},
                digest=sha256_file(out_file),
                records=written,
                personal_data=True,
            )
    finally:
        runtime.close()
    if as_json:
        emit_json({"file": out_file, "events": written})
    else:
        out.print(f"{written} event(s) written to {out_file}")


def _zoned(value: datetime | None) -> datetime | None:
    """Command-line times without a zone are in the branch's time zone, as everywhere."""
    return maybe_branch_time(value, get_settings().branch_timezone)


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
    reason: Annotated[
        str, typer.Option(help="Why (the request's reference): recorded with the disclosure.")
    ],
    order: Annotated[UUID | None, typer.Option(help="One order.")] = None,
    client: Annotated[UUID | None, typer.Option(help="Every order of one client.")] = None,
    received_from: Annotated[
        datetime | None,
        typer.Option(
            "--from",
            help="Orders received at or after this time (business clock: the receipt time "
            "given; no zone: the branch's).",
        ),
    ] = None,
    received_to: Annotated[
        datetime | None,
        typer.Option("--to", help="Orders received before this time (business clock)."),
    ] = None,
    branch: Annotated[str | None, typer.Option(help="With --from/--to: one branch.")] = None,
    locale: Annotated[
        str | None, typer.Option(help="Report language: zh-CN (default) or en.")
    ] = None,
    pdf: Annotated[
        bool, typer.Option(help="Also print report.pdf (about 0.3 s a page; off for big periods).")
    ] = True,
    complaint: Annotated[UUID | None, typer.Option(help="One complaint's full history.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write a reconstruction package: package.json, report.html, report.pdf, manifest.json."""
    if not requested_by.strip():
        raise fail("say who asked for the package: --requested-by 'NAME, AUTHORITY'", 2)
    if complaint is not None and (order or client or received_from or received_to or branch):
        raise fail("--complaint is asked for on its own", 2)
    try:
        options = ReportOptions.from_settings(get_settings(), locale)
        request = (
            None
            if complaint is not None
            else Request(
                order,
                client,
                _zoned(received_from),
                _zoned(received_to),
                branch.upper() if branch else None,
            )
        )
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    runtime = open_configured()
    try:
        runtime.runner.sync(runtime.runner.head())
        requester = Requester(requested_by.strip(), "command line", operator=os_user())
        with progress() as bar, runtime.cursor() as curs:
            task = bar.add_task("reconstructing", total=None)
            if complaint is not None:
                manifest = build_complaint_package(
                    runtime.app,
                    runtime.database,
                    curs,
                    complaint,
                    requester,
                    out_dir,
                    runtime.clock(),
                    options,
                    with_pdf=pdf,
                    seal=runtime.seal(),
                )
            else:
                assert request is not None  # asked for unless a complaint is
                manifest = build_package(
                    runtime.app,
                    runtime.database,
                    curs,
                    request,
                    requester,
                    out_dir,
                    runtime.clock(),
                    lambda n, total: bar.update(task, completed=n, total=total),
                    options,
                    with_pdf=pdf,
                    seal=runtime.seal(),
                )
        record_disclosure(
            runtime,
            SYSTEM_ACTOR,
            f"{reason} (package written on the command line by {os_user()})",
            kind=DisclosureKind.RECONSTRUCTION,
            requested_by=requested_by.strip(),
            request=manifest["request"],
            digest=sha256_file(out_dir / "manifest.json"),
            records=manifest["orders"] + manifest.get("complaints", 0),
            personal_data=True,
        )
    except LookupError as exc:
        raise fail(str(exc.args[0]), 1) from None
    except DomainError as exc:
        raise fail(f"the package was not recorded as a disclosure: {exc.message}", 2) from None
    finally:
        runtime.close()
    if "report_pdf_missing" in manifest:
        err.print(f"[yellow]report.pdf not written:[/yellow] {manifest['report_pdf_missing']}")
    if as_json:
        emit_json(
            {
                "out": out_dir,
                "request": manifest["request"],
                "orders": manifest["orders"],
                "complaints": manifest.get("complaints", 0),
                "chain_head": manifest["chain_head"],
                "files": sorted(manifest.get("files", {})),
                "manifest_sha256": sha256_file(out_dir / "manifest.json"),
            }
        )
        return
    if complaint is not None:
        out.print(f"complaint {complaint} reconstructed into {out_dir}")
    else:
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
    as_json: JsonFlag = False,
) -> None:
    """Check a package's signature and files against its manifest, and (online) its events
    against the chain."""
    settings = get_settings()
    database = None if offline else connections(settings, create=False).service
    try:
        trusted = trusted_keys(KeyStore(settings.key_directory), keys)
    except SigningKeyError as exc:
        raise fail(str(exc), 2) from None
    result = check_package(directory, database, trusted or None)
    if as_json:
        emit_json(
            {
                "ok": result.ok,
                "offline": offline,
                "events_checked": result.events_checked,
                "problems": result.problems,
                "notes": result.notes,
            }
        )
        if not result.ok:
            raise typer.Exit(1)
        return
    for note in result.notes:
        err.print(f"note: {note}")
    if not result.ok:
        for problem in result.problems:
            err.print(f"[red]✗[/red] {problem}")
        raise typer.Exit(1)
    where = "files only" if offline else f"{result.events_checked} event(s) found in the chain"
    out.print(f"package verified: signature and {where}")
