"""The hash chain over the event store: recompute it, prove a digest, name the first break."""

from __future__ import annotations

import hashlib
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from api.database import Database

GENESIS = bytes(32)


def row_hash(
    previous: bytes,
    notification_id: int,
    originator_id: UUID,
    originator_version: int,
    topic: str,
    state: bytes,
) -> bytes:
    """The chain hash of one row; the same bytes as SQL ``backoffice_chain_hash``."""
    topic_bytes = topic.encode("utf-8")
    h = hashlib.sha256(previous)
    h.update(struct.pack(">q", notification_id))
    h.update(originator_id.bytes)
    h.update(struct.pack(">q", originator_version))
    h.update(struct.pack(">i", len(topic_bytes)))
    h.update(topic_bytes)
    h.update(struct.pack(">i", len(state)))
    h.update(state)
    return h.digest()


class throttled:  # noqa: N801 - used like a function
    """A progress callback called at most every ``interval`` seconds (and once at the end with
    ``final=True``): redrawing a progress bar per row costs more than checking the row."""

    def __init__(self, progress: Callable[[int], None], interval: float = 0.2) -> None:
        self.progress = progress
        self.interval = interval
        self.next_at = 0.0
        self.last: int | None = None

    def __call__(self, done: int, *, final: bool = False) -> None:
        """Report ``done`` if it is time to (always when ``final``)."""
        if final:
            if done != self.last:
                self.last = done
                self.progress(done)
            return
        now = time.monotonic()
        if now >= self.next_at:
            self.next_at = now + self.interval
            self.last = done
            self.progress(done)


@dataclass(frozen=True)
class Digest:
    """A position in the chain and the hash there: enough to prove the prefix later."""

    notification_id: int
    head_hash: str

    def __str__(self) -> str:
        return f"{self.notification_id}:{self.head_hash}"

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Read ``ID:HEX`` as printed by ``backoffice digest``."""
        try:
            nid, hexhash = text.strip().split(":", 1)
            value = cls(int(nid), hexhash.strip().lower())
        except ValueError:
            raise ValueError(
                f"a digest looks like 42:ab12… (ID:HASH, as `backoffice digest` prints it), "
                f"not {text!r}"
            ) from None
        wrong = sorted(set(value.head_hash) - set("0123456789abcdef"))
        if wrong:
            raise ValueError(
                f"a digest's hash is hexadecimal (0-9, a-f), this one has {''.join(wrong)!r}"
            )
        if len(value.head_hash) != 64:
            raise ValueError(
                f"a digest's hash is 64 hex digits, this one has {len(value.head_hash)}: "
                "copy the whole line `backoffice digest` printed"
            )
        if value.notification_id < 1:
            raise ValueError("a digest's position (before the colon) is 1 or more")
        return value


@dataclass(frozen=True)
class Verification:
    """The outcome of walking the chain."""

    count: int
    head: Digest | None
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        """True when every row chains to the one before it."""
        return self.broken_at is None


def digest(database: Database) -> Digest | None:
    """The newest position and its stored hash (None for an empty store)."""
    with database.connect() as conn:
        row = conn.execute(
            "SELECT notification_id, chain_hash FROM backoffice_events"
            " ORDER BY notification_id DESC LIMIT 1"
        ).fetchone()
    return None if row is None else Digest(row[0], bytes(row[1]).hex())


def total(database: Database) -> int:
    """How many events are stored (for progress bars)."""
    with database.connect() as conn:
        row = conn.execute("SELECT count(*) FROM backoffice_events").fetchone()
    return int(row[0]) if row else 0


def verify(
    database: Database,
    *,
    expect: Digest | None = None,
    progress: Callable[[int], None] = lambda _: None,
    batch: int = 20_000,
) -> Verification:
    """Recompute every hash in notification order; stop at the first row that does not chain.

    With ``expect``, also prove that the row at that position still carries that hash, which
    catches the removal of rows at the end that a chain alone cannot show.
    """
    previous = GENESIS
    count = 0
    last_nid: int | None = None
    expect_seen = False
    tick = throttled(progress)

    def last() -> Digest | None:
        return None if last_nid is None else Digest(last_nid, previous.hex())

    with database.connect(autocommit=False) as conn:
        # One snapshot for the whole walk, read in large pages (see integrity._rows).
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with conn.cursor(binary=True) as curs:
            while True:
                page = curs.execute(
                    "SELECT notification_id, originator_id, originator_version, topic, state,"
                    " chain_hash FROM backoffice_events WHERE notification_id > %s"
                    " ORDER BY notification_id LIMIT %s",
                    (last_nid or 0, batch),
                ).fetchall()
                for nid, oid, version, topic, state, stored in page:
                    count += 1
                    if stored is None:
                        return Verification(count, last(), nid, "row has no chain hash")
                    expected = row_hash(
                        previous, nid, oid, version, topic or "", bytes(state or b"")
                    )
                    if bytes(stored) != expected:
                        return Verification(
                            count, last(), nid, "hash does not match the row and its predecessor"
                        )
                    previous, last_nid = expected, nid
                    if expect is not None and nid == expect.notification_id:
                        expect_seen = True
                        if expected.hex() != expect.head_hash:
                            return Verification(
                                count, last(), nid, "digest hash differs from the chain"
                            )
                    tick(count)
                if len(page) < batch:
                    break
    tick(count, final=True)
    if expect is not None and not expect_seen:
        return Verification(
            count, last(), expect.notification_id, "digest position is no longer in the store"
        )
    return Verification(count, last())
