"""`backoffice verify` in full, and the notary that signs checkpoints only over a chain it has
just proven (so the service never vouches for a history someone rewrote under it)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime

from api import chain
from api.checkpoints import (
    Checkpoint,
    CheckpointRefused,
    CheckpointStore,
    in_database,
    record,
)
from api.database import Database
from api.integrity import Decoder, Report, walk
from api.roles import guard_problems
from api.signature_pool import SignaturePool
from api.signing import KeyStore

_LIMIT = 1000


def _key(c: Checkpoint) -> tuple[int, bytes, datetime]:
    return c.notification_id, c.chain_hash, c.recorded_at


def verify_record(
    database: Database,
    *,
    anchors: Mapping[str, bytes],
    decode: Decoder,
    store: CheckpointStore | None,
    expect: chain.Digest | None = None,
    progress: Callable[[int], None] = lambda _: None,
    pool: SignaturePool | None = None,
) -> Report:
    """Walk the whole record and prove it against every checkpoint, inside the database and
    in ``store``; also report orphaned signatures, idempotency rows no signed event vouches
    for, and protective triggers that are missing or disabled. With a ``pool``, its workers
    check the signatures (the same report)."""
    outside, unreadable = store.scan() if store is not None else ([], [])
    inside = in_database(database)
    inside_keys = {_key(c) for c in inside}
    merged = {_key(c): c for c in [*inside, *outside]}
    report = walk(
        database,
        anchors=anchors,
        decode=decode,
        checkpoints=merged.values(),
        expect=expect,
        progress=progress,
        pool=pool,
    )
    for entry in unreadable:
        report.add(None, f"unreadable checkpoint {entry}")
    for cp in outside:
        if _key(cp) not in inside_keys:
            report.add(
                cp.notification_id,
                f"checkpoint signed at {cp.recorded_at.isoformat()} is kept outside the "
                "database but was removed from it",
            )
    with database.connect() as conn:
        for (nid,) in conn.execute(
            "SELECT s.notification_id FROM backoffice_event_signatures s WHERE NOT EXISTS"
            " (SELECT 1 FROM backoffice_events e WHERE e.notification_id = s.notification_id)"
            " ORDER BY 1 LIMIT %s",
            (_LIMIT,),
        ).fetchall():
            report.add(nid, "a signature remains but its event was removed")
        for key, nid in conn.execute(
            "SELECT c.idempotency_key, e.notification_id FROM backoffice_commands c"
            " LEFT JOIN backoffice_events e ON e.originator_id = c.aggregate_id"
            "  AND e.originator_version = c.aggregate_version"
            " WHERE NOT EXISTS (SELECT 1 FROM backoffice_event_signatures s"
            "  WHERE s.idempotency_key = c.idempotency_key)"
            " ORDER BY e.notification_id NULLS FIRST LIMIT %s",
            (_LIMIT,),
        ).fetchall():
            if nid is None or nid > report.legacy_until:
                report.add(nid, f"idempotency row {key!r} is vouched for by no signed event")
        for problem in guard_problems(conn):
            report.add(None, problem)
    if not merged:
        report.notes.append(
            "no checkpoint to prove the chain against yet: `backoffice digest --sign` writes one"
        )
    return report


def _digest_at(database: Database, position: int) -> chain.Digest | None:
    with database.connect() as conn:
        row = conn.execute(
            "SELECT notification_id, chain_hash FROM backoffice_events"
            " WHERE notification_id <= %s ORDER BY notification_id DESC LIMIT 1",
            (position,),
        ).fetchone()
    return None if row is None else chain.Digest(row[0], bytes(row[1]).hex())


class Notary:
    """Signs checkpoints at the head of the store, after proving the rows since the last one."""

    def __init__(
        self,
        database: Database,
        keys: KeyStore,
        store: CheckpointStore,
        decode: Decoder,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.keys = keys
        self.store = store
        self.decode = decode
        self.clock = clock
        self._lock = threading.Lock()
        self._last: Checkpoint | None = None

    def _resume_point(self) -> Checkpoint | None:
        """The newest checkpoint one of our keys signed. Read from the database (indexed;
        nobody without the key can add one there, and removing some only means proving more
        rows), else from the outside store."""
        if self._last is not None:
            return self._last
        ours = self.keys.public_keys()
        with self.database.connect() as conn:
            rows = conn.execute(
                "SELECT notification_id, chain_hash, recorded_at, key_id, signature"
                " FROM backoffice_checkpoints ORDER BY notification_id DESC, recorded_at DESC"
                " LIMIT 50"
            ).fetchall()
        candidates = [Checkpoint(r[0], bytes(r[1]), r[2], r[3], bytes(r[4])) for r in rows]
        if not candidates:
            candidates = sorted(self.store.scan()[0], key=_key, reverse=True)
        for cp in candidates:
            key = ours.get(cp.key_id)
            if key is not None and cp.verifies(key):
                return cp
        return None

    def take(self, upto: int | None = None) -> Checkpoint | None:
        """Prove the rows since the last checkpoint and sign one at the head, or at ``upto``
        (None: the store is empty). Raises CheckpointRefused when the rows do not prove."""
        with self._lock:
            head = chain.digest(self.database) if upto is None else _digest_at(self.database, upto)
            if head is None:
                return None
            start = self._resume_point()
            head_hash = bytes.fromhex(head.head_hash)
            if start is not None and start.notification_id >= head.notification_id:
                if start.notification_id == head.notification_id and start.chain_hash == head_hash:
                    return start
                start = None  # an older position is asked for: prove it from the first row
            report = walk(
                self.database,
                anchors=self.keys.public_keys(),
                decode=self.decode,
                start=start,
                stop=head.notification_id,
            )
            if not report.intact:
                shown = "; ".join(str(p) for p in report.problems[:5])
                raise CheckpointRefused(f"the record does not prove, nothing signed: {shown}")
            checkpoint = Checkpoint.sign(
                self.keys.active(), head.notification_id, head_hash, self.clock()
            )
            # The database first: a checkpoint kept outside but absent inside reads as removed.
            record(self.database, checkpoint)
            self.store.append(checkpoint)
            self._last = checkpoint
            return checkpoint
