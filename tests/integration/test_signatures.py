"""Every event is signed by the application with a key the database never holds: rewrites done
as a true superuser — a forged append, an edit with the chain recomputed, a stripped
idempotency table, a dropped trigger — are found by `verify` without a hand-kept digest."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api import chain
from api.checkpoints import DirectoryStore
from api.database import Database
from api.integrity import Report, state_decoder, walk
from api.roles import service_database
from api.runtime import Runtime, open_runtime
from api.settings import Settings
from api.signing import KeyStore, SigningKeyError, event_message, load_keyring
from api.store import open_application
from api.verification import verify_record
from domain.access import Role
from domain.envelope import SYSTEM_ACTOR
from domain.staff import GrantRole, RegisterStaff, Staff
from tests.conftest import run

RECOMPUTE_CHAIN = """
DO $$ DECLARE r record; prev bytea := '\\x' || repeat('00', 32); BEGIN
  FOR r IN SELECT * FROM backoffice_events ORDER BY notification_id LOOP
    UPDATE backoffice_events SET chain_hash = backoffice_chain_hash(prev, r.notification_id,
        r.originator_id, r.originator_version, r.topic, r.state)
      WHERE notification_id = r.notification_id RETURNING chain_hash INTO prev;
  END LOOP;
END $$;
"""


def as_superuser(database: Database, *statements: str) -> None:
    """What someone holding the database's own admin rights can do: bypass every trigger."""
    with database.connect() as conn:
        conn.execute("SET session_replication_role = replica")
        for statement in statements:
            conn.execute(statement)


def verify(rt: Runtime, keyring: dict[str, bytes] | None = None) -> Report:
    """`backoffice verify` as the service's host runs it (its own keys are the anchors)."""
    return verify_record(
        rt.database,
        anchors=keyring if keyring is not None else rt.keys.public_keys(),
        decode=state_decoder(rt.settings.cipher_key),
        store=DirectoryStore(rt.settings.checkpoint_directory),
    )


def seed(rt: Runtime) -> uuid.UUID:
    sid = uuid.uuid4()
    run(
        rt,
        RegisterStaff(staff_id=sid, name="王芳", branch="SH01", roles=[Role.TRADER]),
        key=f"r-{sid}",
    )
    run(rt, GrantRole(staff_id=sid, role=Role.RISK), key=f"g-{sid}")
    return sid


def test_every_event_written_is_signed_and_verify_proves_it(runtime: Runtime) -> None:
    seed(runtime)
    report = verify(runtime)
    assert report.intact, report.problems
    assert report.signed == report.count == 3


def test_verify_reads_in_pages_and_proves_the_same_across_their_edges(runtime: Runtime) -> None:
    for _ in range(3):
        seed(runtime)
    whole = walk(
        runtime.database,
        anchors=runtime.keys.public_keys(),
        decode=state_decoder(runtime.settings.cipher_key),
    )
    seen: list[int] = []
    paged = walk(
        runtime.database,
        anchors=runtime.keys.public_keys(),
        decode=state_decoder(runtime.settings.cipher_key),
        batch=2,
        progress=seen.append,
    )
    assert whole.intact and paged.intact, paged.problems
    assert whole.count == whole.signed == 7  # the key's publication and three members' two
    assert (paged.count, paged.signed, paged.head) == (whole.count, whole.signed, whole.head)
    assert seen[-1] == 7  # the last count is always reported, however throttled
    assert chain.verify(runtime.database, batch=2) == chain.verify(runtime.database)


def test_a_forged_append_through_the_chaining_trigger_is_found(
    runtime: Runtime, database: Database
) -> None:
    sid = seed(runtime)
    with database.connect() as conn:  # chained by the trigger like any insert
        conn.execute(
            "INSERT INTO backoffice_events (originator_id, originator_version, topic, state)"
            " SELECT originator_id, 3, topic,"
            "  convert_to(replace(convert_from(state, 'UTF8'), '\"risk\"', '\"admin\"'), 'UTF8')"
            " FROM backoffice_events WHERE originator_id = %s AND originator_version = 2",
            (sid,),
        )
    assert runtime.app.get(Staff, sid).roles == ["admin", "risk", "trader"]
    report = verify(runtime)
    assert [(p.notification_id, p.text) for p in report.problems] == [(4, "event is not signed")]


def test_a_forged_append_signed_with_a_key_of_ones_own_is_not_trusted(
    runtime: Runtime, database: Database
) -> None:
    seed(runtime)
    rogue = Ed25519PrivateKey.generate()
    with database.connect() as conn:
        nid, oid, version, topic, state, chained = conn.execute(
            "INSERT INTO backoffice_events (originator_id, originator_version, topic, state)"
            " SELECT %s, 1, topic, state FROM backoffice_events WHERE notification_id = 2"
            " RETURNING notification_id, originator_id, originator_version, topic, state,"
            " chain_hash",
            (uuid.uuid4(),),
        ).fetchone()
        key_id = "ed25519:0123456789abcdef"
        message = event_message(
            key_id, nid, oid, version, topic, bytes(state), bytes(chained), None
        )
        conn.execute(
            "INSERT INTO backoffice_event_signatures VALUES (%s, %s, %s, NULL)",
            (nid, key_id, rogue.sign(message)),
        )
    problems = [str(p) for p in verify(runtime).problems]
    assert problems == [f"notification id {nid}: signed with key {key_id}, which is not trusted"]


def test_an_edit_with_the_chain_recomputed_by_the_schemas_own_function_is_found(
    runtime: Runtime, database: Database
) -> None:
    seed(runtime)
    as_superuser(
        database,
        "UPDATE backoffice_events SET state = convert_to(replace(convert_from(state, 'UTF8'),"
        " '王芳', '李四'), 'UTF8') WHERE notification_id = 2",
        RECOMPUTE_CHAIN,
    )
    report = verify(runtime)
    assert not [p for p in report.problems if "chain hash" in p.text]  # the chain holds…
    # …but the signatures of the edited row and of every row chained after it do not.
    assert [(p.notification_id, p.text) for p in report.problems] == [
        (2, "signature does not match the row"),
        (3, "signature does not match the row"),
    ]


def test_stripping_the_idempotency_rows_is_found(runtime: Runtime, database: Database) -> None:
    seed(runtime)
    as_superuser(database, "TRUNCATE backoffice_commands")
    problems = {(p.notification_id, p.text.split(" ")[0]) for p in verify(runtime).problems}
    assert problems == {(2, "idempotency"), (3, "idempotency")}


def test_an_idempotency_row_added_behind_the_services_back_is_found(
    runtime: Runtime, database: Database
) -> None:
    sid = seed(runtime)
    with database.connect() as conn:
        conn.execute(
            "INSERT INTO backoffice_commands"
            " (idempotency_key, command, actor, aggregate_id, aggregate_version)"
            " VALUES ('forged', 'grant_role', %s, %s, 2)",
            (uuid.uuid4(), sid),
        )
    assert [str(p) for p in verify(runtime).problems] == [
        "notification id 3: idempotency row 'forged' is vouched for by no signed event"
    ]


def test_a_dropped_protective_trigger_is_reported(runtime: Runtime, database: Database) -> None:
    seed(runtime)
    as_superuser(database, "DROP TRIGGER backoffice_commands_no_truncate ON backoffice_commands")
    assert [str(p) for p in verify(runtime).problems] == [
        "trigger backoffice_commands_no_truncate on backoffice_commands is missing"
    ]


def test_a_key_published_by_someone_with_database_rights_is_not_trusted(
    runtime: Runtime, database: Database, tmp_path: Path
) -> None:
    seed(runtime)
    # Another service, with its own key, writing into the same store: its key's publication
    # is signed only by itself, which the real service's keys do not endorse.
    rogue_keys = KeyStore(tmp_path / "rogue")
    rogue_keys.set_current(rogue_keys.create())
    rogue = open_application(service_database(database), rogue_keys)
    try:
        rogue.execute(
            RegisterStaff(staff_id=uuid.uuid4(), name="X", branch="SH01", roles=[Role.ADMIN]),
            runtime.context(SYSTEM_ACTOR),
        )
    finally:
        rogue.close()
    problems = verify(runtime).problems
    assert problems and all("which is not trusted" in p.text for p in problems)


def test_a_rotated_key_is_followed_from_a_keyring_holding_only_the_first(
    runtime: Runtime, settings: Settings
) -> None:
    seed(runtime)
    first = runtime.keys.public_keys()
    from api.cli.keys import keys_rotate

    keys_rotate(lost=False)
    seed(runtime)
    assert len(runtime.keys.public_keys()) == 2
    report = verify(runtime, keyring=first)
    assert report.intact, report.problems
    assert len(report.trusted) == 2


def test_a_retired_key_signs_nothing_recorded_after_its_retirement(
    runtime: Runtime, database: Database, settings: Settings, tmp_path: Path
) -> None:
    from api.cli.keys import keys_retire, keys_rotate

    old = runtime.keys.current_id()
    assert old is not None
    keys_rotate(lost=False)
    keys_retire(old, reason="rotated out")
    stale = KeyStore(tmp_path / "stale")
    shutil.copytree(runtime.keys.directory, stale.directory)
    stale.set_current(old)
    app = open_application(service_database(database), stale)
    try:
        app.execute(
            RegisterStaff(staff_id=uuid.uuid4(), name="Y", branch="SH01", roles=[Role.RISK]),
            runtime.context(SYSTEM_ACTOR),
        )
    finally:
        app.close()
    problems = verify(runtime).problems
    assert len(problems) == 1 and "retired at notification id" in problems[0].text


def test_a_key_file_readable_by_others_is_refused(runtime: Runtime) -> None:
    key_id = runtime.keys.current_id()
    assert key_id is not None
    path = runtime.keys.directory / f"{key_id.replace(':', '-')}.pem"
    assert path.stat().st_mode & 0o777 == 0o600
    os.chmod(path, 0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        KeyStore(runtime.keys.directory).active()


def test_a_signed_store_refuses_to_start_without_its_keys(
    runtime: Runtime, settings: Settings, database: Database
) -> None:
    seed(runtime)
    shutil.rmtree(runtime.keys.directory)
    with pytest.raises(SigningKeyError, match="keys rotate --lost"):
        open_runtime(settings, database=service_database(database), run_migrations=False)


def test_events_recorded_before_signing_began_are_accepted_only_before_a_signed_key(
    settings: Settings, database: Database
) -> None:
    with database.connect() as conn:
        conn.execute(
            "INSERT INTO backoffice_events (originator_id, originator_version, topic, state)"
            " VALUES (%s, 1, 'legacy:Event', '\\x7b7d')",
            (uuid.uuid4(),),
        )
    rt = open_runtime(settings, database=service_database(database), run_migrations=False)
    try:
        seed(rt)
        report = verify(rt)
        assert report.intact and report.unsigned_prefix == 1
        with database.connect() as conn:  # an unsigned row after signing began is not
            conn.execute(
                "INSERT INTO backoffice_events (originator_id, originator_version, topic, state)"
                " VALUES (%s, 1, 'legacy:Event', '\\x7b7d')",
                (uuid.uuid4(),),
            )
        assert [p.text for p in verify(rt).problems] == ["event is not signed"]
    finally:
        rt.close()


def test_an_exported_keyring_anchors_an_auditors_verify(runtime: Runtime, tmp_path: Path) -> None:
    from api.cli.keys import keys_export

    seed(runtime)
    keys_export(tmp_path / "keys.json")
    keyring = load_keyring(tmp_path / "keys.json")
    assert keyring == runtime.keys.public_keys()
    assert verify(runtime, keyring=keyring).intact
