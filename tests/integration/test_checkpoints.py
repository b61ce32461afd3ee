"""Signed checkpoints, in the database and in an append-only directory outside it: a truncated
tail or a history rewritten with recomputed hashes is found without a hand-kept digest."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.checkpoints import Checkpoint, CheckpointRefused, DirectoryStore, Scheduler, in_database
from api.database import Database
from api.integrity import state_decoder
from api.rest.health import health_report
from api.runtime import Runtime
from api.signing import ActiveKey
from api.verification import Notary
from tests.integration.test_signatures import RECOMPUTE_CHAIN, as_superuser, seed, verify


def test_a_checkpoint_is_signed_into_the_database_and_a_read_only_file_outside(
    runtime: Runtime,
) -> None:
    seed(runtime)
    checkpoint = runtime.notary.take()
    assert checkpoint is not None and checkpoint.notification_id == 3
    assert in_database(runtime.database) == [checkpoint]
    [path] = runtime.settings.checkpoint_directory.glob("*/*.json")
    assert path.stat().st_mode & 0o777 == 0o444
    assert Checkpoint.from_json(json.loads(path.read_text())) == checkpoint
    assert checkpoint.verifies(runtime.keys.active().public_key)
    assert runtime.notary.take() == checkpoint  # nothing new: nothing signed


def test_the_newest_events_removed_after_a_checkpoint_are_found(
    runtime: Runtime, database: Database
) -> None:
    for _ in range(3):
        seed(runtime)
    checkpoint = runtime.notary.take()
    assert checkpoint is not None
    as_superuser(
        database,
        "DELETE FROM backoffice_events WHERE notification_id > 2",
        "DELETE FROM backoffice_event_signatures WHERE notification_id > 2",
        "DELETE FROM backoffice_commands",
        "DELETE FROM backoffice_checkpoints",
    )
    texts = [p.text for p in verify(runtime).problems]
    assert any("is beyond the head of the store (2): events were removed" in t for t in texts)
    assert any("kept outside the database but was removed from it" in t for t in texts)


def test_a_history_rewritten_with_recomputed_hashes_differs_from_the_checkpoint(
    runtime: Runtime, database: Database
) -> None:
    seed(runtime)
    assert runtime.notary.take() is not None
    as_superuser(
        database,
        "UPDATE backoffice_events SET state = convert_to(replace(convert_from(state, 'UTF8'),"
        " 'trader', 'admin'), 'UTF8') WHERE notification_id = 2",
        RECOMPUTE_CHAIN,
    )
    texts = [str(p) for p in verify(runtime).problems]
    assert any(
        t.startswith("notification id 3: the chain differs from checkpoint 3") for t in texts
    )


def test_a_checkpoint_forged_outside_the_database_is_found(runtime: Runtime) -> None:
    seed(runtime)
    real = runtime.notary.take()
    assert real is not None
    rogue = ActiveKey("ed25519:0123456789abcdef", Ed25519PrivateKey.generate())
    forged = Checkpoint.sign(rogue, 2, b"\0" * 32, datetime.now(UTC))
    DirectoryStore(runtime.settings.checkpoint_directory).append(forged)
    texts = [p.text for p in verify(runtime).problems]
    assert any("which is not trusted" in t for t in texts)


def test_the_notary_will_not_sign_over_a_rewritten_history(
    runtime: Runtime, database: Database
) -> None:
    seed(runtime)
    assert runtime.notary.take() is not None
    seed(runtime)
    as_superuser(
        database,
        "UPDATE backoffice_events SET state = convert_to(replace(convert_from(state, 'UTF8'),"
        " 'trader', 'admin'), 'UTF8') WHERE notification_id = 4",
        RECOMPUTE_CHAIN,
    )
    # A fresh notary (as after a restart) resumes from the newest checkpoint it signed.
    notary = Notary(
        runtime.database,
        runtime.keys,
        DirectoryStore(runtime.settings.checkpoint_directory),
        state_decoder(None),
        lambda: datetime.now(UTC),
    )
    with pytest.raises(CheckpointRefused, match="notification id 4"):
        notary.take()


def test_checkpoints_are_signed_on_a_schedule(runtime: Runtime) -> None:
    seed(runtime)
    scheduler = Scheduler(runtime.notary.take, 0.05)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while not in_database(runtime.database) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.stop()
    assert in_database(runtime.database)
    assert verify(runtime).checkpoints_proven >= 1


def test_a_refused_scheduled_checkpoint_turns_health_to_failing(runtime: Runtime) -> None:
    runtime.checkpoints = Scheduler(runtime.notary.take, 0)
    assert health_report(runtime)[0]
    runtime.checkpoints.error = CheckpointRefused("the record does not prove")
    healthy, report = health_report(runtime)
    assert not healthy and "does not prove" in report["checkpoints"]
