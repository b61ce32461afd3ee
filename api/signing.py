"""The keys the application signs with, and the exact bytes it signs.

Private keys live in files under ``SIGNING_KEY_DIR`` (default ``BACKOFFICE_HOME/keys``), one
PEM file per key with mode 0600, never in the database: whoever administers the database can
then neither forge an event nor re-sign one they changed. The file ``current`` names the key
that signs new events; rotating writes a new key and points ``current`` at it, and every
writer picks the change up on its next transaction.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import struct
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.utils import get_topic
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from domain.keys import KEY_ID, SigningKey, decode_public_key, key_id_for

EVENT_CONTEXT = b"backoffice/event-signature/1\n"
KEYRING_FORMAT = "backoffice-keys/1"


class SigningKeyError(Exception):
    """A signing key is missing, unreadable or too widely readable."""


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def command_digest(
    idempotency_key: str, command: str, actor: UUID, aggregate_id: UUID, aggregate_version: int
) -> bytes:
    """SHA-256 of an idempotency row, as bound into the signature of its command's event."""
    h = hashlib.sha256()
    for part in (idempotency_key, command, str(actor), str(aggregate_id), str(aggregate_version)):
        h.update(_field(part.encode("utf-8")))
    return h.digest()


def event_message(
    key_id: str,
    notification_id: int,
    originator_id: UUID,
    originator_version: int,
    topic: str,
    state: bytes,
    chain_hash: bytes,
    command: bytes | None,
) -> bytes:
    """What an event's signature covers: the stored row's fields, its chain hash (and so the
    whole prefix before it), and the digest of the idempotency row written with it, if any."""
    return b"".join(
        (
            EVENT_CONTEXT,
            _field(key_id.encode("ascii")),
            struct.pack(">q", notification_id),
            originator_id.bytes,
            struct.pack(">q", originator_version),
            _field(topic.encode("utf-8")),
            _field(state),
            _field(chain_hash),
            _field(command or b""),
        )
    )


def public_key_b64(raw: bytes) -> str:
    """The text form of a raw public key, as published."""
    return base64.b64encode(raw).decode("ascii")


@lru_cache(maxsize=64)
def _public(raw: bytes) -> VerifyKey:
    return VerifyKey(raw)


def verifies(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is the signature of ``message`` by ``public_key``.

    Checked by libsodium (PyNaCl): the same standard Ed25519 as the signing side's OpenSSL
    (``cryptography``), twice as fast to verify, and at least as strict (it also refuses
    small-order and non-canonical keys and commitments, which no honest signer produces)."""
    try:
        _public(public_key).verify(message, signature)
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class ActiveKey:
    """The key that signs new records."""

    key_id: str
    private: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        """The raw 32 bytes of the public half."""
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def sign(self, message: bytes) -> bytes:
        """An Ed25519 signature of ``message``."""
        return self.private.sign(message)


class KeyStore:
    """A directory of private keys (0600 files) and the name of the current one."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._cached: tuple[int, ActiveKey] | None = None

    def _path(self, key_id: str) -> Path:
        if not KEY_ID.match(key_id):
            raise SigningKeyError(f"not a key id: {key_id!r}")
        return self.directory / f"{key_id.replace(':', '-')}.pem"

    def create(self) -> str:
        """Write a new private key (mode 0600) and return its id; ``current`` is unchanged."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        private = Ed25519PrivateKey.generate()
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        key_id = key_id_for(raw)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # O_EXCL: a key file is written once and never replaced.
        fd = os.open(self._path(key_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        return key_id

    def set_current(self, key_id: str) -> None:
        """Make ``key_id`` the key that signs new records (atomically)."""
        self._private(key_id)
        tmp = self.directory / "current.tmp"
        tmp.write_text(key_id + "\n", encoding="ascii")
        os.replace(tmp, self.directory / "current")

    def current_id(self) -> str | None:
        """The id of the key that signs new records, if one is set."""
        try:
            text = (self.directory / "current").read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        return text or None

    def key_ids(self) -> list[str]:
        """Every key whose private half is in the directory."""
        if not self.directory.is_dir():
            return []
        return sorted(p.stem.replace("-", ":", 1) for p in self.directory.glob("ed25519-*.pem"))

    def _private(self, key_id: str) -> Ed25519PrivateKey:
        path = self._path(key_id)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise SigningKeyError(f"signing key {key_id} is not in {self.directory}") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SigningKeyError(f"{path} is readable by others: chmod 600 it")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{path} is not an Ed25519 key")
        return key

    def public_keys(self) -> dict[str, bytes]:
        """The public half of every key in the directory, by id."""
        found = {}
        for key_id in self.key_ids():
            found[key_id] = ActiveKey(key_id, self._private(key_id)).public_key
        return found

    def active(self) -> ActiveKey:
        """The current key; re-read when ``current`` changes, so a rotation takes effect on
        every writer's next transaction."""
        current = self.directory / "current"
        try:
            stamp = current.stat().st_mtime_ns
        except FileNotFoundError:
            raise SigningKeyError(f"no current signing key in {self.directory}") from None
        with self._lock:
            if self._cached is None or self._cached[0] != stamp:
                key_id = self.current_id()
                if key_id is None:
                    raise SigningKeyError(f"no current signing key in {self.directory}")
                self._cached = (stamp, ActiveKey(key_id, self._private(key_id)))
            return self._cached[1]


# -- keyrings: the public keys an auditor trusts ------------------------------------------


def keyring_json(keys: Sequence[Mapping[str, Any]]) -> str:
    """A keyring file's text: public keys with where they were published and retired."""
    return json.dumps({"format": KEYRING_FORMAT, "keys": list(keys)}, indent=2, sort_keys=True)


def load_keyring(path: Path) -> dict[str, bytes]:
    """The public keys of a keyring file written by ``backoffice keys export``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = data["keys"]
        found = {k["key_id"]: decode_public_key(k["public_key"]) for k in keys}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SigningKeyError(f"{path} is not a keyring: {exc}") from None
    for key_id, raw in found.items():
        if key_id != key_id_for(raw):
            raise SigningKeyError(f"{path}: key id {key_id} does not match its public key")
    return found


def trusted_keys(store: KeyStore | None, keyring: Path | None) -> dict[str, bytes]:
    """The keys an auditor starts from: a keyring file when given, plus the service's own."""
    found = load_keyring(keyring) if keyring is not None else {}
    if store is not None:
        found.update(store.public_keys())
    return found


def published_keys(app: Any) -> list[dict[str, Any]]:
    """Every key published in the store (a BackOffice's events), with where it was published
    and retired, as an exportable keyring's entries."""
    topics = [get_topic(SigningKey.Published), get_topic(SigningKey.Retired)]
    found: dict[UUID, dict[str, Any]] = {}
    start = 1
    while True:
        batch = app.recorder.select_notifications(start=start, limit=500, topics=topics)
        for n in batch:
            event = app.mapper.to_domain_event(n)
            if isinstance(event, SigningKey.Published):
                found[event.originator_id] = {
                    "key_id": event.key_id,
                    "algorithm": event.algorithm,
                    "public_key": event.public_key,
                    "published_at": n.id,
                    "published_on": event.timestamp.isoformat(),
                    "retired_at": None,
                }
            elif event.originator_id in found:
                found[event.originator_id]["retired_at"] = n.id
        if len(batch) < 500:
            break
        start = batch[-1].id + 1
    return list(found.values())
