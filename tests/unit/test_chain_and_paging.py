"""Value-level pieces of the read and audit paths."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.chain import GENESIS, Digest, row_hash, throttled
from domain.periods import period_bounds
from projections.paging import (
    MAX_PAGE,
    BadCursor,
    check_first,
    decode_cursor,
    encode_cursor,
    like_prefix,
)


def test_a_row_hash_depends_on_every_stored_field_and_the_previous_hash() -> None:
    oid = uuid.uuid4()
    base = row_hash(GENESIS, 1, oid, 1, "t", b"state")
    variants = [
        row_hash(b"\x01" * 32, 1, oid, 1, "t", b"state"),
        row_hash(GENESIS, 2, oid, 1, "t", b"state"),
        row_hash(GENESIS, 1, uuid.uuid4(), 1, "t", b"state"),
        row_hash(GENESIS, 1, oid, 2, "t", b"state"),
        row_hash(GENESIS, 1, oid, 1, "u", b"state"),
        row_hash(GENESIS, 1, oid, 1, "t", b"statf"),
        # Length prefixes keep the topic/state boundary unambiguous.
        row_hash(GENESIS, 1, oid, 1, "ts", b"tate"),
    ]
    assert len({base, *variants}) == len(variants) + 1


def test_a_throttled_progress_reports_the_first_row_then_only_the_end() -> None:
    seen: list[int] = []
    tick = throttled(seen.append, interval=3600)
    for done in range(1, 100_001):
        tick(done)
    tick(100_000, final=True)
    tick(100_000, final=True)
    assert seen == [1, 100_000]


def test_a_throttled_progress_reports_again_once_its_interval_has_passed() -> None:
    seen: list[int] = []
    tick = throttled(seen.append, interval=0)
    for done in range(1, 4):
        tick(done)
    tick(3, final=True)
    assert seen == [1, 2, 3]


@pytest.mark.parametrize("text", ["", "12", "x:" + "0" * 64, "1:abc", "1:" + "z" * 64])
def test_a_malformed_digest_is_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        Digest.parse(text)


def test_a_digest_round_trips_through_its_text() -> None:
    d = Digest(42, "ab" * 32)
    assert Digest.parse(str(d)) == d


@given(st.lists(st.one_of(st.text(), st.integers()), min_size=1, max_size=4))
def test_a_cursor_round_trips_its_key(key: list[object]) -> None:
    assert decode_cursor(encode_cursor(key)) == key


@given(st.text(alphabet="!@#$%^&*()", min_size=1))
def test_text_that_is_not_a_cursor_is_refused(text: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(text)


@pytest.mark.parametrize("first", [1, MAX_PAGE])
def test_a_page_holds_between_one_and_the_maximum_rows(first: int) -> None:
    assert check_first(first) == first


@pytest.mark.parametrize("first", [0, -1, MAX_PAGE + 1])
def test_a_page_size_outside_the_bounds_is_refused(first: int) -> None:
    with pytest.raises(ValueError):
        check_first(first)


@pytest.mark.parametrize(
    ("prefix", "pattern"),
    [("张", "张%"), ("50%_off", "50\\%\\_off%"), ("a\\b", "a\\\\b%"), ("", None), (None, None)],
)
def test_a_name_prefix_matches_literally(prefix: str | None, pattern: str | None) -> None:
    assert like_prefix(prefix) == pattern


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026", (2026, 1, 1), (2027, 1, 1)),
        ("2026-q4", (2026, 10, 1), (2027, 1, 1)),
        ("2026-12", (2026, 12, 1), (2027, 1, 1)),
        ("2026-02", (2026, 2, 1), (2026, 3, 1)),
    ],
)
def test_a_period_names_its_calendar_bounds(
    period: str, start: tuple[int, int, int], end: tuple[int, int, int]
) -> None:
    assert period_bounds(period) == (date(*start), date(*end))


@pytest.mark.parametrize("period", ["26", "2026-13", "2026-Q5", "last year"])
def test_a_malformed_period_is_refused(period: str) -> None:
    with pytest.raises(ValueError):
        period_bounds(period)
