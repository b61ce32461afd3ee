"""``backoffice instruments``: the instrument reference catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import JsonFlag, emit_json, fail, group, open_configured, out, progress
from api.instruments_csv import SAMPLE_INSTRUMENTS, InstrumentFileError, read_instruments
from domain.errors import DomainError

instruments_cli = group("instruments", "The instrument reference catalogue.")


@instruments_cli.command("load")
def instruments_load(
    file: Annotated[
        Path | None,
        typer.Argument(help="CSV: code,name,board,risk_level,board_lot,status,restricted."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Load (list or revise) instruments from a CSV; default: the shipped sample catalogue."""
    path = file or SAMPLE_INSTRUMENTS
    try:
        rows = read_instruments(path)
    except InstrumentFileError as exc:
        raise fail(str(exc), 2) from None
    runtime = open_configured()
    counts = {"recorded": 0, "unchanged": 0}
    position = 0
    try:
        with progress() as bar:
            task = bar.add_task(f"loading {path.name}", total=len(rows))
            for line, command in rows:
                try:
                    result = runtime.system(command, f"catalogue loaded from {path.name}")
                except DomainError as exc:
                    raise fail(f"{path}:{line}: {exc.message}", 2) from None
                if not result.changed:
                    counts["unchanged"] += 1
                else:
                    counts["recorded"] += 1
                    position = max(position, result.position or 0)
                bar.advance(task)
        runtime.runner.sync(position)
    finally:
        runtime.close()
    if as_json:
        emit_json({"file": path, **counts})
        return
    out.print(
        f"{counts['recorded']} instrument(s) listed or revised, {counts['unchanged']} unchanged"
    )
