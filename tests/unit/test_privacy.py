"""``mask`` returns what it returned when it copied every value it walked through: the same
values masked the same way, for every visibility, on rows, mappings, lists and nests of them;
only where nothing is masked may the result be the very object given."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.privacy import FULL, NAMES, PERSONAL, Visibility, mask, masked_value


def _reference(value: Any, seen: Visibility, key: str = "") -> Any:
    """``mask`` as it was first written: a copy of everything it walks through."""
    if seen.everything:
        return value
    how = seen.hides(key)
    if how is not None:
        return masked_value(how, value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _reference(getattr(value, f.name), seen, f.name)
            for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, dict):
        return {k: _reference(v, seen, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_reference(v, seen, key) for v in value)
    return value


@dataclass(frozen=True)
class Inner:
    name: str | None
    mobile: str | None
    when: date = date(2024, 1, 2)


@dataclass(frozen=True)
class Row:
    id: UUID
    acting_person: str | None
    price: Decimal
    at: datetime
    tags: list[str]
    inner: Inner
    people: tuple[Inner, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


VISIBILITIES = [
    FULL,
    Visibility(personal=False),
    Visibility(personal=False, names=False),
    Visibility(personal=True, names=False),
]
KEYS = st.sampled_from([*PERSONAL, *NAMES, "amount", "note", "id"])
LEAVES = st.one_of(st.none(), st.text(max_size=12), st.integers(), st.booleans())
JSONISH = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
TEXT = st.none() | st.text(max_size=20)


@st.composite
def rows(draw: st.DrawFn) -> Row:
    people = tuple(Inner(draw(TEXT), draw(TEXT)) for _ in range(draw(st.integers(0, 2))))
    return Row(
        id=UUID(int=draw(st.integers(0, 2**64))),
        acting_person=draw(TEXT),
        price=Decimal("12.34"),
        at=datetime(2025, 1, 1, tzinfo=UTC),
        tags=draw(st.lists(st.text(max_size=5), max_size=3)),
        inner=Inner(draw(TEXT), draw(TEXT)),
        people=people,
        details=draw(st.dictionaries(KEYS, JSONISH, max_size=5)),
    )


@pytest.mark.parametrize("seen", VISIBILITIES)
@given(row=rows(), data=JSONISH)
def test_mask_shows_what_a_copy_of_everything_showed(seen: Visibility, row: Row, data: Any) -> None:
    assert mask(row, seen) == _reference(row, seen)
    assert mask(data, seen) == _reference(data, seen)
    assert mask([row, data], seen, "mobile") == _reference([row, data], seen, "mobile")
    if mask(row, seen) != row:  # something was masked: never the row itself, changed
        assert mask(row, seen) is not row
