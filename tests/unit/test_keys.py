"""Signing keys: the registry aggregate, and the exact bytes that are signed."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.checkpoints import Checkpoint
from api.signing import ActiveKey, KeyStore, event_message, verifies
from domain.errors import Code, ValidationError
from domain.keys import (
    PublishSigningKey,
    RetireSigningKey,
    SigningKey,
    key_id_for,
    signing_key_id,
)
from tests.harness import Domain

NOW = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)


def public() -> tuple[str, str]:
    raw = ActiveKey("ed25519:0000000000000000", Ed25519PrivateKey.generate()).public_key
    return key_id_for(raw), base64.b64encode(raw).decode()


def test_publishing_a_key_records_it_under_an_id_derived_from_it() -> None:
    d = Domain()
    key_id, text = public()
    d.run(PublishSigningKey(key_id=key_id, public_key=text))
    (event,) = d.events(signing_key_id(key_id))
    assert isinstance(event, SigningKey.Published)
    assert (event.key_id, event.algorithm, event.public_key) == (key_id, "ed25519", text)


def test_publishing_a_key_again_records_nothing() -> None:
    d = Domain()
    key_id, text = public()
    d.run(PublishSigningKey(key_id=key_id, public_key=text))
    assert not d.run(PublishSigningKey(key_id=key_id, public_key=text)).changed


@pytest.mark.parametrize(
    ("key_id", "text", "field"),
    [
        ("ed25519:0123456789abcdef", None, "keyId"),  # not this key's id
        (None, "not base64!", "publicKey"),
        (None, base64.b64encode(b"short").decode(), "publicKey"),
    ],
)
def test_a_key_that_is_not_what_it_claims_is_refused(
    key_id: str | None, text: str | None, field: str
) -> None:
    real_id, real_text = public()
    with pytest.raises(ValidationError) as caught:
        Domain().run(PublishSigningKey(key_id=key_id or real_id, public_key=text or real_text))
    assert caught.value.field == field


def test_a_key_is_retired_once_and_with_a_reason() -> None:
    d = Domain()
    key_id, text = public()
    d.run(PublishSigningKey(key_id=key_id, public_key=text))
    with pytest.raises(ValidationError) as no_reason:
        d.run(RetireSigningKey(key_id=key_id))
    assert no_reason.value.reason is Code.REASON_REQUIRED
    d.run(RetireSigningKey(key_id=key_id), reason="rotated out")
    assert isinstance(d.last(signing_key_id(key_id)), SigningKey.Retired)
    with pytest.raises(ValidationError) as again:
        d.run(RetireSigningKey(key_id=key_id), reason="again")
    assert again.value.reason is Code.INVALID_STATE


def test_an_event_signature_covers_every_field_of_the_row() -> None:
    signer = ActiveKey("ed25519:0123456789abcdef", Ed25519PrivateKey.generate())
    oid = uuid.uuid4()
    row = {
        "key_id": signer.key_id,
        "notification_id": 7,
        "originator_id": oid,
        "originator_version": 2,
        "topic": "t",
        "state": b"{}",
        "chain_hash": b"\1" * 32,
        "command": b"\2" * 32,
    }
    signature = signer.sign(event_message(**row))  # type: ignore[arg-type]
    assert verifies(signer.public_key, signature, event_message(**row))  # type: ignore[arg-type]
    for name, other in [
        ("key_id", "ed25519:fedcba9876543210"),
        ("notification_id", 8),
        ("originator_id", uuid.uuid4()),
        ("originator_version", 3),
        ("topic", "u"),
        ("state", b"{ }"),
        ("chain_hash", b"\0" * 32),
        ("command", None),
    ]:
        changed = event_message(**(row | {name: other}))  # type: ignore[arg-type]
        assert not verifies(signer.public_key, signature, changed), name


def test_a_checkpoint_round_trips_through_json_and_still_verifies() -> None:
    signer = ActiveKey("ed25519:0123456789abcdef", Ed25519PrivateKey.generate())
    checkpoint = Checkpoint.sign(signer, 42, b"\3" * 32, NOW)
    again = Checkpoint.from_json(checkpoint.to_json())
    assert again == checkpoint and again.verifies(signer.public_key)
    moved = Checkpoint(43, again.chain_hash, again.recorded_at, again.key_id, again.signature)
    assert not moved.verifies(signer.public_key)


def test_key_files_are_written_once_with_mode_0600(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    key_id = keys.create()
    keys.set_current(key_id)
    (path,) = (tmp_path / "keys").glob("*.pem")
    assert path.stat().st_mode & 0o777 == 0o600
    assert keys.active().key_id == key_id == key_id_for(keys.public_keys()[key_id])


def test_a_signature_made_by_the_signing_side_verifies_on_the_checking_side() -> None:
    # Signed by OpenSSL (cryptography), checked by libsodium (PyNaCl): standard Ed25519 both.
    signer = ActiveKey("ed25519:0123456789abcdef", Ed25519PrivateKey.generate())
    message = b"backoffice/event-signature/1\n" + bytes(range(256)) * 3
    signature = signer.sign(message)
    assert verifies(signer.public_key, signature, message)
    for at in (0, 31, 32, 63):  # R and S halves
        forged = bytearray(signature)
        forged[at] ^= 1
        assert not verifies(signer.public_key, bytes(forged), message), at
    assert not verifies(signer.public_key, signature, message[:-1] + b"\0")
    assert not verifies(signer.public_key, signature[:-1], message)  # too short
    assert not verifies(signer.public_key[:-1], signature, message)  # not a key
    other = ActiveKey("ed25519:fedcba9876543210", Ed25519PrivateKey.generate())
    assert not verifies(other.public_key, signature, message)
