"""The snapshot store (``backoffice_snapshots``, migrations/0016): the library's snapshots,
signed by the service's key and bound to the chain hash of the event at their version, and
used only when both still check — a snapshot is a cache, never trusted over the events.

Why sign a cache: the service role may insert snapshots, so without a signature anyone with its
database password could plant a state the application would act on (a frozen client shown as
active) with no trace in the record. With it, a planted, edited or stale snapshot (one whose
event was rewritten under it) is a cache miss, and the record loads from its events.
"""

from __future__ import annotations

import hashlib
import logging
import struct
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg import Cursor
from psycopg.rows import DictRow

from api.signing import KeyStore, verifies
from domain.snapshots import Found, Upto

log = logging.getLogger(__name__)

SNAPSHOTS_TABLE = "backoffice_snapshots"
SNAPSHOT_CONTEXT = b"backoffice-snapshot-v1\x00"


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _time(value: datetime) -> bytes:
    return _field(value.isoformat().encode("ascii"))


def snapshot_message(key_id: str, stored: StoredEvent, upto: Upto, chain_hash: bytes) -> bytes:
    """What a snapshot's signature covers: the stored snapshot, its times, and the chain hash
    of the record's event at the snapshot's version (so it holds only over that history)."""
    return b"".join(
        (
            SNAPSHOT_CONTEXT,
            _field(key_id.encode("ascii")),
            UUID(str(stored.originator_id)).bytes,
            struct.pack(">q", stored.originator_version),
            _field(stored.topic.encode("utf-8")),
            _field(hashlib.sha256(stored.state).digest()),
            _time(upto.recorded),
            _time(upto.occurred),
            _field(chain_hash),
        )
    )


_SELECT = (
    "SELECT s.originator_id, s.originator_version, s.topic, s.state, s.recorded_upto,"
    " s.occurred_upto, s.key_id, s.signature, e.chain_hash, e.notification_id"
    " FROM backoffice_snapshots s JOIN backoffice_events e"
    " ON e.originator_id = s.originator_id AND e.originator_version = s.originator_version"
    " WHERE s.originator_id = %s AND (%s::bigint IS NULL OR s.originator_version <= %s)"
    " AND (%s::timestamptz IS NULL OR s.recorded_upto <= %s)"
    " AND (%s::timestamptz IS NULL OR s.occurred_upto <= %s)"
    " ORDER BY s.originator_version DESC LIMIT 1"
)


class SnapshotRecorder(PostgresAggregateRecorder):
    """The library's snapshot recorder on our table: inserts sign, reads check."""

    #: Set by ``open_application``; without keys nothing is stored and nothing is trusted.
    keys: KeyStore | None = None

    def __init__(self, datastore: Any, *, events_table_name: str = SNAPSHOTS_TABLE) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._trusted: dict[str, bytes] = {}

    # -- writing ------------------------------------------------------------------------------

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Store snapshots taken by ``BackOffice.take_snapshot`` (which passes ``upto``)."""
        upto = kwargs.get("upto")
        if not isinstance(upto, Upto):
            raise ProgrammingError("a snapshot is stored with the times of its events (upto)")
        if self.keys is None:
            return None
        key = self.keys.active()
        with self.datastore.transaction(commit=True) as curs:
            for stored in stored_events:
                curs.execute(
                    "SELECT chain_hash FROM backoffice_events"
                    " WHERE originator_id = %s AND originator_version = %s",
                    (stored.originator_id, stored.originator_version),
                )
                row = curs.fetchone()
                if row is None:
                    continue
                message = snapshot_message(key.key_id, stored, upto, bytes(row["chain_hash"]))
                # Two processes may snapshot the same version: the first one stays.
                curs.execute(
                    "INSERT INTO backoffice_snapshots (originator_id, originator_version, topic,"
                    " state, recorded_upto, occurred_upto, key_id, signature)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (
                        stored.originator_id,
                        stored.originator_version,
                        stored.topic,
                        stored.state,
                        upto.recorded,
                        upto.occurred,
                        key.key_id,
                        key.sign(message),
                    ),
                )
        return None

    def discard(self, aggregate_id: UUID) -> int:
        """Remove the record's snapshots (an erasure request); how many there were."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                "DELETE FROM backoffice_snapshots WHERE originator_id = %s", (aggregate_id,)
            )
            return curs.rowcount

    # -- reading ------------------------------------------------------------------------------

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The library's repository asks for the newest snapshot at or before ``lte``: the
        newest one that checks, or none (the record then loads from its events)."""
        found = self.nearest(UUID(str(originator_id)), version=lte)
        return (
            []
            if found is None or (gt is not None and found.stored.originator_version <= gt)
            else [found.stored]
        )

    def nearest(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        recorded_by: datetime | None = None,
        occurred_by: datetime | None = None,
        curs: Cursor[DictRow] | None = None,
    ) -> Found | None:
        """The newest snapshot at or before ``version`` whose events were all recorded
        (``recorded_by``) or given (``occurred_by``) by then, if it checks."""
        params = (
            aggregate_id,
            version,
            version,
            recorded_by,
            recorded_by,
            occurred_by,
            occurred_by,
        )
        if curs is not None:
            curs.execute(_SELECT, params)
            row = curs.fetchone()
        else:
            with self.datastore.get_connection() as conn, conn.cursor() as own:
                own.execute(_SELECT, params)
                row = own.fetchone()
        if row is None:
            return None
        stored = StoredEvent(
            originator_id=row["originator_id"],
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )
        upto = Upto(row["recorded_upto"], row["occurred_upto"])
        public = self._public_key(row["key_id"])
        message = snapshot_message(row["key_id"], stored, upto, bytes(row["chain_hash"]))
        if public is None or not verifies(public, bytes(row["signature"]), message):
            log.warning(
                "snapshot of %s at version %s does not check: loading from its events",
                aggregate_id,
                stored.originator_version,
            )
            return None
        return Found(stored, upto, int(row["notification_id"]))

    def _public_key(self, key_id: str) -> bytes | None:
        if key_id not in self._trusted and self.keys is not None:
            self._trusted = self.keys.public_keys()
        return self._trusted.get(key_id)
