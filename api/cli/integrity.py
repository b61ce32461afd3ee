"""``backoffice verify`` and ``digest``: the hash chain."""

from __future__ import annotations

from typing import Annotated

import typer

from api import chain
from api.cli.common import cli, fail, out, progress
from api.database import resolve
from api.settings import get_settings


@cli.command()
def verify(
    digest: Annotated[
        str | None, typer.Option("--digest", help="ID:HASH printed earlier by `digest`.")
    ] = None,
) -> None:
    """Recompute the hash chain of the whole store; name the first broken position."""
    settings = get_settings()
    database = resolve(settings.database_url, settings.backoffice_home)
    try:
        expect = chain.Digest.parse(digest) if digest else None
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    with progress() as bar:
        task = bar.add_task("verifying", total=chain.total(database))
        result = chain.verify(
            database, expect=expect, progress=lambda n: bar.update(task, completed=n)
        )
    if not result.intact:
        raise fail(f"chain broken at notification id {result.broken_at}: {result.problem}")
    head = result.head or chain.Digest(0, chain.GENESIS.hex())
    out.print(f"intact: {result.count} events; head {head}")
    if expect is not None:
        out.print(f"digest {expect} proven")


@cli.command()
def digest() -> None:
    """Print the current (notification id, head hash) as ID:HASH."""
    settings = get_settings()
    found = chain.digest(resolve(settings.database_url, settings.backoffice_home))
    out.print(str(found) if found else f"0:{chain.GENESIS.hex()}")
