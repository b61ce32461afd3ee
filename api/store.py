"""The event store as this project runs it: the library's PostgreSQL recorder, plus
idempotency keys written in the same transaction as the events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow

from api.database import Database
from domain.application import BackOffice, CommandRecord

EVENTS_TABLE = "backoffice_events"
NOTIFY_CHANNEL = EVENTS_TABLE


class BackOfficeRecorder(PostgresApplicationRecorder):
    """Adds the command's idempotency row to the transaction that inserts its events."""

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
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
    if cipher_key:
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = cipher_key
    return env


def open_application(
    database: Database,
    *,
    pool_size: int = 5,
    pool_timeout: int = 5,
    cipher_key: str | None = None,
) -> BackOffice:
    """A BackOffice on this (migrated) database."""
    env = application_env(
        database, pool_size=pool_size, pool_timeout=pool_timeout, cipher_key=cipher_key
    )
    return BackOffice(env=env)
