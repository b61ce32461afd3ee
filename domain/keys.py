"""The registry of the keys the application signs its events with: each public key is
published as an event (so the record says which keys may sign it, and from when) and can be
retired (so a key that leaks cannot sign anything recorded after its retirement)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.envelope import BackofficeAggregate, Envelope
from domain.errors import ValidationError

ALGORITHM = "ed25519"
KEY_ID = re.compile(r"^ed25519:[0-9a-f]{16}$")


def key_id_for(public_key: bytes) -> str:
    """A key's id: its algorithm and the first 16 hex digits of the SHA-256 of its raw bytes,
    so that an id names exactly one public key."""
    return f"{ALGORITHM}:{hashlib.sha256(public_key).hexdigest()[:16]}"


def decode_public_key(text: str) -> bytes:
    """The raw 32 bytes of an Ed25519 public key given as base64."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("public key must be base64", "publicKey") from None
    if len(raw) != 32:
        raise ValidationError("an Ed25519 public key is 32 bytes", "publicKey")
    return raw


def signing_key_id(key_id: str) -> UUID:
    """The aggregate id of one key's record."""
    return uuid5(NAMESPACE_URL, f"backoffice:signing-key:{key_id}")


class SigningKey(BackofficeAggregate):
    """One signing key: published once, retired at most once."""

    class Published(BackofficeAggregate.Created):
        """The public half of a signing key was published: events may be signed with it."""

        envelope: Envelope
        key_id: str
        algorithm: str
        public_key: str

    class Retired(BackofficeAggregate.Event):
        """The key signs nothing recorded after this event."""

        envelope: Envelope

    @classmethod
    def publish(cls, envelope: Envelope, key_id: str, public_key: str) -> SigningKey:
        """Publish a public key (base64 of the raw 32 bytes) under its id."""
        raw = decode_public_key(public_key)
        if not KEY_ID.match(key_id) or key_id != key_id_for(raw):
            raise ValidationError(f"key id must be {key_id_for(raw)} for this key", "keyId")
        return cls(envelope=envelope, key_id=key_id, algorithm=ALGORITHM, public_key=public_key)

    @event(Published)
    def __init__(self, envelope: Envelope, key_id: str, algorithm: str, public_key: str) -> None:
        self.key_id = key_id
        self.public_key = public_key
        self.retired = False

    @staticmethod
    def create_id(key_id: str, **_: object) -> UUID:
        """Derived from the key id, so a key is published at most once."""
        return signing_key_id(key_id)

    def retire(self, envelope: Envelope) -> None:
        """Stop the key from signing anything recorded from now on."""
        if self.retired:
            raise ValidationError(f"key {self.key_id} is already retired", "keyId")
        self._retired(envelope=envelope)

    @event(Retired)
    def _retired(self, envelope: Envelope) -> None:
        self.retired = True
