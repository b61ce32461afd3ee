"""Retention rules: clocks, presets (the longest wins), legal holds."""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

import pytest

from domain.errors import Code, NotFound, ValidationError
from domain.retention import (
    POLICY_ID,
    PRESETS,
    LegalHold,
    LiftLegalHold,
    PlaceLegalHold,
    RecordClass,
    RetentionPolicy,
    SetRetentionPresets,
    earliest_removal,
    hold_id,
    parse_presets,
)
from tests.harness import Domain


def compliance() -> tuple[Domain, UUID, UUID]:
    """A store with a head-office compliance officer and a subject to hold (a staff record)."""
    d = Domain()
    return d, d.staff("head_office", branch="HQ"), d.staff("trader")


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
    with pytest.raises(ValidationError, match="gdpr") as caught:
        parse_presets(["pboc-2007", "gdpr"])
    assert (caught.value.field, caught.value.reason) == ("presets", Code.INVALID_CHOICE)


def test_presets_are_adopted_once_and_unchanged_presets_record_nothing() -> None:
    d, officer, _ = compliance()
    d.run(SetRetentionPresets(presets=["PBOC-2007", "cn-2025"]), officer)
    result = d.run(SetRetentionPresets(presets=["cn-2025", "pboc-2007"]), officer)
    assert not result.changed
    assert d.app.get(RetentionPolicy, POLICY_ID).presets == ["cn-2025", "pboc-2007"]
    assert len(d.events(POLICY_ID)) == 1


def test_a_hold_is_lifted_once_and_can_be_placed_again() -> None:
    d, officer, subject = compliance()
    d.run(PlaceLegalHold(subject_id=subject), officer, reason="case 17")
    with pytest.raises(ValidationError, match="already in place"):
        d.run(PlaceLegalHold(subject_id=subject), officer, reason="case 17")
    d.run(LiftLegalHold(subject_id=subject), officer, reason="case closed")
    with pytest.raises(ValidationError) as caught:
        d.run(LiftLegalHold(subject_id=subject), officer, reason="case closed")
    assert caught.value.reason is Code.INVALID_STATE
    d.run(PlaceLegalHold(subject_id=subject), officer, reason="case 18")
    assert isinstance(d.last(hold_id(subject)), LegalHold.Replaced)
    assert d.app.get(LegalHold, hold_id(subject)).active


def test_a_hold_needs_a_reason() -> None:
    d, officer, subject = compliance()
    with pytest.raises(ValidationError) as caught:
        d.run(PlaceLegalHold(subject_id=subject), officer)
    assert (caught.value.field, caught.value.reason) == ("reason", Code.REASON_REQUIRED)


def test_a_hold_on_a_record_that_does_not_exist_is_not_found() -> None:
    d, officer, _ = compliance()
    with pytest.raises(NotFound):
        d.run(PlaceLegalHold(subject_id=uuid.uuid4()), officer, reason="case 17")
