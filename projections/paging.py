"""Keyset pagination with opaque cursors (never OFFSET)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

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
