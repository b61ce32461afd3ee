"""The whole proof of the record: the hash chain, every event's signature, the idempotency rows
bound into them, and the chain against every signed checkpoint.

Which keys are trusted: the ones the caller starts from (the service's own key directory, a
keyring file an auditor kept), plus any key whose publication event was signed by a key
already trusted — so a rotation is followed, and a key that someone with database rights
publishes for themselves is not. With no key to start from at all, the first key published
in the store is trusted on first use, and the report says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import get_topic

from api.chain import GENESIS, Digest, row_hash, throttled
from api.checkpoints import Checkpoint
from api.database import Database
from api.signing import command_digest, event_message, verifies
from domain.keys import SigningKey, decode_public_key, key_id_for

if TYPE_CHECKING:
    from api.signature_pool import Deferred, SignaturePool

PUBLISHED = get_topic(SigningKey.Published)
RETIRED = get_topic(SigningKey.Retired)

Decoder = Callable[[bytes], dict[str, Any]]
MISMATCH = "signature does not match the row"


def state_decoder(cipher_key: str | None) -> Decoder:
    """Reads a stored event's fields (decrypting with ``CIPHER_KEY`` when one is set)."""
    cipher = AESCipher(cast(Any, {AESCipher.CIPHER_KEY: cipher_key})) if cipher_key else None

    def decode(state: bytes) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(cipher.decrypt(state) if cipher else state))

    return decode


@dataclass(frozen=True)
class Problem:
    """Something that does not prove: where (a notification id, when there is one) and what."""

    notification_id: int | None
    text: str

    def __str__(self) -> str:
        where = f"notification id {self.notification_id}: " if self.notification_id else ""
        return where + self.text


@dataclass
class Report:
    """The outcome of a walk."""

    count: int = 0
    head: Digest | None = None
    signed: int = 0
    unsigned_prefix: int = 0
    #: The last event recorded before signing began (0: the store was signed from the start).
    legacy_until: int = 0
    checkpoints_proven: int = 0
    newest_checkpoint: Checkpoint | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    trusted: dict[str, bytes] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        """True when nothing failed to prove."""
        return not self.problems

    def add(self, notification_id: int | None, text: str) -> None:
        """Record a problem."""
        self.problems.append(Problem(notification_id, text))


class KeyTrust:
    """Which keys may sign which positions, learnt in notification order."""

    def __init__(self, anchors: Mapping[str, bytes]) -> None:
        self.keys = dict(anchors)
        self.on_first_use = not anchors
        self.retired_after: dict[str, int] = {}
        self.by_aggregate: dict[UUID, str] = {}

    def key_for(self, key_id: str, position: int) -> tuple[bytes | None, str]:
        """The public key that may sign ``position`` under ``key_id``, or None and why not."""
        key = self.keys.get(key_id)
        if key is None:
            return None, f"signed with key {key_id}, which is not trusted"
        retired = self.retired_after.get(key_id)
        if retired is not None and position > retired:
            return None, f"signed with key {key_id}, retired at notification id {retired}"
        return key, ""


@dataclass
class StoredRow:
    """One row of the record as read for proving (event, signature, bound idempotency row)."""

    nid: int
    originator_id: UUID
    version: int
    topic: str
    state: bytes
    stored: bytes | None
    key_id: str | None
    signature: bytes | None
    idempotency_key: str | None
    command: tuple[str, UUID, UUID, int] | None


_SELECT = (
    "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
    " e.chain_hash, s.key_id, s.signature, s.idempotency_key, c.command, c.actor,"
    " c.aggregate_id, c.aggregate_version"
    " FROM backoffice_events e"
    " LEFT JOIN backoffice_event_signatures s ON s.notification_id = e.notification_id"
    "  AND s.notification_id > %(after)s AND s.notification_id <= %(upto)s"
    " LEFT JOIN backoffice_commands c ON c.idempotency_key = s.idempotency_key"
    " WHERE e.notification_id > %(after)s AND e.notification_id <= %(upto)s"
    " ORDER BY e.notification_id"
)


def _rows(database: Database, start: int, stop: int, batch: int) -> Iterable[StoredRow]:
    with database.connect(autocommit=False) as conn:
        # One snapshot for the whole walk, read in pages of ``batch`` notification ids: each
        # page one statement whose rows are then plain list items (a server-side cursor costs
        # a call per row), each join bounded to the page's ids so that no page scans a whole
        # table.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with conn.cursor(binary=True) as curs:
            found = curs.execute("SELECT max(notification_id) FROM backoffice_events").fetchone()
            last = min(stop, int(found[0] or 0) if found else 0)
            after = start - 1
            while after < last:
                upto = min(after + batch, last)
                for r in curs.execute(_SELECT, {"after": after, "upto": upto}).fetchall():
                    yield StoredRow(
                        r[0],
                        r[1],
                        r[2],
                        r[3] or "",
                        bytes(r[4] or b""),
                        None if r[5] is None else bytes(r[5]),
                        r[6],
                        None if r[7] is None else bytes(r[7]),
                        r[8],
                        None if r[9] is None else (r[9], r[10], r[11], int(r[12])),
                    )
                after = upto


class Walker:
    """Proves rows one at a time, in notification order."""

    def __init__(
        self,
        report: Report,
        trust: KeyTrust,
        decode: Decoder,
        previous: bytes,
        signing_began: bool,
        watch: set[int],
        deferred: Deferred | None = None,
    ) -> None:
        self.report = report
        self.deferred = deferred
        self.trust = trust
        self.decode = decode
        self.previous = previous
        self.signing_began = signing_began
        self.watch = watch
        self.hash_at: dict[int, bytes] = {}
        self._pending_unsigned: list[int] = []

    def row(self, r: StoredRow) -> None:
        """Check one row's chain link and signature, and learn from key events."""
        report = self.report
        report.count += 1
        expected = row_hash(self.previous, r.nid, r.originator_id, r.version, r.topic, r.state)
        if r.stored is None:
            report.add(r.nid, "row has no chain hash")
        elif r.stored != expected:
            report.add(r.nid, "chain hash does not match the row and its predecessor")
        # Continue from what is stored, so that each independent change is named once.
        self.previous = r.stored or expected
        if r.nid in self.watch:
            self.hash_at[r.nid] = expected
        report.head = Digest(r.nid, self.previous.hex())
        published = self._published(r)
        if r.signature is None or r.key_id is None:
            self._unsigned(r)
        else:
            self._signed(r, published)

    def _published(self, r: StoredRow) -> tuple[str, bytes] | None:
        if r.topic not in (PUBLISHED, RETIRED):
            return None
        try:
            fields = self.decode(r.state)
        except Exception as exc:
            self.report.add(r.nid, f"cannot read the key event: {exc}")
            return None
        if r.topic == RETIRED:
            return None
        try:
            raw = decode_public_key(str(fields["public_key"]))
        except Exception:
            self.report.add(r.nid, "the published key is not an Ed25519 public key")
            return None
        key_id = str(fields.get("key_id"))
        if key_id != key_id_for(raw):
            self.report.add(r.nid, f"published key id {key_id} does not match its key")
            return None
        return key_id, raw

    def _unsigned(self, r: StoredRow) -> None:
        if self.signing_began:
            self.report.add(r.nid, "event is not signed")
        else:
            # Events recorded before this store signed anything: accepted only if a key's
            # publication follows them (its signature covers their chain hash).
            self._pending_unsigned.append(r.nid)

    def _signed(self, r: StoredRow, published: tuple[str, bytes] | None) -> None:
        report, trust = self.report, self.trust
        assert r.key_id is not None and r.signature is not None
        if not self.signing_began:
            self.signing_began = True
            if self._pending_unsigned:
                if published is None:
                    for nid in self._pending_unsigned:
                        report.add(nid, "event is not signed")
                else:
                    report.unsigned_prefix = len(self._pending_unsigned)
                    report.legacy_until = self._pending_unsigned[-1]
                self._pending_unsigned = []
        key, why = trust.key_for(r.key_id, r.nid)
        if key is None and published is not None and published[0] == r.key_id:
            if trust.on_first_use and not trust.keys:
                key = published[1]
                report.notes.append(
                    f"no trusted key was given: key {r.key_id} (published at notification id "
                    f"{r.nid}) is trusted on first use"
                )
        if key is None:
            report.add(r.nid, why)
            return
        command = None
        if r.idempotency_key is not None:
            if r.command is None:
                report.add(r.nid, f"idempotency row {r.idempotency_key!r} of this event is missing")
                return
            command = command_digest(r.idempotency_key, *r.command)
        message = event_message(
            r.key_id,
            r.nid,
            r.originator_id,
            r.version,
            r.topic,
            r.state,
            r.stored or b"",
            command,
        )
        if self.deferred is not None and published is None and r.topic != RETIRED:
            # Nothing later depends on this outcome: checked by a worker, reported in place.
            self.deferred.add(r.nid, key, r.signature, message)
            return
        if not verifies(key, r.signature, message):
            report.add(r.nid, MISMATCH)
            return
        report.signed += 1
        if published is not None:
            known = trust.keys.get(published[0])
            if known is not None and known != published[1]:
                report.add(r.nid, f"key {published[0]} is published with another public key")
            else:
                trust.keys[published[0]] = published[1]
                trust.by_aggregate[r.originator_id] = published[0]
        elif r.topic == RETIRED and r.originator_id in trust.by_aggregate:
            trust.retired_after[trust.by_aggregate[r.originator_id]] = r.nid

    def finish(self) -> None:
        """Unsigned rows never followed by a signed key publication are problems."""
        for nid in self._pending_unsigned:
            self.report.add(nid, "event is not signed")
        self._pending_unsigned = []


def walk(
    database: Database,
    *,
    anchors: Mapping[str, bytes],
    decode: Decoder,
    start: Checkpoint | None = None,
    stop: int | None = None,
    checkpoints: Iterable[Checkpoint] = (),
    expect: Digest | None = None,
    progress: Callable[[int], None] = lambda _: None,
    batch: int = 20_000,
    pool: SignaturePool | None = None,
) -> Report:
    """Prove the rows after ``start`` (a checkpoint already proven; None: from the first row)
    up to ``stop``, then prove every checkpoint (and ``expect``) against what was walked.
    With a ``pool``, signatures are checked by its workers (the same report)."""
    report = Report()
    trust = KeyTrust(anchors)
    deferred = pool.deferred(report) if pool is not None else None
    kept = list(checkpoints)
    watch = {c.notification_id for c in kept}
    if expect is not None:
        watch.add(expect.notification_id)
    if start is not None:
        watch.add(start.notification_id)
    walker = Walker(report, trust, decode, GENESIS, start is not None, watch, deferred)
    first = start.notification_id if start is not None else 1
    tick = throttled(progress)
    for n, r in enumerate(_rows(database, first, stop or 2**62, batch), start=1):
        if start is not None and n == 1:
            # The walk resumes after a proven position: take its hash as the predecessor.
            if r.nid != start.notification_id or r.stored != start.chain_hash:
                report.add(start.notification_id, "the checkpoint to resume from does not match")
                return report
            walker.previous = start.chain_hash
            report.head = Digest(r.nid, start.chain_hash.hex())
            continue
        walker.row(r)
        tick(report.count)
    if deferred is not None:
        deferred.settle()
    tick(report.count, final=True)
    walker.finish()
    report.trusted = dict(trust.keys)
    prove_checkpoints(report, trust, kept, walker.hash_at)
    if expect is not None:
        found = walker.hash_at.get(expect.notification_id)
        if found is None:
            report.add(expect.notification_id, "digest position is no longer in the store")
        elif found.hex() != expect.head_hash:
            report.add(expect.notification_id, "digest hash differs from the chain")
    return report


def prove_checkpoints(
    report: Report, trust: KeyTrust, kept: list[Checkpoint], hash_at: dict[int, bytes]
) -> None:
    """Each checkpoint must be signed by a trusted key and match the chain walked."""
    head = report.head.notification_id if report.head else 0
    for cp in sorted(kept, key=lambda c: (c.notification_id, c.recorded_at)):
        where = f"checkpoint {cp.notification_id} signed at {cp.recorded_at.isoformat()}"
        key, why = trust.key_for(cp.key_id, cp.notification_id)
        if key is None:
            report.add(None, f"{where}: {why}")
        elif not cp.verifies(key):
            report.add(None, f"{where}: signature does not match")
        elif cp.notification_id > head:
            report.add(
                cp.notification_id,
                f"{where} is beyond the head of the store ({head}): events were removed",
            )
        elif cp.notification_id not in hash_at:
            report.add(cp.notification_id, f"{where}: that position is no longer in the store")
        elif hash_at[cp.notification_id] != cp.chain_hash:
            report.add(cp.notification_id, f"the chain differs from {where}")
        else:
            report.checkpoints_proven += 1
            if report.newest_checkpoint is None or (
                cp.notification_id,
                cp.recorded_at,
            ) > (report.newest_checkpoint.notification_id, report.newest_checkpoint.recorded_at):
                report.newest_checkpoint = cp
