"""Signed checkpoints: (notification id, chain hash, time), signed with the application's key,
written to the database and to an append-only store outside it.

A checkpoint lets ``verify`` find a truncated tail or a history rewritten with recomputed
hashes without anyone having kept a digest by hand. The outside store is what a database
administrator cannot reach: a directory by default (files created once, made read-only);
anything that can append and list — object storage with a retention lock (S3 Object Lock in
compliance mode, Azure immutable blobs) — can implement ``CheckpointStore``.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from api.database import Database
from api.signing import ActiveKey, verifies

log = logging.getLogger("backoffice.checkpoints")

CONTEXT = b"backoffice/checkpoint/1\n"
FORMAT = "backoffice-checkpoint/1"


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Checkpoint:
    """The chain hash at a position, as signed at a moment by a key."""

    notification_id: int
    chain_hash: bytes
    recorded_at: datetime
    key_id: str
    signature: bytes = field(repr=False)

    @staticmethod
    def message(key_id: str, notification_id: int, chain_hash: bytes, at: datetime) -> bytes:
        """The bytes a checkpoint's signature covers."""
        parts = (key_id.encode("ascii"), chain_hash, _utc_text(at).encode("ascii"))
        return (
            CONTEXT
            + struct.pack(">q", notification_id)
            + b"".join(struct.pack(">I", len(p)) + p for p in parts)
        )

    @classmethod
    def sign(
        cls, key: ActiveKey, notification_id: int, chain_hash: bytes, at: datetime
    ) -> Checkpoint:
        """A new checkpoint signed with ``key``."""
        at = datetime.fromisoformat(_utc_text(at))
        signature = key.sign(cls.message(key.key_id, notification_id, chain_hash, at))
        return cls(notification_id, chain_hash, at, key.key_id, signature)

    def verifies(self, public_key: bytes) -> bool:
        """True when the signature is this checkpoint's, by ``public_key``."""
        message = self.message(self.key_id, self.notification_id, self.chain_hash, self.recorded_at)
        return verifies(public_key, self.signature, message)

    def to_json(self) -> dict[str, Any]:
        """The checkpoint as written outside the database and into packages and backups."""
        return {
            "format": FORMAT,
            "notification_id": self.notification_id,
            "chain_hash": self.chain_hash.hex(),
            "recorded_at": _utc_text(self.recorded_at),
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        """Read what ``to_json`` wrote (ValueError if it is not a checkpoint)."""
        try:
            if data["format"] != FORMAT:
                raise ValueError(f"unknown format {data['format']!r}")
            return cls(
                int(data["notification_id"]),
                bytes.fromhex(data["chain_hash"]),
                datetime.fromisoformat(data["recorded_at"]),
                str(data["key_id"]),
                base64.b64decode(data["signature"], validate=True),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a checkpoint: {exc!r}") from None

    def __str__(self) -> str:
        return f"{self.notification_id}:{self.chain_hash.hex()} at {_utc_text(self.recorded_at)}"


class CheckpointStore(Protocol):
    """An append-only place outside the database."""

    def append(self, checkpoint: Checkpoint) -> None:
        """Keep ``checkpoint``; never replace or remove one already kept."""

    def scan(self) -> tuple[list[Checkpoint], list[str]]:
        """Every checkpoint kept, and the entries that could not be read (as problems)."""

    def describe(self) -> str:
        """Where it is, for messages."""


class DirectoryStore:
    """Checkpoints as read-only JSON files in a directory, one sub-directory per month."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, checkpoint: Checkpoint) -> None:
        """Write the checkpoint's file once (O_EXCL), flush it to disk, make it read-only."""
        month = self.path / checkpoint.recorded_at.strftime("%Y-%m")
        month.mkdir(parents=True, exist_ok=True)
        stamp = checkpoint.recorded_at.strftime("%Y%m%dT%H%M%S%fZ")
        target = month / f"{checkpoint.notification_id:020d}-{stamp}.json"
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(checkpoint.to_json(), f, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        dir_fd = os.open(month, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def scan(self) -> tuple[list[Checkpoint], list[str]]:
        """Every checkpoint file, and the files that are not checkpoints."""
        found, unreadable = [], []
        for path in sorted(self.path.glob("*/*.json")):
            try:
                found.append(Checkpoint.from_json(json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError) as exc:
                unreadable.append(f"{path}: {exc}")
        return found, unreadable

    def describe(self) -> str:
        """The directory."""
        return str(self.path)


def in_database(database: Database) -> list[Checkpoint]:
    """The checkpoints recorded in the database, oldest first."""
    with database.connect() as conn:
        rows = conn.execute(
            "SELECT notification_id, chain_hash, recorded_at, key_id, signature"
            " FROM backoffice_checkpoints ORDER BY notification_id, recorded_at"
        ).fetchall()
    return [Checkpoint(r[0], bytes(r[1]), r[2], r[3], bytes(r[4])) for r in rows]


def record(database: Database, checkpoint: Checkpoint) -> None:
    """Insert a checkpoint into the database's append-only table."""
    with database.connect() as conn:
        conn.execute(
            "INSERT INTO backoffice_checkpoints"
            " (notification_id, chain_hash, recorded_at, key_id, signature)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                checkpoint.notification_id,
                checkpoint.chain_hash,
                checkpoint.recorded_at,
                checkpoint.key_id,
                checkpoint.signature,
            ),
        )


def newest(checkpoints: list[Checkpoint]) -> Checkpoint | None:
    """The checkpoint at the highest position (the latest signed among equals)."""
    return max(checkpoints, key=lambda c: (c.notification_id, c.recorded_at), default=None)


class CheckpointRefused(RuntimeError):
    """The chain since the last checkpoint does not verify: nothing is signed."""


class Scheduler:
    """Calls ``take`` every ``interval`` seconds in a thread, logging (never hiding) failures."""

    def __init__(self, take: Callable[[], object], interval: float) -> None:
        self.take = take
        self.interval = interval
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (no-op with an interval of 0)."""
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="checkpoints", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.take()
                self.error = None
            except Exception as exc:  # reported on every attempt until it succeeds again
                self.error = exc
                log.error("scheduled checkpoint failed: %s", exc)

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None


def iter_all(store: CheckpointStore, database: Database) -> Iterator[Checkpoint]:
    """Every checkpoint known, from outside the database and inside it (deduplicated)."""
    seen: set[tuple[int, bytes, str]] = set()
    outside, _ = store.scan()
    for checkpoint in [*outside, *in_database(database)]:
        key = (checkpoint.notification_id, checkpoint.chain_hash, _utc_text(checkpoint.recorded_at))
        if key not in seen:
            seen.add(key)
            yield checkpoint
