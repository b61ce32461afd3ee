"""The record's integrity on the command line: verify, digest (--sign), doctor, keys, backup,
restore."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from api import chain
from api.backup import BackupError
from api.backup import backup as run_backup
from api.checkpoints import CheckpointRefused, DirectoryStore, in_database, newest
from api.cli.common import JsonFlag, cli, emit_json, err, fail, out, progress, table
from api.database import Database
from api.integrity import state_decoder
from api.migrate import migrate
from api.restore import RestoreRefused
from api.restore import restore as run_restore
from api.roles import Check, connections, inspect_service_role
from api.runtime import Runtime, open_runtime
from api.settings import get_settings
from api.signature_pool import SignaturePool, default_jobs
from api.signing import (
    KeyStore,
    SigningKeyError,
    published_keys,
    trusted_keys,
)
from api.verification import verify_record
from domain.keys import signing_key_id
from projections.rebuild import rebuild_together

KeysOption = Annotated[
    Path | None,
    typer.Option("--keys", help="A keyring written by `keys export`, to trust its keys."),
]


def _anchors(keyring: Path | None) -> dict[str, bytes]:
    try:
        return trusted_keys(KeyStore(get_settings().key_directory), keyring)
    except SigningKeyError as exc:
        raise fail(str(exc), 2) from None


def _runtime() -> Runtime:
    try:
        return open_runtime(get_settings(), create=False)
    except SigningKeyError as exc:
        raise fail(str(exc), 2) from None


def verify(
    digest: Annotated[
        str | None, typer.Option("--digest", help="ID:HASH printed earlier by `digest`.")
    ] = None,
    keys: KeysOption = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option(help="Checkpoints kept outside the database (default: CHECKPOINT_DIR)."),
    ] = None,
    as_json: JsonFlag = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            min=1,
            help="Processes checking signatures (default: one per CPU; 1: in this process).",
        ),
    ] = None,
) -> None:
    """Prove the record: the hash chain, every event's signature, and the chain against every
    signed checkpoint (in the database and outside it); exit 1 naming what does not prove."""
    settings = get_settings()
    try:
        expect = chain.Digest.parse(digest) if digest else None
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    anchors = _anchors(keys)
    database = connections(settings, create=False).service
    # The pool first: its workers are forked before the progress bar starts a thread.
    with SignaturePool(jobs or default_jobs()) as pool, progress() as bar:
        task = bar.add_task("verifying", total=chain.total(database))
        report = verify_record(
            database,
            anchors=anchors,
            decode=state_decoder(settings.cipher_key),
            store=DirectoryStore(checkpoints or settings.checkpoint_directory),
            expect=expect,
            progress=lambda n: bar.update(task, completed=n),
            pool=pool,
        )
    if as_json:
        emit_json(
            {
                "intact": report.intact,
                "events": report.count,
                "head": str(report.head) if report.head else None,
                "signed": report.signed,
                "unsigned_prefix": report.unsigned_prefix,
                "trusted_keys": sorted(report.trusted),
                "checkpoints_proven": report.checkpoints_proven,
                "newest_checkpoint": str(report.newest_checkpoint)
                if report.newest_checkpoint
                else None,
                "digest": str(expect) if expect else None,
                "problems": [
                    {"notification_id": p.notification_id, "problem": p.text}
                    for p in report.problems
                ],
                "notes": report.notes,
            }
        )
        if not report.intact:
            raise typer.Exit(1)
        return
    for note in report.notes:
        err.print(f"note: {note}")
    # A digest that does not match is told apart from a broken record: most often it was
    # mistyped or cut when copied, and "record broken" would raise a false alarm.
    off = [p for p in report.problems if expect is not None and p.text.startswith("digest ")]
    problems = [p for p in report.problems if p not in off]
    if problems:
        for problem in problems[:50]:
            err.print(f"[red]✗[/red] {problem}")
        if len(problems) > 50:
            err.print(f"… and {len(problems) - 50} more")
        first = next((p for p in problems if p.notification_id), problems[0])
        where = f"at notification id {first.notification_id}" if first.notification_id else ""
        raise fail(f"record broken {where}: {first.text} ({len(problems)} problem(s))")
    if off and expect is not None:
        last = report.head.notification_id if report.head else 0
        out.print(f"intact: {report.count} events; the chain and signatures prove")
        raise fail(_digest_mismatch(database, expect, last))
    head = report.head or chain.Digest(0, chain.GENESIS.hex())
    out.print(f"intact: {report.count} events; head {head}")
    legacy = f"; {report.unsigned_prefix} recorded before signing began" * bool(
        report.unsigned_prefix
    )
    out.print(f"signatures: {report.signed} valid, by {len(report.trusted)} trusted key(s){legacy}")
    if report.newest_checkpoint is not None:
        out.print(
            f"checkpoints: {report.checkpoints_proven} proven; newest {report.newest_checkpoint}"
        )
    if expect is not None:
        out.print(f"digest {expect} proven")


def _digest_mismatch(database: Database, expect: chain.Digest, head: int) -> str:
    """Why a well-formed digest does not prove, and what to check."""
    check = "check that it was copied whole, from this store's `backoffice digest` output"
    if expect.notification_id > head:
        return (
            f"digest {expect.notification_id}:… names a position after this store's last event "
            f"({head}): {check}; if it was, events after {head} were removed"
        )
    with database.connect() as conn:
        row = conn.execute(
            "SELECT chain_hash FROM backoffice_events WHERE notification_id = %s",
            (expect.notification_id,),
        ).fetchone()
    actual = bytes(row[0]).hex() if row and row[0] is not None else ""
    at = next(
        (i for i, (a, b) in enumerate(zip(actual, expect.head_hash, strict=False)) if a != b), 0
    )
    return (
        f"digest does not match: at {expect.notification_id} the chain's hash is "
        f"{actual[:16]}…, the digest's {expect.head_hash[:16]}… (they differ from hex digit "
        f"{at + 1}); {check}"
    )


def digest(
    sign: Annotated[
        bool,
        typer.Option(help="Sign a checkpoint at the head, into the database and outside it."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Print the current (notification id, head hash) as ID:HASH; with --sign, prove the rows
    since the last checkpoint and record a signed checkpoint at the head."""
    settings = get_settings()
    key_id = None
    if not sign:
        found = chain.digest(connections(settings, create=False).service)
    else:
        runtime = _runtime()
        try:
            checkpoint = runtime.notary.take()
        except CheckpointRefused as exc:
            raise fail(str(exc)) from None
        finally:
            runtime.close()
        found = None
        if checkpoint is not None:
            found = chain.Digest(checkpoint.notification_id, checkpoint.chain_hash.hex())
            key_id = checkpoint.key_id
    found = found or chain.Digest(0, chain.GENESIS.hex())
    if as_json:
        emit_json(
            {
                "digest": str(found),
                "notification_id": found.notification_id,
                "hash": found.head_hash,
                "signed_by": key_id,
            }
        )
    else:
        out.print(str(found))
    if key_id is not None:
        err.print(
            f"signed checkpoint {found} by key {key_id}, kept in the database and in "
            f"{settings.checkpoint_directory}"
        )


def doctor(as_json: JsonFlag = False) -> None:
    """Check that the service's database role cannot rewrite the record, that the signing key
    is in place and published, and that checkpoints are being kept; exit 1 if anything fails."""
    settings = get_settings()
    found = connections(settings, create=False)
    checks = [
        Check(
            "the service and migrations log in as different roles",
            found.service_role is not None,
            "set MIGRATION_DATABASE_URL to the owner role" * (found.service_role is None),
        ),
        *inspect_service_role(found.service),
    ]
    keys = KeyStore(settings.key_directory)
    try:
        active = keys.active()
        checks.append(Check(f"signing key {active.key_id} readable by this user only", True))
        with found.service.connect() as conn:
            published = conn.execute(
                "SELECT 1 FROM backoffice_events WHERE originator_id = %s",
                (signing_key_id(active.key_id),),
            ).fetchone()
        checks.append(Check("the signing key is published in the store", bool(published)))
    except SigningKeyError as exc:
        checks.append(Check("signing key in place", False, str(exc)))
    directory = settings.checkpoint_directory
    writable = os.access(directory if directory.exists() else directory.parent, os.W_OK)
    checks.append(Check(f"checkpoints can be kept in {directory}", writable))
    latest = newest(in_database(found.service))
    checks.append(
        Check(
            "a signed checkpoint exists",
            latest is not None,
            str(latest) if latest else "run `backoffice digest --sign` or `serve`",
        )
    )
    if as_json:
        emit_json([{"check": c.name, "ok": c.ok, "detail": c.detail} for c in checks])
        if not all(c.ok for c in checks):
            raise typer.Exit(1)
        return
    grid = table("", "check", "detail")
    for c in checks:
        grid.add_row("[green]✓[/green]" if c.ok else "[red]✗[/red]", c.name, c.detail)
    out.print(grid)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


def backup(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write (or resume).")],
) -> None:
    """Stream the record (events with hashes and signatures, idempotency rows, checkpoints,
    public keys) into compressed segments with a manifest and a signed head checkpoint;
    an interrupted backup run again resumes."""
    runtime = _runtime()
    try:
        keys = published_keys(runtime.app)
        with progress() as bar:
            task = bar.add_task("backing up", total=None)
            manifest = run_backup(
                runtime.database,
                out_dir,
                keys=keys,
                head_checkpoint=lambda position: runtime.notary.take(upto=position),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except (BackupError, CheckpointRefused) as exc:
        raise fail(str(exc)) from None
    finally:
        runtime.close()
    out.print(f"{manifest['events']} event(s) backed up to {out_dir}")
    if manifest["head_checkpoint"]:
        out.print(f"head checkpoint {manifest['head']['notification_id']} signed")


def restore(
    directory: Annotated[Path, typer.Argument(help="A backup written by `backup`.")],
    keys: KeysOption = None,
    trust_backup_keys: Annotated[
        bool,
        typer.Option(help="With no key of your own, trust the backup's first key on first use."),
    ] = False,
) -> None:
    """Load a backup into an empty database, proving every row (chain, signature, the
    database's own hash) and refusing at the first that does not; then rebuild every read
    model."""
    settings = get_settings()
    anchors = _anchors(keys)
    if not anchors and not trust_backup_keys:
        raise fail("no trusted key: pass --keys, or --trust-backup-keys", 2)
    found = connections(settings)
    migrate(found.admin, service_role=found.service_role)
    try:
        with progress() as bar:
            task = bar.add_task("restoring", total=None)
            restored = run_restore(
                found.admin,
                directory,
                anchors=anchors,
                decode=state_decoder(settings.cipher_key),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except RestoreRefused as exc:
        raise fail(f"restore refused: {exc}") from None
    out.print(
        f"{restored.events} event(s) proven ({restored.inserted} loaded, {restored.signed} "
        f"signed), {restored.checkpoints_proven} checkpoint(s) proven; head {restored.head}"
    )
    runtime = _runtime()
    try:
        with progress() as bar:
            names = list(runtime.runner.views)
            tasks = {n: bar.add_task(f"rebuilding {n}", total=restored.head) for n in names}

            def report(name: str, position: int, head: int) -> None:
                bar.update(tasks[name], completed=position, total=head)

            # One pass over the restored log for every read model (each event decoded once).
            rebuild_together(runtime.runner, names, report, resume=False)
    finally:
        runtime.close()
    out.print("read models rebuilt")


cli.command()(verify)
cli.command()(digest)
cli.command()(doctor)
cli.command()(backup)
cli.command()(restore)
