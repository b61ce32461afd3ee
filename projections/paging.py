"""Keyset pagination with opaque cursors (never OFFSET)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from psycopg import Cursor
from psycopg.rows import DictRow

T = TypeVar("T")

MAX_PAGE = 200


class BadCursor(ValueError):
    """A cursor that this service did not hand out."""


def encode_cursor(key: list[Any]) -> str:
    """An opaque cursor for the sort key of a row."""
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode()


def decode_cursor(cursor: str) -> list[Any]:
    """The sort key inside a cursor."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError):
        raise BadCursor("cursor is not one this service handed out") from None
    if not isinstance(value, list):
        raise BadCursor("cursor is not one this service handed out")
    return value


def check_first(first: int) -> int:
    """A page size within bounds."""
    if first < 1 or first > MAX_PAGE:
        raise ValueError(f"first must be between 1 and {MAX_PAGE}")
    return first


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows and where the next begins."""

    items: list[T]
    end_cursor: str | None
    has_next_page: bool


@dataclass(frozen=True)
class Key:
    """One column of a list's sort key, and how to read its value back from a cursor."""

    column: str
    parse: Callable[[str], Any] = str


def keyset(
    curs: Cursor[DictRow],
    *,
    table: str,
    columns: Sequence[str],
    where: Sequence[tuple[str, Any]],
    order: Sequence[Key],
    first: int,
    after: str | None,
) -> Page[DictRow]:
    """One page of ``table`` in ``order`` after the cursor ``after``: ``where`` holds SQL
    conditions with one %s each (None values are left out: "any")."""
    sql: list[str] = ["TRUE"]
    params: list[Any] = []
    for condition, value in where:
        if value is not None:
            sql.append(condition)
            params.append(value)
    keys = ", ".join(k.column for k in order)
    if after is not None:
        values = decode_cursor(after)
        if len(values) != len(order):
            raise BadCursor("cursor is not one this service handed out")
        try:
            params.extend(k.parse(str(v)) for k, v in zip(order, values, strict=True))
        except ValueError:
            raise BadCursor("cursor is not one this service handed out") from None
        sql.append(f"({keys}) > ({', '.join(['%s'] * len(order))})")
    curs.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE {' AND '.join(sql)}"  # noqa: S608
        f" ORDER BY {keys} LIMIT %s",
        [*params, check_first(first) + 1],
    )
    rows = curs.fetchall()
    page = rows[:first]
    end = encode_cursor([_cursor_value(page[-1][k.column]) for k in order]) if page else None
    return Page(page, end, len(rows) > first)


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def like_prefix(prefix: str | None) -> str | None:
    """A LIKE pattern matching text that starts with ``prefix`` (wildcards escaped)."""
    if not prefix:
        return None
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
