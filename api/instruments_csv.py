"""Reading the instrument catalogue from CSV, with every bad line reported at once."""

from __future__ import annotations

import csv
from pathlib import Path

from domain.errors import ValidationError
from domain.fields import intake
from domain.instruments import UpsertInstrument

SAMPLE_INSTRUMENTS = Path(__file__).resolve().parent / "data" / "instruments.csv"
COLUMNS = ("code", "name", "board", "risk_level", "board_lot", "status", "restricted")


class InstrumentFileError(ValueError):
    """The file cannot be loaded; the message lists every problem with its line."""


def decode_csv(path: Path, data: bytes) -> str:
    """UTF-8 (with or without a BOM); else GB18030, the superset of the GBK that Excel on
    Chinese Windows saves "CSV" in; else refused, naming the line and the fix."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            line = data[: utf8.start].count(b"\n") + 1
            raise InstrumentFileError(
                f"{path}:{line}: neither UTF-8 nor GBK/GB18030 text: save the file as "
                '"CSV UTF-8" and load it again'
            ) from None


def read_instruments(path: Path) -> list[tuple[int, UpsertInstrument]]:
    """(line number, command) for every row, each checked as the command's fields check it;
    raises listing every bad line (and then nothing is loaded)."""
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise InstrumentFileError(f"cannot read {path}: {exc.strerror}") from None
    text = decode_csv(path, raw_bytes)
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS[:5] if c not in (reader.fieldnames or [])]
    if missing:
        raise InstrumentFileError(f"{path}: missing column(s): {', '.join(missing)}")
    rows: list[tuple[int, UpsertInstrument]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        try:
            try:
                lot = int(raw["board_lot"] or "")
            except ValueError:
                raise ValidationError("board_lot must be a whole number", "board_lot") from None
            restricted = (raw.get("restricted") or "false").strip().lower()
            if restricted not in ("true", "false", "1", "0", "yes", "no"):
                raise ValidationError("restricted must be true or false", "restricted")
            command = intake(
                UpsertInstrument(
                    code=raw["code"] or "",
                    name=raw["name"] or "",
                    board=(raw["board"] or "").strip().lower(),  # type: ignore[arg-type]
                    risk_level=(raw["risk_level"] or "").strip().upper(),  # type: ignore[arg-type]
                    board_lot=lot,
                    status=(raw.get("status") or "listed").strip().lower() or "listed",  # type: ignore[arg-type]
                    restricted=restricted in ("true", "1", "yes"),
                )
            )
            if command.code in seen:
                raise ValidationError(f"{command.code} appears twice", "code")
            seen.add(command.code)
            rows.append((line, command))
        except ValidationError as exc:
            problems.append(f"{path}:{line}: {exc.field}: {exc.message}")
    if problems:
        raise InstrumentFileError("\n".join(problems))
    return rows
