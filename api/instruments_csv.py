"""Reading the instrument catalogue from CSV, with every bad line reported at once."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from domain.errors import ValidationError
from domain.instruments import parse_board, parse_code, parse_risk

SAMPLE_INSTRUMENTS = Path(__file__).resolve().parent / "data" / "instruments.csv"
COLUMNS = ("code", "name", "board", "risk_level", "board_lot", "status", "restricted")


class InstrumentFileError(ValueError):
    """The file cannot be loaded; the message lists every problem with its line."""


def read_instruments(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, upsert arguments) for every row; raises listing all bad lines."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InstrumentFileError(f"cannot read {path}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS[:5] if c not in (reader.fieldnames or [])]
    if missing:
        raise InstrumentFileError(f"{path}: missing column(s): {', '.join(missing)}")
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        try:
            code = parse_code(raw["code"] or "")
            if code in seen:
                raise ValidationError(f"{code} appears twice", "code")
            seen.add(code)
            parse_board(raw["board"] or "")
            parse_risk(raw["risk_level"] or "")
            try:
                lot = int(raw["board_lot"] or "")
            except ValueError:
                raise ValidationError("board_lot must be a whole number", "board_lot") from None
            restricted = (raw.get("restricted") or "false").strip().lower()
            if restricted not in ("true", "false", "1", "0", "yes", "no"):
                raise ValidationError("restricted must be true or false", "restricted")
            rows.append(
                (
                    line,
                    {
                        "code": code,
                        "name": raw["name"] or "",
                        "board": raw["board"] or "",
                        "risk_level": raw["risk_level"] or "",
                        "board_lot": lot,
                        "status": (raw.get("status") or "listed").strip() or "listed",
                        "restricted": restricted in ("true", "1", "yes"),
                    },
                )
            )
        except ValidationError as exc:
            problems.append(f"{path}:{line}: {exc.message}")
    if problems:
        raise InstrumentFileError("\n".join(problems))
    return rows
