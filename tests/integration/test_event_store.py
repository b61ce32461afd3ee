"""The event store refuses changes in place and chains every event it holds."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from eventsourcing.cryptography import AESCipher

from api import chain
from api.database import Database
from api.runtime import Runtime, open_runtime
from api.settings import Settings
from domain.access import Role
from domain.staff import GrantRole, RegisterStaff, Staff
from tests.conftest import run


def _seed(rt: Runtime, n: int = 3) -> list[uuid.UUID]:
    ids = []
    for i in range(n):
        sid = uuid.uuid4()
        run(rt, RegisterStaff(staff_id=sid, name=f"Staff {i}", branch="SH01", roles=[Role.TRADER]))
        run(rt, GrantRole(staff_id=sid, role=Role.RISK))
        ids.append(sid)
    return ids


def _tamper(database: Database, statement: str, *params: object) -> None:
    """What someone with superuser rights could do: bypass the triggers and write."""
    with database.connect() as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(statement, params)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE backoffice_events SET topic = 'x' WHERE notification_id = 1",
        "DELETE FROM backoffice_events WHERE notification_id = 1",
        "TRUNCATE backoffice_events",
    ],
)
def test_changing_stored_events_in_place_is_refused_with_a_clear_error(
    runtime: Runtime, database: Database, statement: str
) -> None:
    _seed(runtime, 1)
    before = chain.total(database)
    with database.connect() as conn, pytest.raises(psycopg.Error, match="append-only"):
        conn.execute(statement)
    assert chain.verify(database).count == before


def test_every_appended_event_is_chained_in_the_inserting_transaction(
    runtime: Runtime, database: Database
) -> None:
    _seed(runtime, 3)
    with database.connect() as conn:
        rows = conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state, chain_hash"
            " FROM backoffice_events ORDER BY notification_id"
        ).fetchall()
    previous = chain.GENESIS
    for nid, oid, version, topic, state, stored in rows:
        previous = chain.row_hash(previous, nid, oid, version, topic, bytes(state))
        assert bytes(stored) == previous
    result = chain.verify(database)
    assert result.intact and result.count == 6 + 1  # and the signing key's publication
    assert result.head == chain.digest(database)


def test_verify_names_the_first_row_whose_bytes_were_altered(
    runtime: Runtime, database: Database
) -> None:
    _seed(runtime, 3)
    _tamper(
        database,
        "UPDATE backoffice_events SET state = set_byte(state, 10, get_byte(state, 10) # 1)"
        " WHERE notification_id = 4",
    )
    result = chain.verify(database)
    assert not result.intact
    assert result.broken_at == 4


def test_verify_notices_a_removed_row_at_the_row_after_it(
    runtime: Runtime, database: Database
) -> None:
    _seed(runtime, 3)
    _tamper(database, "DELETE FROM backoffice_events WHERE notification_id = 3")
    assert chain.verify(database).broken_at == 4


def test_verify_notices_a_row_inserted_around_the_chain(
    runtime: Runtime, database: Database
) -> None:
    _seed(runtime, 2)
    _tamper(
        database,
        "INSERT INTO backoffice_events"
        " (originator_id, originator_version, topic, state, notification_id, chain_hash)"
        " SELECT originator_id, 99, topic, state, 100, chain_hash FROM backoffice_events"
        " WHERE notification_id = 4",
    )
    result = chain.verify(database)
    assert result.broken_at == 100


def test_an_insert_that_would_land_before_the_head_is_refused(
    runtime: Runtime, database: Database
) -> None:
    _seed(runtime, 2)
    with database.connect() as conn, pytest.raises(psycopg.Error, match="not after the head"):
        conn.execute(
            "INSERT INTO backoffice_events"
            " (originator_id, originator_version, topic, state, notification_id)"
            " VALUES (%s, 1, 't', '\\x00', 2)",
            (uuid.uuid4(),),
        )


def test_a_digest_proves_its_prefix_and_catches_a_truncated_tail(
    runtime: Runtime, database: Database
) -> None:
    _seed(runtime, 2)
    taken = chain.digest(database)
    assert taken is not None
    _seed(runtime, 1)
    assert chain.verify(database, expect=taken).intact
    _tamper(
        database, "DELETE FROM backoffice_events WHERE notification_id >= %s", taken.notification_id
    )
    result = chain.verify(database, expect=taken)
    assert not result.intact
    assert result.broken_at == taken.notification_id


def test_a_digest_with_another_hash_is_not_proven(runtime: Runtime, database: Database) -> None:
    _seed(runtime, 1)
    taken = chain.digest(database)
    assert taken is not None
    forged = chain.Digest(taken.notification_id, "0" * 64)
    assert chain.verify(database, expect=forged).problem == "digest hash differs from the chain"


def test_with_a_cipher_key_events_are_encrypted_and_still_chained(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIPHER_KEY", AESCipher.create_key(32))
    rt = open_runtime(Settings(), database=database, run_migrations=False)
    try:
        sid = uuid.uuid4()
        run(rt, RegisterStaff(staff_id=sid, name="Secret Name", branch="SH01", roles=[Role.TRADER]))
        assert rt.app.get(Staff, sid).name == "Secret Name"
    finally:
        rt.close()
    with database.connect() as conn:
        row = conn.execute("SELECT state FROM backoffice_events").fetchone()
    assert row is not None and b"Secret Name" not in bytes(row[0])
    assert chain.verify(database).intact
