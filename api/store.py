"""The event store as this project runs it: the library's PostgreSQL recorder, plus
idempotency keys and event signatures written in the same transaction as the events."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from eventsourcing.utils import get_topic, retry
from psycopg import Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL

from api.database import Database
from api.datastore import BackOfficeFactory, CommandDatastore
from api.group_commit import GroupCommit
from api.group_write import (
    ACTOR_VERSIONS,
    BEGIN,
    COMMIT,
    INSERT_COMMANDS,
    INSERT_SIGNATURES,
    ROLLBACK,
    TAKEN,
    Write,
    WriteJob,
    actor_ids,
    command_columns,
    sort,
    stale,
)
from api.signing import KeyStore, command_digest, event_message
from api.snapshots import SnapshotRecorder
from domain.actors import StaleActor
from domain.application import BackOffice, CommandRecord
from domain.snapshots import DEFAULT_INTERVAL, SNAPSHOT_INTERVAL, SNAPSHOT_RECORDER_TOPIC

EVENTS_TABLE = "backoffice_events"
NOTIFY_CHANNEL = EVENTS_TABLE
#: Most commands written in one transaction (a bound on the time the lock is held).
MAX_GROUP = 64


class BackOfficeRecorder(PostgresApplicationRecorder):
    """Adds the command's idempotency row and a signature per event to the transaction that
    inserts the events, and takes the writers' lock through ``backoffice_lock_events()``
    (the service's role may not lock the table itself: it may only SELECT and INSERT)."""

    #: Set by ``open_application``; the recorder refuses to write without it.
    keys: KeyStore | None = None
    #: Refuses a write whose actor's record changed since (``actor_at``, domain/actors.py).
    proves_actors = True

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        # The signature covers the chain hash, which the trigger computes during the insert.
        self.insert_events_statement += SQL(", originator_id, originator_version, chain_hash")
        self.lock_table_statements = [
            self.lock_table_statements[0],  # SET LOCAL lock_timeout
            SQL("SELECT backoffice_lock_events()"),
        ]
        self.group: GroupCommit[Write, Sequence[int]] = GroupCommit(
            self._write_group, max_group=MAX_GROUP
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Write one command's events (and its idempotency row) through the group commit: alone
        when nobody else is writing, else in one transaction with the writes that queued."""
        if self.keys is None:
            raise ProgrammingError("no signing key: the store does not record unsigned events")
        if not stored_events:
            return []
        write = Write(stored_events, kwargs.get("command_record"), kwargs.get("actor_at"))
        return self.group.submit(write)

    def _write_group(self, jobs: Sequence[WriteJob]) -> None:
        if len(jobs) == 1:
            self._write(jobs, check=False)
            return
        try:
            self._write(jobs, check=True)
        except (InterfaceError, OperationalError) as exc:
            # The connection failed, perhaps during COMMIT: whether it committed is unknown, so
            # nobody is acknowledged; each writer retries and then finds its events (replay)
            # or writes them.
            for job in jobs:
                # Each thread raises its own instance (a traceback is written into it).
                own = type(exc)(*exc.args)
                own.__cause__ = exc
                job.fail(own)
        except Exception:
            # Something none of the checks foresaw failed the shared transaction, which rolled
            # back whole: write each command alone, so that only the culprit is refused.
            for job in jobs:
                try:
                    self._write([job], check=False)
                except Exception as alone:
                    job.fail(alone)

    def _write(self, jobs: Sequence[WriteJob], *, check: bool) -> None:
        """One transaction under the writers' lock: the commands of ``jobs`` that do not collide
        with the store or with an earlier job of the group (``check``), their idempotency rows,
        events and signatures, each in one statement; outcomes are handed out after COMMIT.

        Without ``check`` (a group of one) a collision is the store's own primary key, and a
        changed actor is found in the same round trip as the insert (and rolled back)."""
        outcomes: list[tuple[WriteJob, Sequence[int] | Exception]] = []
        actors = actor_ids(jobs)
        with self.datastore.get_connection() as conn, conn.cursor() as acurs:
            try:
                # BEGIN and COMMIT are sent in the pipeline with the statements around them
                # (psycopg's transaction() would add a sync of its own at each end): a command
                # alone takes two round trips, BEGIN … INSERT events and signatures … COMMIT.
                with conn.pipeline() as pipeline, conn.cursor() as curs:
                    curs.execute(BEGIN)
                    accepted = list(jobs)
                    if check:
                        self._lock_table(curs)
                        self._notify_channel(curs)
                        if actors:
                            acurs.execute(ACTOR_VERSIONS, (actors,))
                        events = [e for job in jobs for e in job.work.events]
                        curs.execute(
                            TAKEN,
                            (
                                [e.originator_id for e in events],
                                [e.originator_version for e in events],
                                [j.work.record.idempotency_key for j in jobs if j.work.record],
                            ),
                        )
                        pipeline.sync()
                        accepted, refused = sort(jobs, curs.fetchall(), self._versions(acurs))
                        outcomes += refused
                    records = [job.work.record for job in accepted if job.work.record is not None]
                    if records:
                        curs.execute(INSERT_COMMANDS, command_columns(records))
                    if accepted:
                        if not check:
                            self._lock_table(curs)
                            self._notify_channel(curs)
                            if actors:  # before the insert: the state the command was given in
                                acurs.execute(ACTOR_VERSIONS, (actors,))
                        self._insert_rows(curs, [e for job in accepted for e in job.work.events])
                        # Sync: a primary-key collision is an IntegrityError here.
                        pipeline.sync()
                        if not check and actors and stale(jobs[0], self._versions(acurs), set()):
                            raise StaleActor  # rolled back below: nothing was written
                        outcomes += self._sign(curs, accepted)
                    # Leaving the pipeline syncs: it raises if COMMIT fails (e.g. a deferred
                    # constraint), before anyone is acknowledged.
                    curs.execute(COMMIT)
            except BaseException:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    with suppress(Exception):
                        conn.execute(ROLLBACK)
                raise
        # COMMIT has returned: only now is anyone acknowledged.
        for job, outcome in outcomes:
            if isinstance(outcome, Exception):
                job.fail(outcome)
            else:
                job.succeed(outcome)

    @staticmethod
    def _versions(acurs: Cursor[DictRow]) -> dict[Any, Any]:
        return {r["id"]: r["version"] for r in acurs.fetchall()} if acurs.pgresult else {}

    def _insert_rows(self, curs: Cursor[DictRow], events: Sequence[StoredEvent]) -> None:
        # The library's multi-row INSERT … FROM unnest(…) RETURNING, without its lock and
        # NOTIFY (taken once per transaction above).
        PostgresAggregateRecorder._insert_stored_events(self, curs, events)

    def _sign(
        self, curs: Cursor[DictRow], jobs: Sequence[WriteJob]
    ) -> list[tuple[WriteJob, Sequence[int]]]:
        """Sign each inserted row (still inside the transaction and under the lock) now that
        its notification id and chain hash are known, and record the signatures."""
        rows = curs.fetchall()
        expected = sum(len(job.work.events) for job in jobs)
        if len(rows) != expected:
            raise ProgrammingError(f"inserted {expected} events, got {len(rows)} ids")
        assert self.keys is not None
        key = self.keys.active()
        by_event = {(r["originator_id"], r["originator_version"]): r for r in rows}
        nids: list[int] = []
        signatures: list[bytes] = []
        idempotency: list[str | None] = []
        outcomes: list[tuple[WriteJob, Sequence[int]]] = []
        for job in jobs:
            record = job.work.record
            events = job.work.events
            # The idempotency row is bound to the event the command ends with (its version).
            command_at: tuple[object, int] | None = (
                (record.aggregate_id, record.aggregate_version) if record else None
            )
            if record is not None and not any(
                (e.originator_id, e.originator_version) == command_at for e in events
            ):
                command_at = (events[-1].originator_id, events[-1].originator_version)
            ids = []
            for event in events:
                row = by_event[(event.originator_id, event.originator_version)]
                bound = (
                    record
                    if (event.originator_id, event.originator_version) == command_at
                    else None
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
                ids.append(row["notification_id"])
                signatures.append(key.sign(message))
                idempotency.append(bound.idempotency_key if bound else None)
            nids += ids
            outcomes.append((job, ids))
        curs.execute(INSERT_SIGNATURES, (key.key_id, nids, signatures, idempotency))
        return outcomes

    def command_scope(self) -> AbstractContextManager[None]:
        """One pooled connection for everything the command does on this thread."""
        if isinstance(self.datastore, CommandDatastore):
            return self.datastore.pinned()
        return nullcontext()

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
            "PERSISTENCE_MODULE": get_topic(BackOfficeFactory),
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
