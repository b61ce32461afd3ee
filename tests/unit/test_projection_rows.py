"""The row helpers every read model's evolve functions use."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from projections.base import replace, row_values, to_json


@dataclass(frozen=True)
class _Row:
    id: int
    name: str
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Checked:
    amount: int

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("negative")


def test_replace_gives_what_dataclasses_replace_gives_and_leaves_the_row_alone() -> None:
    row = _Row(1, "a", ["x"])
    changed = replace(row, name="b")
    assert changed == dataclasses.replace(row, name="b") == _Row(1, "b", ["x"])
    assert row == _Row(1, "a", ["x"]) and type(changed) is _Row
    with pytest.raises(dataclasses.FrozenInstanceError):
        changed.name = "c"  # type: ignore[misc]


def test_replace_refuses_a_name_that_is_not_a_field() -> None:
    with pytest.raises(TypeError):
        replace(_Row(1, "a"), nmae="b")


def test_replace_still_runs_a_rows_own_checks() -> None:
    with pytest.raises(ValueError, match="negative"):
        replace(_Checked(1), amount=-1)


def test_row_values_and_to_json_read_every_column() -> None:
    row = _Row(1, "a", ["x"])
    assert row_values(row) == dataclasses.asdict(row)
    assert to_json(row) == {"id": 1, "name": "a", "tags": ["x"]}
