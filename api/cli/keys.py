"""``backoffice keys``: the keys the service signs events with — listed, exported as a
keyring for auditors, rotated, retired."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import JsonFlag, emit_json, err, fail, group, open_configured, out, table
from api.runtime import publish_current_key
from api.settings import get_settings
from api.signing import KeyStore, keyring_json, public_key_b64, published_keys
from domain.errors import DomainError
from domain.keys import PublishSigningKey, RetireSigningKey

keys_cli = group("keys", "The keys the service signs events with.")


@keys_cli.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """The keys published in the store, and which of them this host holds."""
    runtime = open_configured()
    try:
        published = published_keys(runtime.app)
        held = set(runtime.keys.key_ids())
        current = runtime.keys.current_id()
    finally:
        runtime.close()
    if as_json:
        emit_json(
            [
                {
                    "key_id": k["key_id"],
                    "published_at": k["published_at"],
                    "retired_at": k["retired_at"],
                    "held_here": k["key_id"] in held,
                    "current": k["key_id"] == current,
                }
                for k in published
            ]
        )
        return
    grid = table("key", "published at", "retired at", "here")
    for k in published:
        here = "current" if k["key_id"] == current else ("yes" if k["key_id"] in held else "")
        grid.add_row(k["key_id"], str(k["published_at"]), str(k["retired_at"] or ""), here)
    out.print(grid)


@keys_cli.command("export")
def keys_export(
    out_file: Annotated[Path | None, typer.Option("--out", help="File (default: stdout).")] = None,
) -> None:
    """Export the published public keys as a keyring, for auditors (`verify --keys`)."""
    runtime = open_configured()
    try:
        text = keyring_json(published_keys(runtime.app))
    finally:
        runtime.close()
    if out_file is None:
        out.print(text, markup=False, highlight=False)
    else:
        out_file.write_text(text + "\n", encoding="utf-8")
        err.print(f"keyring written to {out_file}")


@keys_cli.command("rotate")
def keys_rotate(
    lost: Annotated[
        bool,
        typer.Option(help="The current key is lost: start a new one, published unendorsed."),
    ] = False,
) -> None:
    """Create a new signing key, publish it in an event signed by the current key (so
    auditors can follow the rotation), then sign everything new with it."""
    settings = get_settings()
    keys = KeyStore(settings.key_directory)
    if lost:
        keys.set_current(keys.create())
        runtime = open_configured()
        runtime.close()
        out.print(f"new signing key {keys.current_id()} (not endorsed by an earlier key)")
        return
    runtime = open_configured()
    try:
        old = runtime.keys.active().key_id
        new = keys.create()
        public = KeyStore(settings.key_directory).public_keys()[new]
        runtime.system(
            PublishSigningKey(key_id=new, public_key=public_key_b64(public)),
            f"key rotation: {old} endorses {new}",
        )
        keys.set_current(new)
        publish_current_key(runtime, "signing key in use by this service")
    except DomainError as exc:
        raise fail(exc.message, 2) from None
    finally:
        runtime.close()
    out.print(f"signing key {new} is current; {old} signs nothing new (retire it when unused)")


@keys_cli.command("retire")
def keys_retire(
    key_id: Annotated[str, typer.Argument(help="e.g. ed25519:0123456789abcdef")],
    reason: Annotated[str, typer.Option(help="Why (recorded).")],
) -> None:
    """Record that a key signs nothing from now on (verify refuses its later signatures)."""
    runtime = open_configured()
    try:
        if key_id == runtime.keys.current_id():
            raise fail("that key is current: rotate first", 2)
        runtime.system(RetireSigningKey(key_id=key_id), reason)
    except DomainError as exc:
        raise fail(exc.message, 2) from None
    finally:
        runtime.close()
    out.print(f"key {key_id} retired")
