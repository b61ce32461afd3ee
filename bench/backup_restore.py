"""Backup and restore of the event store, in events per second each way, beside a plain
``pg_dump -t backoffice_events`` / ``psql`` copy of the same table in the same run.

Our backup streams every row with its hash, signature and idempotency row into gzip'd JSON
Lines; our restore proves each row (chain hash, Ed25519 signature, the trigger's own hash)
while loading it through the chaining trigger. The baseline copies bytes and proves nothing.
pg_dump/psql are taken from a PostgreSQL installation of the server's major version (the
pgserver wheel's for the embedded server); when none is found, the baseline is COPY TO/FROM
STDOUT through psycopg, and the output says so.

Runs on scratch databases of the server in DATABASE_URL, else the embedded one under
BACKOFFICE_HOME.  Usage: python -m bench.backup_restore [EVENTS]   (default 2000, a smoke size)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from psycopg import sql

from api.backup import backup
from api.database import Database
from api.integrity import state_decoder
from api.migrate import migrate
from api.restore import restore
from api.roles import connections
from api.runtime import open_runtime
from api.settings import get_settings
from api.signing import published_keys
from bench.harness import Figure, Results
from domain.envelope import SYSTEM_ACTOR
from domain.staff import Staff


@contextmanager
def scratch(server: Database, label: str) -> Iterator[Database]:
    """A new, empty database, dropped afterwards."""
    name = f"bo_bench_{label}_{uuid.uuid4().hex[:8]}"
    with server.connect() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.with_dbname(name)
    finally:
        with server.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def timed(label: str, n: int, fn: Callable[[], object]) -> float:
    """Run ``fn`` once; print and return events per second."""
    start = time.perf_counter()
    fn()
    per_second = n / (time.perf_counter() - start)
    print(f"{label:<58} {per_second:>9.0f} events/s")
    return per_second


def client_binaries(server: Database) -> Path | None:
    """A bin directory whose pg_dump and psql match the server's major version."""
    with server.connect() as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    major = int(row[0]) // 10000 if row else 0
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    try:
        import pgserver  # the embedded server's own binaries

        candidates.insert(0, Path(pgserver.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    found = shutil.which("pg_dump")
    if found:
        candidates.append(Path(found).parent)
    for directory in candidates:
        pg_dump = directory / "pg_dump"
        if pg_dump.exists() and (directory / "psql").exists():
            version = subprocess.run(
                [str(pg_dump), "--version"], capture_output=True, text=True, check=False
            ).stdout
            if f" {major}." in version:
                return directory
    return None


def seed(database: Database, events: int) -> None:
    """``events`` signed events through the application, many per transaction."""
    settings = get_settings()
    runtime = open_runtime(settings, database=database, run_migrations=False)
    try:
        envelope = runtime.context(SYSTEM_ACTOR, reason="bench").envelope("system", "HQ")
        written = runtime.runner.head()
        while written < events:
            batch = []
            # 200 events a save: a save of ~1,000 events hangs in the library's psycopg
            # pipeline on the embedded server's unix socket (main has the same; TCP does not).
            for _ in range(4):
                sid = uuid.uuid4()
                staff = Staff._create(
                    Staff.Registered,
                    envelope=envelope,
                    staff_id=sid,
                    name="Bench",
                    branch="SH01",
                    roles=["trader"],
                )
                for i in range(49):
                    change = Staff.RoleGranted if i % 2 == 0 else Staff.RoleRevoked
                    staff.trigger_event(change, envelope=envelope, role="risk")
                batch.append(staff)
            runtime.app.save(*batch)
            written += 200
            print(f"\rseeding: {written}/{events}", end="", file=sys.stderr)
        print(file=sys.stderr)
    finally:
        runtime.close()


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("events", type=int, nargs="?", default=2000)
    events = parser.parse_args(argv).events
    settings = get_settings()
    server = connections(settings).admin
    binaries = client_binaries(server)
    with scratch(server, "src") as source, tempfile.TemporaryDirectory() as tmp:
        migrate(source)
        seed(source, events)
        runtime = open_runtime(settings, database=source, run_migrations=False)
        n = runtime.runner.head()
        keys = runtime.keys.public_keys()
        out = Path(tmp) / "backup"
        # What the scheduled checkpoints do as the store grows, here once over all of it: the
        # backup then signs its head checkpoint without proving the rows again.
        timed("verify: chain and every signature (first checkpoint)", n, runtime.notary.take)
        ours_out = timed(
            "backoffice backup (rows, hashes, signatures, gzip)",
            n,
            lambda: backup(
                source,
                out,
                keys=published_keys(runtime.app),
                head_checkpoint=lambda p: runtime.notary.take(upto=p),
            ),
        )
        runtime.close()
        size = sum(p.stat().st_size for p in out.iterdir())
        with scratch(server, "dst") as target:
            migrate(target)
            ours_in = timed(
                "backoffice restore (proving chain and signatures)",
                n,
                lambda: restore(target, out, anchors=keys, decode=state_decoder(None)),
            )
        dump = Path(tmp) / "events.sql"
        with scratch(server, "copy") as target:
            if binaries is not None:
                what = f"pg_dump/psql from {binaries}"
                base_out = timed(
                    "plain pg_dump -t backoffice_events",
                    n,
                    lambda: subprocess.run(
                        [
                            str(binaries / "pg_dump"),
                            "-t",
                            "backoffice_events",
                            "-f",
                            str(dump),
                            "-d",
                            source.url,
                        ],
                        check=True,
                    ),
                )
                base_in = timed(
                    "plain psql restore of that dump (no triggers, no proof)",
                    n,
                    lambda: subprocess.run(
                        [
                            str(binaries / "psql"),
                            "-q",
                            "-o",
                            "/dev/null",
                            "-d",
                            target.url,
                            "-f",
                            str(dump),
                        ],
                        check=True,
                        stderr=subprocess.DEVNULL,
                    ),
                )
            else:
                what = "COPY TO/FROM STDOUT via psycopg (no pg_dump of the server's version)"
                base_out = timed(
                    "COPY backoffice_events TO STDOUT", n, lambda: copy_out(source, dump)
                )
                base_in = timed(
                    "COPY FROM STDIN into a bare table", n, lambda: copy_in(target, dump)
                )
        print(
            f"\nbaseline: {what}; backup {size / 1e6:.1f} MB, plain dump "
            f"{dump.stat().st_size / 1e6:.1f} MB"
        )
        print(f"backup / pg_dump   = {ours_out / base_out:.2f}")
        print(f"restore / psql     = {ours_in / base_in:.2f}")
        results = Results("backup_restore", {"events": n, "baseline": what})
        results.add(Figure("backup", ours_out, "events/s", "pg_dump", base_out, "(context)"))
        results.add(Figure("restore", ours_in, "events/s", "psql_restore", base_in, "(context)"))
        return results.print()


def copy_out(source: Database, path: Path) -> None:
    """The baseline without pg_dump: the table's rows as COPY text."""
    with source.connect() as conn, path.open("wb") as f:
        with conn.cursor().copy("COPY backoffice_events TO STDOUT") as copy:
            for chunk in copy:
                f.write(chunk)


def copy_in(target: Database, path: Path) -> None:
    """Load COPY text into a bare table of the same columns."""
    with target.connect() as conn:
        conn.execute(
            "CREATE TABLE backoffice_events (originator_id uuid, originator_version bigint,"
            " topic text, state bytea, notification_id bigint, chain_hash bytea)"
        )
        with conn.cursor().copy("COPY backoffice_events FROM STDIN") as copy, path.open("rb") as f:
            while chunk := f.read(1 << 20):
                copy.write(chunk)


if __name__ == "__main__":
    main()
