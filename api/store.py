"""The event store as this project runs it: the library's PostgreSQL recorder, plus
idempotency keys and event signatures written in the same transaction as the events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL

from api.database import Database
from api.signing import KeyStore, command_digest, event_message
from api.snapshots import SnapshotRecorder
from domain.application import BackOffice, CommandRecord
from domain.snapshots import DEFAULT_INTERVAL, SNAPSHOT_INTERVAL, SNAPSHOT_RECORDER_TOPIC

EVENTS_TABLE = "backoffice_events"
NOTIFY_CHANNEL = EVENTS_TABLE


class BackOfficeRecorder(PostgresApplicationRecorder):
    """Adds the command's idempotency row and a signature per event to the transaction that
    inserts the events, and takes the writers' lock through ``backoffice_lock_events()``
    (the service's role may not lock the table itself: it may only SELECT and INSERT)."""

    #: Set by ``open_application``; the recorder refuses to write without it.
    keys: KeyStore | None = None

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        # The signature covers the chain hash, which the trigger computes during the insert.
        self.insert_events_statement += SQL(", originator_id, originator_version, chain_hash")
        self.lock_table_statements = [
            self.lock_table_statements[0],  # SET LOCAL lock_timeout
            SQL("SELECT backoffice_lock_events()"),
        ]

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        if self.keys is None:
            raise ProgrammingError("no signing key: the store does not record unsigned events")
        record: CommandRecord | None = kwargs.get("command_record")
        if record is not None:
            # A second insert of the same key violates the primary key: the whole
            # transaction, events included, rolls back and the caller replays.
            curs.execute(
                "INSERT INTO backoffice_commands (idempotency_key, command, actor, aggregate_id,"
                " aggregate_version, fingerprint) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    record.idempotency_key,
                    record.command,
                    record.actor,
                    record.aggregate_id,
                    record.aggregate_version,
                    record.fingerprint,
                ),
            )
        super()._insert_events(curs, stored_events, **kwargs)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Sign each inserted row (still inside the transaction and under the lock) now that
        its notification id and chain hash are known, and record the signatures."""
        rows = curs.fetchall()
        if len(rows) != len(stored_events):
            raise ProgrammingError(f"inserted {len(stored_events)} events, got {len(rows)} ids")
        assert self.keys is not None
        key = self.keys.active()
        record: CommandRecord | None = kwargs.get("command_record")
        # The idempotency row is bound to the event the command ends with (its version).
        command_at = (record.aggregate_id, record.aggregate_version) if record else None
        if record is not None and not any(
            (r["originator_id"], r["originator_version"]) == command_at for r in rows
        ):
            command_at = (rows[-1]["originator_id"], rows[-1]["originator_version"])
        stored = {(e.originator_id, e.originator_version): e for e in stored_events}
        nids, signatures, idempotency = [], [], []
        for row in rows:
            event = stored[(row["originator_id"], row["originator_version"])]
            bound = (
                record if (event.originator_id, event.originator_version) == command_at else None
            )
            digest = (
                command_digest(
                    bound.idempotency_key,
                    bound.command,
                    bound.actor,
                    bound.aggregate_id,
                    bound.aggregate_version,
                )
                if bound
                else None
            )
            message = event_message(
                key.key_id,
                row["notification_id"],
                event.originator_id,  # type: ignore[arg-type]
                event.originator_version,
                event.topic,
                event.state,
                bytes(row["chain_hash"]),
                digest,
            )
            nids.append(row["notification_id"])
            signatures.append(key.sign(message))
            idempotency.append(bound.idempotency_key if bound else None)
        curs.execute(
            "INSERT INTO backoffice_event_signatures"
            " (notification_id, key_id, signature, idempotency_key)"
            " SELECT n, %s, s, i FROM unnest(%s::bigint[], %s::bytea[], %s::text[]) AS u(n, s, i)",
            (key.key_id, nids, signatures, idempotency),
        )
        return nids

    def find_command(self, idempotency_key: str) -> tuple[CommandRecord, int | None] | None:
        """The command saved under this key, and the position of its event."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                "SELECT c.command, c.actor, c.aggregate_id, c.aggregate_version, c.fingerprint,"
                " e.notification_id"
                " FROM backoffice_commands c LEFT JOIN backoffice_events e"
                " ON e.originator_id = c.aggregate_id"
                " AND e.originator_version = c.aggregate_version"
                " WHERE c.idempotency_key = %s",
                (idempotency_key,),
            )
            row = curs.fetchone()
        if row is None:
            return None
        record = CommandRecord(
            idempotency_key,
            row["command"],
            UUID(str(row["actor"])),
            UUID(str(row["aggregate_id"])),
            int(row["aggregate_version"]),
            row["fingerprint"],
        )
        return record, row["notification_id"]


def application_env(
    database: Database,
    *,
    pool_size: int = 5,
    pool_timeout: int = 5,
    cipher_key: str | None = None,
    snapshot_interval: int = DEFAULT_INTERVAL,
) -> dict[str, str]:
    """The library's settings for our schema: tables come from migrations, never the library."""
    env = database.eventsourcing_env()
    env.update(
        {
            "CREATE_TABLE": "false",
            "APPLICATION_RECORDER_TOPIC": get_topic(BackOfficeRecorder),
            "POSTGRES_POOL_SIZE": str(pool_size),
            "POSTGRES_MAX_OVERFLOW": str(pool_size * 2),
            "POSTGRES_LOCK_TIMEOUT": "10",
            # After PostgreSQL restarts, every pooled connection is dead: the pool checks each
            # one as it is handed out and replaces it, so no request gets a dead connection.
            "POSTGRES_PRE_PING": "yes",
            # How long a request waits for a connection (the library's default is 30 s, and it
            # retries some reads ten times: a request in an outage would hang for minutes).
            "POSTGRES_CONNECT_TIMEOUT": str(pool_timeout),
            "POSTGRES_ORIGINATOR_ID_TYPE": "uuid",
        }
    )
    if snapshot_interval > 0:
        env["IS_SNAPSHOTTING_ENABLED"] = "y"
        env[SNAPSHOT_INTERVAL] = str(snapshot_interval)
        env[SNAPSHOT_RECORDER_TOPIC] = get_topic(SnapshotRecorder)
    if cipher_key:
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = cipher_key
    return env


def open_application(
    database: Database,
    keys: KeyStore,
    *,
    pool_size: int = 5,
    pool_timeout: int = 5,
    cipher_key: str | None = None,
    snapshot_interval: int = DEFAULT_INTERVAL,
) -> BackOffice:
    """A BackOffice on this (migrated) database, signing with the current key of ``keys``."""
    env = application_env(
        database,
        pool_size=pool_size,
        pool_timeout=pool_timeout,
        cipher_key=cipher_key,
        snapshot_interval=snapshot_interval,
    )
    app = BackOffice(env=env)
    recorder = app.recorder
    assert isinstance(recorder, BackOfficeRecorder)
    recorder.keys = keys
    if isinstance(app.snapshot_store, SnapshotRecorder):
        app.snapshot_store.keys = keys
    return app
