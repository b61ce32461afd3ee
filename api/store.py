"""The event store as this project runs it: the library's PostgreSQL recorder, plus
idempotency keys and event signatures written in the same transaction as the events."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
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
from api.group_commit import GroupCommit, Job
from api.signing import KeyStore, command_digest, event_message
from api.snapshots import SnapshotRecorder
from domain.application import BackOffice, CommandRecord
from domain.snapshots import DEFAULT_INTERVAL, SNAPSHOT_INTERVAL, SNAPSHOT_RECORDER_TOPIC

EVENTS_TABLE = "backoffice_events"
NOTIFY_CHANNEL = EVENTS_TABLE
#: Most commands written in one transaction (a bound on the time the lock is held).
MAX_GROUP = 64


@dataclass(frozen=True)
class _Write:
    """One command's write: its events and, when it carried a key, its idempotency row."""

    events: Sequence[StoredEvent]
    record: CommandRecord | None


# Under the lock nobody else can insert events (nor, through this recorder, idempotency rows),
# so what this finds taken stays taken, and what it does not find is free until COMMIT.
_TAKEN = SQL(
    "SELECT e.originator_id, e.originator_version, NULL::text AS idempotency_key"
    " FROM unnest(%s::uuid[], %s::bigint[]) AS p(id, version)"
    " JOIN backoffice_events e ON e.originator_id = p.id AND e.originator_version = p.version"
    " UNION ALL"
    " SELECT NULL, NULL, idempotency_key FROM backoffice_commands"
    " WHERE idempotency_key = ANY(%s::text[])"
)
_BEGIN, _COMMIT, _ROLLBACK = SQL("BEGIN"), SQL("COMMIT"), SQL("ROLLBACK")
_INSERT_COMMANDS = SQL(
    "INSERT INTO backoffice_commands (idempotency_key, command, actor, aggregate_id,"
    " aggregate_version, fingerprint)"
    " SELECT * FROM unnest(%s::text[], %s::text[], %s::uuid[], %s::uuid[], %s::bigint[],"
    " %s::text[])"
)
_INSERT_SIGNATURES = SQL(
    "INSERT INTO backoffice_event_signatures (notification_id, key_id, signature, idempotency_key)"
    " SELECT n, %s, s, i FROM unnest(%s::bigint[], %s::bytea[], %s::text[]) AS u(n, s, i)"
)


def _command_columns(records: Sequence[CommandRecord]) -> tuple[list[Any], ...]:
    return (
        [r.idempotency_key for r in records],
        [r.command for r in records],
        [r.actor for r in records],
        [r.aggregate_id for r in records],
        [r.aggregate_version for r in records],
        [r.fingerprint for r in records],
    )


def _sort(
    jobs: Sequence[Job[_Write, Sequence[int]]], taken_rows: Sequence[DictRow]
) -> tuple[list[Job[_Write, Sequence[int]]], list[Job[_Write, Sequence[int]]]]:
    """The jobs that can be written and those that collide — with the store, or with an
    earlier job of the group (the first comes first, as if they had been written in turn)."""
    events = {
        (r["originator_id"], r["originator_version"])
        for r in taken_rows
        if r["idempotency_key"] is None
    }
    keys = {r["idempotency_key"] for r in taken_rows if r["idempotency_key"] is not None}
    accepted, refused = [], []
    for job in jobs:
        mine = {(e.originator_id, e.originator_version) for e in job.work.events}
        key = job.work.record.idempotency_key if job.work.record else None
        if mine & events or key in keys:
            refused.append(job)
            continue
        accepted.append(job)
        events |= mine
        if key is not None:
            keys.add(key)
    return accepted, refused


def _collision(job: Job[_Write, Sequence[int]]) -> IntegrityError:
    """What the store's own keys would have raised, had this command been written alone."""
    return IntegrityError("a version or idempotency key of this command was taken first")


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
        self.group: GroupCommit[_Write, Sequence[int]] = GroupCommit(
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
        return self.group.submit(_Write(stored_events, kwargs.get("command_record")))

    def _write_group(self, jobs: Sequence[Job[_Write, Sequence[int]]]) -> None:
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

    def _write(self, jobs: Sequence[Job[_Write, Sequence[int]]], *, check: bool) -> None:
        """One transaction under the writers' lock: the commands of ``jobs`` that do not collide
        with the store or with an earlier job of the group (``check``), their idempotency rows,
        events and signatures, each in one statement; outcomes are handed out after COMMIT.

        Without ``check`` (a group of one) a collision is the store's own primary key."""
        outcomes: list[tuple[Job[_Write, Sequence[int]], Sequence[int] | Exception]] = []
        with self.datastore.get_connection() as conn:
            try:
                # BEGIN and COMMIT are sent in the pipeline with the statements around them
                # (psycopg's transaction() would add a sync of its own at each end): a command
                # alone takes two round trips, BEGIN … INSERT events and signatures … COMMIT.
                with conn.pipeline() as pipeline, conn.cursor() as curs:
                    curs.execute(_BEGIN)
                    accepted = list(jobs)
                    if check:
                        self._lock_table(curs)
                        self._notify_channel(curs)
                        events = [e for job in jobs for e in job.work.events]
                        curs.execute(
                            _TAKEN,
                            (
                                [e.originator_id for e in events],
                                [e.originator_version for e in events],
                                [j.work.record.idempotency_key for j in jobs if j.work.record],
                            ),
                        )
                        pipeline.sync()
                        accepted, refused = _sort(jobs, curs.fetchall())
                        outcomes += [(job, _collision(job)) for job in refused]
                    records = [job.work.record for job in accepted if job.work.record is not None]
                    if records:
                        curs.execute(_INSERT_COMMANDS, _command_columns(records))
                    if accepted:
                        if not check:
                            self._lock_table(curs)
                            self._notify_channel(curs)
                        self._insert_rows(curs, [e for job in accepted for e in job.work.events])
                        # Sync: a primary-key collision is an IntegrityError here.
                        pipeline.sync()
                        outcomes += self._sign(curs, accepted)
                    # Leaving the pipeline syncs: it raises if COMMIT fails (e.g. a deferred
                    # constraint), before anyone is acknowledged.
                    curs.execute(_COMMIT)
            except BaseException:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    with suppress(Exception):
                        conn.execute(_ROLLBACK)
                raise
        # COMMIT has returned: only now is anyone acknowledged.
        for job, outcome in outcomes:
            if isinstance(outcome, Exception):
                job.fail(outcome)
            else:
                job.succeed(outcome)

    def _insert_rows(self, curs: Cursor[DictRow], events: Sequence[StoredEvent]) -> None:
        # The library's multi-row INSERT … FROM unnest(…) RETURNING, without its lock and
        # NOTIFY (taken once per transaction above).
        PostgresAggregateRecorder._insert_stored_events(self, curs, events)

    def _sign(
        self, curs: Cursor[DictRow], jobs: Sequence[Job[_Write, Sequence[int]]]
    ) -> list[tuple[Job[_Write, Sequence[int]], Sequence[int]]]:
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
        outcomes: list[tuple[Job[_Write, Sequence[int]], Sequence[int]]] = []
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
        curs.execute(_INSERT_SIGNATURES, (key.key_id, nids, signatures, idempotency))
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
