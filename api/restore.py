"""Restore a backup written by ``api.backup`` into an empty (migrated) database, proving every
row as it goes — its chain link, its signature under a trusted key, the hash the database's
own trigger computes for it — and refusing, with the row's notification id, at the first one
that does not prove. Nothing of a refused batch is kept.

Rows go in through the chaining trigger like any append, in batches of one transaction each.
A restore that stopped half-way resumes: the rows already in the database must be exactly
the backup's first rows (the head's hash is compared), and are proven again, not re-inserted.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from api.backup import FORMAT, read_lines, sha256_file
from api.chain import GENESIS
from api.checkpoints import Checkpoint
from api.database import Database
from api.integrity import Decoder, KeyTrust, Report, StoredRow, Walker, prove_checkpoints
from api.roles import EVENTS_SEQUENCE


class RestoreRefused(RuntimeError):
    """The backup does not prove; the message names the file or the row."""


@dataclass(frozen=True)
class Restored:
    """What a restore loaded and proved."""

    events: int
    inserted: int
    signed: int
    checkpoints_proven: int
    head: int


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def _row(line: dict[str, Any]) -> StoredRow:
    command = line.get("command")
    return StoredRow(
        int(line["notification_id"]),
        UUID(line["originator_id"]),
        int(line["originator_version"]),
        line["topic"] or "",
        _unb64(line["state"]) or b"",
        bytes.fromhex(line["chain_hash"]),
        line["key_id"],
        _unb64(line["signature"]),
        line["idempotency_key"],
        None
        if command is None
        else (
            command["command"],
            UUID(command["actor"]),
            UUID(command["aggregate_id"]),
            int(command["aggregate_version"]),
        ),
    )


def read_manifest(source: Path) -> dict[str, Any]:
    """The backup's manifest (refused if the backup is unfinished or of another format)."""
    path = source / "manifest.json"
    if not path.exists():
        raise RestoreRefused(f"{source} has no manifest.json: the backup did not finish")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(f"{path} is not a {FORMAT} manifest")
    return manifest


def _checked(source: Path, entry: dict[str, Any]) -> Path:
    path: Path = source / str(entry["file"])
    if not path.exists():
        raise RestoreRefused(f"{entry['file']} is missing")
    if sha256_file(path) != entry["sha256"]:
        raise RestoreRefused(f"{entry['file']} does not match its SHA-256 in the manifest")
    return path


class _Loader:
    """Inserts proven rows in batches and compares the hashes the trigger computed."""

    def __init__(self, conn: psycopg.Connection[Any], batch: int) -> None:
        self.conn = conn
        self.batch = batch
        self.rows: list[tuple[StoredRow, dict[str, Any]]] = []
        self.inserted = 0

    def add(self, row: StoredRow, line: dict[str, Any]) -> None:
        self.rows.append((row, line))
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with self.conn.transaction(), self.conn.cursor() as curs:
            with curs.copy(
                "COPY backoffice_events"
                " (notification_id, originator_id, originator_version, topic, state) FROM STDIN"
            ) as copy:
                for r, _ in self.rows:
                    copy.write_row((r.nid, r.originator_id, r.version, r.topic, r.state))
            with curs.copy(
                "COPY backoffice_event_signatures"
                " (notification_id, key_id, signature, idempotency_key) FROM STDIN"
            ) as copy:
                for r, _ in self.rows:
                    if r.signature is not None:
                        copy.write_row((r.nid, r.key_id, r.signature, r.idempotency_key))
            with curs.copy(
                "COPY backoffice_commands (idempotency_key, command, actor, aggregate_id,"
                " aggregate_version, recorded_at) FROM STDIN"
            ) as copy:
                for r, line in self.rows:
                    c = line.get("command")
                    if c is not None:
                        copy.write_row(
                            (
                                r.idempotency_key,
                                c["command"],
                                c["actor"],
                                c["aggregate_id"],
                                c["aggregate_version"],
                                datetime.fromisoformat(c["recorded_at"]),
                            )
                        )
            curs.execute(
                "SELECT notification_id, chain_hash FROM backoffice_events"
                " WHERE notification_id BETWEEN %s AND %s ORDER BY notification_id",
                (self.rows[0][0].nid, self.rows[-1][0].nid),
            )
            computed = {n: bytes(h) for n, h in curs.fetchall()}
            for r, _ in self.rows:
                if computed.get(r.nid) != r.stored:
                    raise RestoreRefused(
                        f"notification id {r.nid}: the database computes another chain hash"
                    )
        self.inserted += len(self.rows)
        self.rows = []


def _events(source: Path, manifest: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in manifest["segments"]:
        yield from read_lines(_checked(source, entry))


def restore(
    admin: Database,
    source: Path,
    *,
    anchors: Mapping[str, bytes],
    decode: Decoder,
    progress: Callable[[int, int], None] = lambda _d, _t: None,
    batch: int = 2000,
) -> Restored:
    """Load the backup in ``source`` into ``admin``'s (migrated) database, proving each row."""
    manifest = read_manifest(source)
    total = int(manifest["events"])
    kept = [Checkpoint.from_json(c) for c in read_lines(_checked(source, manifest["checkpoints"]))]
    if manifest.get("head_checkpoint"):
        kept.append(Checkpoint.from_json(manifest["head_checkpoint"]))
    report = Report()
    trust = KeyTrust(anchors)
    walker = Walker(
        report,
        trust,
        decode,
        GENESIS,
        signing_began=False,
        watch={c.notification_id for c in kept},
    )
    with admin.connect() as conn:
        found = conn.execute(
            "SELECT notification_id, chain_hash FROM backoffice_events"
            " ORDER BY notification_id DESC LIMIT 1"
        ).fetchone()
        present = (found[0], bytes(found[1])) if found else None
        loader = _Loader(conn, batch)
        done = 0
        for line in _events(source, manifest):
            row = _row(line)
            before = len(report.problems)
            walker.row(row)
            if len(report.problems) > before:
                raise RestoreRefused(str(report.problems[before]))
            done += 1
            if present is not None and row.nid <= present[0]:
                if row.nid == present[0] and row.stored != present[1]:
                    raise RestoreRefused(
                        f"the database is not empty and its head {present[0]} is not this "
                        "backup's row there"
                    )
            else:
                loader.add(row, line)
            if done % 1000 == 0:
                progress(done, total)
        walker.finish()
        if report.problems:
            raise RestoreRefused(str(report.problems[0]))
        if present is not None and (
            report.head is None or report.head.notification_id < present[0]
        ):
            raise RestoreRefused("the database holds events this backup does not have")
        loader.flush()
        progress(done, total)
        prove_checkpoints(report, trust, kept, walker.hash_at)
        if report.problems:
            raise RestoreRefused(str(report.problems[0]))
        _finish(conn, source, manifest, report, kept)
    admin.analyze()  # a bulk load: the planner's statistics now, not some day
    return Restored(
        done,
        loader.inserted,
        report.signed,
        report.checkpoints_proven,
        report.head.notification_id if report.head else 0,
    )


def _finish(
    conn: psycopg.Connection[Any],
    source: Path,
    manifest: dict[str, Any],
    report: Report,
    kept: list[Checkpoint],
) -> None:
    """The sequence, the idempotency rows no event is bound to, and the checkpoints table."""
    with conn.transaction():
        if report.head is not None:
            conn.execute(
                f"SELECT setval(%s, greatest(%s, (SELECT last_value FROM {EVENTS_SEQUENCE})))",
                (EVENTS_SEQUENCE, report.head.notification_id),
            )
        for c in read_lines(_checked(source, manifest["commands"])):
            event = conn.execute(
                "SELECT notification_id FROM backoffice_events"
                " WHERE originator_id = %s AND originator_version = %s",
                (c["aggregate_id"], c["aggregate_version"]),
            ).fetchone()
            if event is None or event[0] > report.legacy_until:
                raise RestoreRefused(
                    f"idempotency row {c['idempotency_key']!r} is vouched for by no signed event"
                )
            conn.execute(
                "INSERT INTO backoffice_commands (idempotency_key, command, actor, aggregate_id,"
                " aggregate_version, recorded_at) VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (
                    c["idempotency_key"],
                    c["command"],
                    c["actor"],
                    c["aggregate_id"],
                    c["aggregate_version"],
                    datetime.fromisoformat(c["recorded_at"]),
                ),
            )
        for cp in kept:
            conn.execute(
                "INSERT INTO backoffice_checkpoints"
                " (notification_id, chain_hash, recorded_at, key_id, signature)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (cp.notification_id, cp.chain_hash, cp.recorded_at, cp.key_id, cp.signature),
            )
