"""Identity documents: the published examples, properties over generated numbers, and the
document fields of the identity commands."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import clients as c
from domain.clients.identity import (
    USCC_ALPHABET,
    DocumentType,
    parse_document,
    resident_id_check_char,
    uscc_check_char,
)
from domain.errors import Code, ValidationError
from domain.fields import intake
from tests.harness import Domain

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
    assert (caught.value.field, caught.value.reason) == ("documentNumber", Code.INVALID_DOCUMENT)


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


def test_an_unknown_document_type_is_refused_by_the_field_type() -> None:
    command = c.RecordIdentity(
        client_id=uuid.uuid4(),
        real_name="张三",
        document_type="library_card",  # type: ignore[arg-type]
        document_number="1",
    )
    with pytest.raises(ValidationError) as caught:
        intake(command)
    assert (caught.value.field, caught.value.reason) == ("documentType", Code.INVALID_CHOICE)


def test_a_document_number_is_kept_without_spaces_and_upper_cased_by_its_field_type() -> None:
    command = c.RecordIdentity(
        client_id=uuid.uuid4(),
        real_name="张三",
        document_type=DocumentType.RESIDENT_ID,
        document_number=" 110105 19491231 002x ",
    )
    assert intake(command).document_number == "11010519491231002X"


def test_a_document_number_longer_than_its_field_is_refused_before_it_is_parsed() -> None:
    command = c.RecordIdentity(
        client_id=uuid.uuid4(),
        real_name="张三",
        document_type=DocumentType.PASSPORT,
        document_number="E" * 31,
    )
    with pytest.raises(ValidationError) as caught:
        intake(command)
    assert (caught.value.field, caught.value.reason) == ("documentNumber", Code.TOO_LONG)


def test_a_wrong_check_digit_is_refused_when_identity_is_recorded() -> None:
    d = Domain()
    manager = d.staff("account_manager")
    cid = uuid.uuid4()
    d.run(
        c.RegisterClient(
            client_id=cid,
            client_type=c.ClientType.INDIVIDUAL,
            name="张三",
            source_channel=c.SourceChannel.PHONE,
            account_manager=manager,
        ),
        manager,
    )
    command = c.RecordIdentity(
        client_id=cid,
        real_name="张三",
        document_type=DocumentType.RESIDENT_ID,
        document_number="110105194912310021",
    )
    with pytest.raises(ValidationError, match="check digit") as caught:
        d.run(command, manager)
    assert (caught.value.field, caught.value.reason) == ("documentNumber", Code.INVALID_DOCUMENT)
