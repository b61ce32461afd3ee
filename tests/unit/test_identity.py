"""Identity documents: the published examples, and properties over generated numbers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.identity import (
    USCC_ALPHABET,
    DocumentType,
    parse_document,
    resident_id_check_char,
    uscc_check_char,
)

TODAY = date(2026, 11, 22)


def test_the_design_documents_example_id_is_valid() -> None:
    doc = parse_document("resident_id", "11010519491231002x", TODAY)
    assert doc.number == "11010519491231002X"
    assert doc.birth_date == date(1949, 12, 31)
    assert doc.masked == "**************002X"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "check digit"),
        ("110105194902300023", "not a real date"),
        ("11010520301231002X", "in the future"),
        ("11010519491231002", "17 digits"),
    ],
)
def test_a_bad_resident_id_is_refused_with_the_reason(number: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as caught:
        parse_document("resident_id", number, TODAY)
    assert caught.value.field == "documentNumber"


def _assert_changed_number_fails(kind: str, number: str, position: int, replacement: str) -> None:
    mutated = number[:position] + replacement + number[position + 1 :]
    if mutated != number:
        with pytest.raises(ValidationError):
            parse_document(kind, mutated, TODAY)


resident_ids = st.builds(
    lambda region, born, seq: f"{region}{born:%Y%m%d}{seq:03d}",
    st.integers(110000, 659999),
    st.dates(date(1900, 1, 1), TODAY),
    st.integers(0, 999),
).map(lambda first17: first17 + resident_id_check_char(first17))


@given(resident_ids)
def test_every_generated_valid_resident_id_passes(number: str) -> None:
    assert parse_document("resident_id", number, TODAY).number == number


@given(resident_ids, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_every_single_character_change_of_a_resident_id_fails(
    number: str, position: int, replacement: str
) -> None:
    _assert_changed_number_fails("resident_id", number, position, replacement)


usccs = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17).map(
    lambda first17: first17 + uscc_check_char(first17)
)


def test_a_published_credit_code_is_valid() -> None:
    assert parse_document("uscc", "91350100M000100Y43", TODAY).type is DocumentType.USCC


@given(usccs)
def test_every_generated_valid_credit_code_passes(code: str) -> None:
    assert parse_document("uscc", code, TODAY).number == code


@given(usccs, st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_every_single_character_change_of_a_credit_code_fails(
    code: str, position: int, replacement: str
) -> None:
    _assert_changed_number_fails("uscc", code, position, replacement)


def test_a_legacy_id_encodes_a_twentieth_century_birth_date() -> None:
    assert parse_document("resident_id_legacy", "110105491231002", TODAY).birth_date == date(
        1949, 12, 31
    )


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("passport", "E12345678", "E1"),
        ("hk_macau_permit", "H12345678", "X12345678"),
        ("taiwan_permit", "12345678", "1234567"),
    ],
)
def test_other_documents_are_checked_for_their_shape(kind: str, good: str, bad: str) -> None:
    assert parse_document(kind, good, TODAY).number == good
    with pytest.raises(ValidationError):
        parse_document(kind, bad, TODAY)


def test_an_unknown_document_type_names_the_type_field() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_document("library_card", "1", TODAY)
    assert caught.value.field == "documentType"


def test_a_birth_date_of_today_is_accepted_and_tomorrow_is_not() -> None:
    first17 = f"110105{TODAY:%Y%m%d}001"
    parse_document("resident_id", first17 + resident_id_check_char(first17), TODAY)
    tomorrow = TODAY + timedelta(days=1)
    first17 = f"110105{tomorrow:%Y%m%d}001"
    with pytest.raises(ValidationError, match="future"):
        parse_document("resident_id", first17 + resident_id_check_char(first17), TODAY)
