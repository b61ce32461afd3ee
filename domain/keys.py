"""The registry of the keys the application signs its events with: each public key is
published as an event (so the record says which keys may sign it, and from when) and can be
retired (so a key that leaks cannot sign anything recorded after its retirement)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.access import Permission
from domain.commands import Command, Decision, command
from domain.envelope import BackofficeAggregate, Envelope
from domain.errors import Code, ValidationError
from domain.fields import Text

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
        raise ValidationError(
            "public key must be base64", "publicKey", Code.INVALID_FORMAT
        ) from None
    if len(raw) != 32:
        raise ValidationError("an Ed25519 public key is 32 bytes", "publicKey", Code.INVALID_FORMAT)
    return raw


def signing_key_id(key_id: str) -> UUID:
    """The aggregate id of one key's record."""
    return uuid5(NAMESPACE_URL, f"backoffice:signing-key:{key_id}")


class SigningKey(BackofficeAggregate):
    """One signing key: published once, retired at most once."""

    def __init__(self) -> None:
        self.key_id = ""
        self.public_key = ""
        self.retired = False

    class Published(BackofficeAggregate.Created):
        """The public half of a signing key was published: events may be signed with it."""

        envelope: Envelope
        key_id: str
        algorithm: str
        public_key: str

        def apply(self, k: SigningKey) -> None:
            k.key_id, k.public_key = self.key_id, self.public_key

    class Retired(BackofficeAggregate.Event):
        """The key signs nothing recorded after this event."""

        envelope: Envelope

        def apply(self, k: SigningKey) -> None:
            k.retired = True

    @staticmethod
    def create_id(key_id: str, **_: object) -> UUID:
        """Derived from the key id, so a key is published at most once."""
        return signing_key_id(key_id)


KeyId = Annotated[
    str,
    Text(
        24,
        "A signing key's id: ed25519: and 16 hex digits of its SHA-256.",
        pattern=KEY_ID.pattern.strip("^$"),
        shape="ed25519:<16 hex digits>",
    ),
]
PublicKey = Annotated[str, Text(64, "An Ed25519 public key: base64 of its 32 raw bytes.")]


@command("publish_signing_key", Permission.MANAGE_SIGNING_KEYS)
class PublishSigningKey(Command):
    """Publish a signing key's public half (nothing is recorded when it is already published)."""

    key_id: KeyId
    public_key: PublicKey

    def decide(self, d: Decision[SigningKey]) -> SigningKey:
        raw = decode_public_key(self.public_key)
        if self.key_id != key_id_for(raw):
            raise ValidationError(
                f"key id must be {key_id_for(raw)} for this key", "keyId", Code.INVALID_FORMAT
            )
        found = d.find(SigningKey, signing_key_id(self.key_id))
        if found is not None:
            return found
        return d.new(
            SigningKey,
            SigningKey.Published,
            key_id=self.key_id,
            algorithm=ALGORITHM,
            public_key=self.public_key,
        )


@command("retire_signing_key", Permission.MANAGE_SIGNING_KEYS, reason=True)
class RetireSigningKey(Command):
    """Retire a signing key: nothing recorded after this may carry its signature."""

    key_id: KeyId

    def decide(self, d: Decision[SigningKey]) -> SigningKey:
        key = d.get(SigningKey, signing_key_id(self.key_id), "keyId")
        if key.retired:
            raise ValidationError(
                f"key {self.key_id} is already retired", "keyId", Code.INVALID_STATE
            )
        d.record_on(key, SigningKey.Retired)
        return key
