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


@dataclass(frozen=True)
class Ordering:
    """One sort a list offers: its name, carried in every cursor it hands out (so a cursor of
    one ordering is refused by another), its key columns (unique together), and a direction
    shared by all of them (so that one row comparison finds the next page)."""

    name: str
    keys: tuple[Key, ...]
    descending: bool = False

    def sql(self) -> str:
        """The ORDER BY list."""
        direction = " DESC" if self.descending else ""
        return ", ".join(k.column + direction for k in self.keys)


def conditions(where: Sequence[tuple[str, Any]]) -> tuple[list[str], list[Any]]:
    """The SQL conditions whose value is given (None means "any"); the value fills every %s
    of its condition."""
    sql: list[str] = ["TRUE"]
    params: list[Any] = []
    for condition, value in where:
        if value is not None:
            sql.append(condition)
            params.extend([value] * condition.count("%s"))
    return sql, params


def _after(order: Sequence[Key] | Ordering, after: str) -> tuple[str, list[Any]]:
    """The condition (and its values) that starts a page after the cursor ``after``."""
    keys = order.keys if isinstance(order, Ordering) else tuple(order)
    values = decode_cursor(after)
    if isinstance(order, Ordering):
        if not values or values[0] != order.name:
            raise BadCursor(f"this cursor was handed out for another order, not {order.name}")
        values = values[1:]
    if len(values) != len(keys):
        raise BadCursor("cursor is not one this service handed out")
    try:
        params = [k.parse(str(v)) for k, v in zip(keys, values, strict=True)]
    except ValueError:
        raise BadCursor("cursor is not one this service handed out") from None
    columns = ", ".join(k.column for k in keys)
    compare = "<" if isinstance(order, Ordering) and order.descending else ">"
    return f"({columns}) {compare} ({', '.join(['%s'] * len(keys))})", params


def _end(order: Sequence[Key] | Ordering, row: DictRow) -> str:
    keys = order.keys if isinstance(order, Ordering) else tuple(order)
    values = [_cursor_value(row[k.column]) for k in keys]
    return encode_cursor([order.name, *values] if isinstance(order, Ordering) else values)


def keyset(
    curs: Cursor[DictRow],
    *,
    table: str,
    columns: Sequence[str],
    where: Sequence[tuple[str, Any]],
    order: Sequence[Key] | Ordering,
    first: int,
    after: str | None,
) -> Page[DictRow]:
    """One page of ``table`` in ``order`` after the cursor ``after``: ``where`` holds SQL
    conditions and their values (None values are left out: "any")."""
    sql, params = conditions(where)
    if after is not None:
        condition, values = _after(order, after)
        sql.append(condition)
        params.extend(values)
    by = order.sql() if isinstance(order, Ordering) else ", ".join(k.column for k in order)
    curs.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE {' AND '.join(sql)}"  # noqa: S608
        f" ORDER BY {by} LIMIT %s",
        [*params, check_first(first) + 1],
    )
    rows = curs.fetchall()
    page = rows[:first]
    return Page(page, _end(order, page[-1]) if page else None, len(rows) > first)


def keyset_each(
    curs: Cursor[DictRow],
    *,
    table: str,
    columns: Sequence[str],
    where: Sequence[tuple[str, Any]],
    each: tuple[str, str, Sequence[Any]],
    order: Ordering,
    first: int,
    after: str | None,
) -> dict[Any, Page[DictRow]]:
    """The same page of ``table`` for each of many parents, in one statement: ``each`` is
    (column, its SQL type, the parents' values); every parent's page starts after ``after``
    (a nested list, e.g. each client's orders)."""
    column, sql_type, values = each
    sql, params = conditions(where)
    if after is not None:
        condition, start = _after(order, after)
        sql.append(condition)
        params.extend(start)
    curs.execute(
        f"SELECT {', '.join('t.' + c for c in columns)} FROM unnest(%s::{sql_type}[]) AS p(v)"  # noqa: S608
        f" CROSS JOIN LATERAL (SELECT {', '.join(columns)} FROM {table}"
        f" WHERE {column} = p.v AND {' AND '.join(sql)} ORDER BY {order.sql()} LIMIT %s) AS t",
        [list(values), *params, check_first(first) + 1],
    )
    grouped: dict[Any, list[DictRow]] = {v: [] for v in values}
    for row in curs.fetchall():
        grouped[row[column]].append(row)
    return {v: _page(rows, first, order) for v, rows in grouped.items()}


def _page(rows: list[DictRow], first: int, order: Ordering) -> Page[DictRow]:
    page = rows[:first]
    return Page(page, _end(order, page[-1]) if page else None, len(rows) > first)


def count(curs: Cursor[DictRow], table: str, where: Sequence[tuple[str, Any]]) -> int:
    """How many rows of ``table`` match ``where`` (every page together)."""
    sql, params = conditions(where)
    curs.execute(f"SELECT count(*) AS n FROM {table} WHERE {' AND '.join(sql)}", params)  # noqa: S608
    found = curs.fetchone()
    return int(found["n"]) if found else 0


def count_each(
    curs: Cursor[DictRow],
    table: str,
    where: Sequence[tuple[str, Any]],
    each: tuple[str, str, Sequence[Any]],
) -> dict[Any, int]:
    """How many rows of ``table`` match ``where`` for each parent (``each`` as in
    ``keyset_each``), in one statement."""
    column, sql_type, values = each
    sql, params = conditions(where)
    curs.execute(
        f"SELECT {column} AS parent, count(*) AS n FROM {table}"  # noqa: S608
        f" WHERE {column} = ANY(%s::{sql_type}[]) AND {' AND '.join(sql)} GROUP BY {column}",
        [list(values), *params],
    )
    counted = {r["parent"]: int(r["n"]) for r in curs.fetchall()}
    return {v: counted.get(v, 0) for v in values}


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def like_prefix(prefix: str | None) -> str | None:
    """A LIKE pattern matching text that starts with ``prefix`` (wildcards escaped)."""
    if not prefix:
        return None
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
