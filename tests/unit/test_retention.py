"""Retention rules: clocks, presets (the longest wins), legal holds."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from domain.envelope import Envelope
from domain.errors import ValidationError
from domain.retention import (
    PRESETS,
    LegalHold,
    RecordClass,
    earliest_removal,
    hold_id,
    parse_presets,
)


def env() -> Envelope:
    return Envelope(
        uuid.uuid4(),
        "head_office",
        "HQ",
        uuid.uuid4(),
        uuid.uuid4(),
        datetime(2026, 11, 23, tzinfo=UTC),
        "case 17",
    )


def test_pboc_2007_counts_five_years_from_the_end_of_the_year_booked() -> None:
    when, preset = earliest_removal(
        ["pboc-2007"], RecordClass.ORDERS_TRADES, date(2026, 3, 5), None
    )
    assert (when, preset) == (date(2032, 1, 1), "pboc-2007")


def test_identity_waits_for_the_end_of_the_relationship() -> None:
    assert earliest_removal(["pboc-2007"], RecordClass.CLIENT_IDENTITY, date(2020, 1, 1), None) == (
        None,
        "pboc-2007",
    )
    assert earliest_removal(
        ["pboc-2007"], RecordClass.CLIENT_IDENTITY, date(2020, 1, 1), date(2024, 6, 30)
    ) == (date(2030, 1, 1), "pboc-2007")


def test_where_several_presets_apply_the_longest_wins() -> None:
    when, preset = earliest_removal(
        ["eu-mifid", "cn-2025", "pboc-2007"], RecordClass.ORDERS_TRADES, date(2026, 3, 5), None
    )
    assert (when, preset) == (date(2046, 3, 5), "cn-2025")


def test_every_preset_covers_every_record_class() -> None:
    for rules in PRESETS.values():
        assert set(rules) == set(RecordClass)


def test_unknown_presets_are_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="gdpr"):
        parse_presets(["pboc-2007", "gdpr"])


def test_a_hold_is_lifted_once_and_can_be_placed_again() -> None:
    subject = uuid.uuid4()
    hold = LegalHold(envelope=env(), hold_id=hold_id(subject), subject_id=subject)
    with pytest.raises(ValidationError):
        hold.place_again(env())
    hold.lift(env())
    with pytest.raises(ValidationError):
        hold.lift(env())
    hold.place_again(env())
    assert hold.active
