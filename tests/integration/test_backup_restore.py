"""Backups stream the record with its hashes and signatures and resume when interrupted;
a restore proves every row and refuses a tampered backup, naming the row."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from api.backup import backup, read_lines
from api.chain import GENESIS, row_hash
from api.database import Database
from api.integrity import state_decoder
from api.migrate import migrate
from api.restore import RestoreRefused, restore
from api.runtime import Runtime
from api.signing import published_keys
from tests.integration.test_signatures import seed


def take_backup(rt: Runtime, out: Path, **kw: Any) -> dict[str, Any]:
    return backup(
        rt.database,
        out,
        keys=published_keys(rt.app),
        head_checkpoint=lambda position: rt.notary.take(upto=position),
        **kw,
    )


def load(rt: Runtime, target: Database, source: Path) -> int:
    migrate(target)
    restored = restore(
        target, source, anchors=rt.keys.public_keys(), decode=state_decoder(None), batch=3
    )
    return restored.head


def rewrite(source: Path, segment: int, change: Any, fix_manifest: bool = True) -> None:
    """Edit the rows of one segment as an attacker would, keeping the file well-formed."""
    manifest = json.loads((source / "manifest.json").read_text())
    entry = manifest["segments"][segment]
    path = source / entry["file"]
    lines = [change(line) or line for line in read_lines(path)]
    path.write_bytes(
        gzip.compress(b"".join(json.dumps(x).encode() + b"\n" for x in lines), mtime=0)
    )
    if fix_manifest:
        entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        (source / "manifest.json").write_text(json.dumps(manifest))


def test_a_backup_holds_every_row_with_its_hash_signature_and_idempotency_row(
    runtime: Runtime, tmp_path: Path
) -> None:
    for _ in range(3):
        seed(runtime)
    manifest = take_backup(runtime, tmp_path / "b", segment_rows=4)
    assert manifest["events"] == 7 and len(manifest["segments"]) == 2
    assert manifest["head"]["notification_id"] == 7
    assert manifest["head_checkpoint"]["notification_id"] == 7
    assert [k["key_id"] for k in manifest["keys"]] == [runtime.keys.current_id()]
    rows = [r for s in manifest["segments"] for r in read_lines(tmp_path / "b" / s["file"])]
    assert [r["notification_id"] for r in rows] == list(range(1, 8))
    assert all(r["signature"] and r["key_id"] for r in rows)
    assert rows[1]["command"]["command"] == "register_staff"
    assert not (tmp_path / "b" / "progress.json").exists()


def test_an_interrupted_backup_resumes_after_its_last_finished_segment(
    runtime: Runtime, tmp_path: Path
) -> None:
    for _ in range(3):
        seed(runtime)
    calls: list[int] = []

    def crash(done: int, _total: int) -> None:
        calls.append(done)
        if done >= 2 and len(calls) < 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        take_backup(runtime, tmp_path / "b", segment_rows=2, progress=crash)
    finished = json.loads((tmp_path / "b" / "progress.json").read_text())["segments"]
    assert [s["last"] for s in finished] == [2]
    manifest = take_backup(runtime, tmp_path / "b", segment_rows=2)
    assert [s["first"] for s in manifest["segments"]] == [1, 3, 5, 7]
    assert manifest["segments"][0]["sha256"] == finished[0]["sha256"]


def test_a_restore_proves_and_loads_every_row(
    runtime: Runtime, empty_database: Database, tmp_path: Path
) -> None:
    for _ in range(3):
        seed(runtime)
    take_backup(runtime, tmp_path / "b", segment_rows=4)
    assert load(runtime, empty_database, tmp_path / "b") == 7
    with empty_database.connect() as conn, runtime.database.connect() as live:
        query = (
            "SELECT e.*, s.key_id, s.signature, s.idempotency_key FROM backoffice_events e"
            " JOIN backoffice_event_signatures s USING (notification_id) ORDER BY 1"
        )
        assert conn.execute(query).fetchall() == live.execute(query).fetchall()
        commands = "SELECT idempotency_key, command, aggregate_version FROM backoffice_commands"
        assert sorted(conn.execute(commands).fetchall()) == sorted(
            live.execute(commands).fetchall()
        )
        # The next append continues the sequence after the restored head.
        assert conn.execute(
            "SELECT nextval('backoffice_events_notification_id_seq')"
        ).fetchone() == (8,)
        # A bulk load: the planner has the store's statistics at once.
        assert conn.execute(
            "SELECT count(*) FROM pg_stats WHERE tablename = 'backoffice_events'"
        ).fetchone() > (0,)


def test_a_restore_refuses_a_row_whose_bytes_were_changed_naming_it(
    runtime: Runtime, empty_database: Database, tmp_path: Path
) -> None:
    seed(runtime)
    take_backup(runtime, tmp_path / "b")

    def edit(line: dict[str, Any]) -> None:
        if line["notification_id"] == 2:
            state = base64.b64decode(line["state"]).replace("王芳".encode(), "李四".encode())
            line["state"] = base64.b64encode(state).decode()

    rewrite(tmp_path / "b", 0, edit)
    with pytest.raises(RestoreRefused, match="notification id 2: chain hash does not match"):
        load(runtime, empty_database, tmp_path / "b")
    with empty_database.connect() as conn:
        assert conn.execute("SELECT count(*) FROM backoffice_events").fetchone() == (0,)


def test_a_restore_refuses_a_rewrite_with_recomputed_hashes_by_its_signature(
    runtime: Runtime, empty_database: Database, tmp_path: Path
) -> None:
    seed(runtime)
    take_backup(runtime, tmp_path / "b")
    previous = GENESIS

    def edit(line: dict[str, Any]) -> None:
        nonlocal previous
        state = base64.b64decode(line["state"])
        if line["notification_id"] == 2:
            state = state.replace("王芳".encode(), "李四".encode())
            line["state"] = base64.b64encode(state).decode()
        import uuid

        previous = row_hash(
            previous,
            line["notification_id"],
            uuid.UUID(line["originator_id"]),
            line["originator_version"],
            line["topic"],
            state,
        )
        line["chain_hash"] = previous.hex()

    rewrite(tmp_path / "b", 0, edit)
    with pytest.raises(RestoreRefused, match="notification id 2: signature does not match"):
        load(runtime, empty_database, tmp_path / "b")


def test_a_restore_refuses_a_segment_that_does_not_match_the_manifest(
    runtime: Runtime, empty_database: Database, tmp_path: Path
) -> None:
    seed(runtime)
    take_backup(runtime, tmp_path / "b")
    rewrite(tmp_path / "b", 0, lambda line: None, fix_manifest=False)
    with pytest.raises(RestoreRefused, match="events-000001.jsonl.gz does not match its SHA-256"):
        load(runtime, empty_database, tmp_path / "b")


def test_an_interrupted_restore_resumes_from_what_it_loaded(
    runtime: Runtime, empty_database: Database, tmp_path: Path
) -> None:
    seed(runtime)
    take_backup(runtime, tmp_path / "early")
    seed(runtime)
    take_backup(runtime, tmp_path / "late")
    assert load(runtime, empty_database, tmp_path / "early") == 3
    assert load(runtime, empty_database, tmp_path / "late") == 5
    with empty_database.connect() as conn:
        assert conn.execute("SELECT count(*) FROM backoffice_events").fetchone() == (5,)


def test_a_restore_into_a_database_with_other_events_is_refused(
    runtime: Runtime, empty_database: Database, tmp_path: Path
) -> None:
    seed(runtime)
    take_backup(runtime, tmp_path / "b")
    migrate(empty_database)
    with empty_database.connect() as conn:  # a different history in the target
        conn.execute(
            "INSERT INTO backoffice_events (originator_id, originator_version, topic, state)"
            " VALUES (gen_random_uuid(), 1, 'other:Event', '\\x7b7d')"
        )
    with pytest.raises(RestoreRefused, match="not this backup's row"):
        load(runtime, empty_database, tmp_path / "b")
