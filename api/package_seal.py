"""Signatures of reconstruction packages: the manifest (which holds every file's SHA-256 and
the chain head) is signed with the service's current key, and carries the newest signed
checkpoint and the public key, so a package can be proven offline against a signature and a
keyring, not only against its own manifest."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.checkpoints import Checkpoint
from api.signing import ActiveKey, public_key_b64, verifies
from domain.keys import ALGORITHM, key_id_for

SIGNATURE = "signature.json"


@dataclass(frozen=True)
class Seal:
    """What signs a package: the service's current key, and the newest signed checkpoint,
    which the package carries so it can be proven offline against a signature."""

    key: ActiveKey
    checkpoint: Checkpoint | None

    def describe(self, manifest: dict[str, Any]) -> None:
        """Add the signing key and the checkpoint to the manifest (before it is signed)."""
        manifest["signing_key"] = {
            "key_id": self.key.key_id,
            "algorithm": ALGORITHM,
            "public_key": public_key_b64(self.key.public_key),
        }
        manifest["checkpoint"] = None if self.checkpoint is None else self.checkpoint.to_json()

    def sign(self, out_dir: Path, manifest_bytes: bytes) -> None:
        """Write signature.json: the signature of manifest.json's exact bytes."""
        signature = {
            "key_id": self.key.key_id,
            "signature": base64.b64encode(self.key.sign(manifest_bytes)).decode("ascii"),
            "signs": "manifest.json",
        }
        (out_dir / SIGNATURE).write_text(json.dumps(signature, indent=2), encoding="utf-8")


def check_seal(
    directory: Path, manifest: dict[str, Any], trusted: Mapping[str, bytes] | None
) -> tuple[list[str], list[str]]:
    """Problems and notes from the manifest's signature and the checkpoint it carries."""
    problems: list[str] = []
    notes: list[str] = []
    try:
        signature = json.loads((directory / SIGNATURE).read_text(encoding="utf-8"))
        claimed = manifest["signing_key"]
        public = base64.b64decode(claimed["public_key"])
        signed = base64.b64decode(signature["signature"])
    except (OSError, ValueError, KeyError, TypeError):
        return ["the package is not signed (signature.json missing or unreadable)"], notes
    key_id = str(claimed["key_id"])
    if signature.get("key_id") != key_id or key_id != key_id_for(public):
        return [f"the signing key in the manifest is not key {signature.get('key_id')}"], notes
    if trusted is None:
        notes.append(f"signed by key {key_id}: pass --keys with a keyring to anchor it")
    elif trusted.get(key_id) != public:
        problems.append(f"signed by key {key_id}, which is not among the trusted keys")
    if not verifies(public, signed, (directory / "manifest.json").read_bytes()):
        problems.append("the manifest's signature does not match it")
    if manifest.get("checkpoint"):
        cp = Checkpoint.from_json(manifest["checkpoint"])
        keys = {key_id: public, **(trusted or {})}
        cp_key = keys.get(cp.key_id)
        if cp_key is None:
            problems.append(f"the checkpoint is signed by key {cp.key_id}, which is not trusted")
        elif not cp.verifies(cp_key):
            problems.append("the checkpoint's signature does not match it")
        else:
            notes.append(f"signed checkpoint {cp} included")
    return problems, notes
