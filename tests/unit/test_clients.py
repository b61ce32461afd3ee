"""Client aggregate: given events, when command, then events or error."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.clients import (
    AccountNumberClaim,
    ClassificationThresholds,
    Client,
    QualifiedThresholds,
    add_months,
)
from domain.envelope import Envelope
from domain.errors import ValidationError
from projections.clients import evolve

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 22)
VALID_ID = "11010519491231002X"
USCC = "91350100M000100Y43"


def env(actor: uuid.UUID | None = None, reason: str | None = None) -> Envelope:
    return Envelope(
        actor or uuid.uuid4(),
        "account_manager",
        "SH01",
        uuid.uuid4(),
        uuid.uuid4(),
        NOW,
        reason,
        TODAY,
    )


def prospect(kind: str = "individual") -> Client:
    return Client.register(env(), uuid.uuid4(), kind, "张三", "walk_in", uuid.uuid4(), "SH01")


def identified(kind: str = "individual") -> Client:
    c = prospect(kind)
    if kind == "individual":
        c.record_identity(env(), "张三", "resident_id", VALID_ID)
    else:
        c.record_identity(env(), "华信投资有限公司", "uscc", USCC)
    return c


def ready() -> Client:
    c = identified()
    c.assess_risk(env(), "C3", TODAY)
    c.sign_agreement(env(), "client_agreement", "1", TODAY)
    return c


def test_registering_a_prospect_records_who_brought_them_and_from_where() -> None:
    (event,) = prospect().collect_events()
    assert isinstance(event, Client.Registered)
    assert (event.client_type, event.source_channel, event.branch) == (
        "individual",
        "walk_in",
        "SH01",
    )


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("clientType", {"client_type": "robot"}),
        ("sourceChannel", {"source_channel": "pigeon"}),
        ("name", {"name": " "}),
    ],
)
def test_registering_with_bad_input_names_the_field(field: str, kwargs: dict[str, str]) -> None:
    args = {"client_type": "individual", "name": "A", "source_channel": "phone", **kwargs}
    with pytest.raises(ValidationError) as caught:
        Client.register(env(), uuid.uuid4(), account_manager=uuid.uuid4(), branch="SH01", **args)
    assert caught.value.field == field


def test_the_real_name_is_kept_exactly_as_given() -> None:
    c = prospect()
    c.record_identity(env(), " 欧阳 娜娜 ", "resident_id", VALID_ID)
    assert c.name == " 欧阳 娜娜 "


def test_an_individual_cannot_present_an_institution_document() -> None:
    with pytest.raises(ValidationError) as caught:
        prospect().record_identity(env(), "张三", "uscc", USCC)
    assert caught.value.field == "documentType"


def test_an_institution_is_identified_by_its_credit_code() -> None:
    assert identified("institution").document is not None


def test_identity_is_recorded_once_and_changed_only_by_request() -> None:
    with pytest.raises(ValidationError, match="request an identity change"):
        identified().record_identity(env(), "李四", "resident_id", VALID_ID)


@pytest.mark.parametrize(
    ("mobile", "landline", "field"),
    [
        ("12345", None, "mobile"),
        (None, "63211234", "landline"),
        (None, None, "mobile"),
    ],
)
def test_contact_needs_a_real_phone_number(
    mobile: str | None, landline: str | None, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        prospect().record_contact(env(), mobile, landline, "北京", "上海")
    assert caught.value.field == field


def test_contact_keeps_separate_id_and_mailing_addresses() -> None:
    c = prospect()
    c.record_contact(env(), "138 1234 5678", "021-63211234", "北京市朝阳区", "上海市浦东新区")
    event = c.collect_events()[-1]
    assert isinstance(event, Client.ContactRecorded)
    assert (event.mobile, event.id_address, event.mailing_address) == (
        "13812345678",
        "北京市朝阳区",
        "上海市浦东新区",
    )


def test_a_risk_assessment_expires_after_its_validity() -> None:
    c = prospect()
    c.assess_risk(env(), "c4", date(2024, 11, 22), 24)
    assert c.risk_level == "C4" and c.risk_expires_on == date(2026, 11, 22)
    assert c.risk_current(date(2026, 11, 21)) and not c.risk_current(date(2026, 11, 22))


def test_months_are_added_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)


def test_professional_status_needs_the_thresholds() -> None:
    t = ClassificationThresholds()
    with pytest.raises(ValidationError, match="professional-investor thresholds"):
        prospect().classify_investor(env(), "professional", Decimal("4999999"), None, 5, None, t)
    with pytest.raises(ValidationError):
        prospect().classify_investor(env(), "professional", Decimal("6000000"), None, 1, None, t)
    c = prospect()
    c.classify_investor(env(), "professional", None, Decimal("500000"), 2, None, t)
    assert c.classification == "professional"


def test_an_institution_is_professional_on_net_and_financial_assets() -> None:
    t = ClassificationThresholds()
    c = prospect("institution")
    with pytest.raises(ValidationError):
        c.classify_investor(
            env(), "professional", Decimal("10000000"), None, 0, Decimal("19999999"), t
        )
    c.classify_investor(env(), "professional", Decimal("10000000"), None, 0, Decimal("20000000"), t)


def test_qualified_investor_outcome_follows_the_configured_threshold() -> None:
    c = prospect()
    assert c.assess_qualified_investor(
        env(), Decimal("1000000"), None, "stmt", QualifiedThresholds()
    )
    strict = QualifiedThresholds(individual_family_financial_assets=Decimal("3000000"))
    assert not c.assess_qualified_investor(env(), Decimal("1000000"), None, "stmt", strict)
    with pytest.raises(ValidationError) as caught:
        c.assess_qualified_investor(env(), Decimal("1"), None, " ", strict)
    assert caught.value.field == "evidenceRef"


def test_beneficial_owners_shares_never_exceed_100_percent() -> None:
    c = prospect("institution")
    c.add_beneficial_owner(env(), "王五", "resident_id", VALID_ID, Decimal("60"))
    with pytest.raises(ValidationError, match="more than 100%"):
        c.add_beneficial_owner(env(), "赵六", "passport", "E12345678", Decimal("41"))


def test_an_account_needs_identity_risk_and_client_agreement() -> None:
    with pytest.raises(ValidationError) as caught:
        prospect().open_account(env(), "10000001")
    assert "verified identity" in caught.value.message
    assert "current risk assessment" in caught.value.message
    assert "client agreement" in caught.value.message
    c = ready()
    c.open_account(env(), "10000001")
    assert c.status == "active"


def test_an_expired_risk_assessment_blocks_the_account() -> None:
    c = identified()
    c.assess_risk(env(), "C3", date(2024, 1, 1), 24)
    c.sign_agreement(env(), "client_agreement", "1", TODAY)
    with pytest.raises(ValidationError, match="current risk assessment"):
        c.open_account(env(), "10000001")


def test_a_frozen_client_signs_nothing_and_opens_nothing_until_unfrozen() -> None:
    c = ready()
    c.freeze(env(reason="court order"))
    with pytest.raises(ValidationError, match="frozen"):
        c.sign_agreement(env(), "online_trading", "1", TODAY)
    with pytest.raises(ValidationError, match="frozen"):
        c.open_account(env(), "10000001")
    c.unfreeze(env(reason="lifted"))
    assert c.status == "prospect"
    c.open_account(env(), "10000001")


def test_freezing_needs_a_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        ready().freeze(env())
    assert caught.value.field == "reason"


def test_a_closed_client_accepts_nothing_more() -> None:
    c = ready()
    c.close(env(), TODAY)
    with pytest.raises(ValidationError, match="closed"):
        c.assess_risk(env(), "C2", TODAY)


def test_an_identity_change_waits_for_another_supervisor() -> None:
    requester = uuid.uuid4()
    c = identified()
    rid = uuid.uuid4()
    c.request_identity_change(
        env(requester, "typo"), rid, None, "resident_id", "110105194912310038", "scan"
    )
    assert c.document is not None and c.document.number == VALID_ID
    with pytest.raises(ValidationError, match="requester"):
        c.approve_identity_change(env(requester), rid)
    c.approve_identity_change(env(), rid)
    assert c.document.number == "110105194912310038"


def test_a_rejection_needs_a_reason_and_clears_the_request() -> None:
    c = identified()
    rid = uuid.uuid4()
    c.request_identity_change(env(reason="new name"), rid, "张三丰", None, None, "scan")
    with pytest.raises(ValidationError):
        c.reject_identity_change(env(), rid)
    c.reject_identity_change(env(reason="documents do not match"), rid)
    assert c.pending_changes == {} and c.name == "张三"


def test_the_client_row_follows_an_approved_change() -> None:
    c = identified()
    rid = uuid.uuid4()
    c.request_identity_change(env(reason="married"), rid, "张三丰", None, None, "scan")
    c.approve_identity_change(env(), rid)
    row = None
    for position, event in enumerate(c.collect_events(), start=1):
        row = evolve(row, event, position)
    assert row is not None
    assert row.name == "张三丰" and row.pending_changes == []
    assert row.document_number == VALID_ID and row.version == 4


def test_every_client_event_class_carries_the_envelope() -> None:
    for cls in (Client.Registered, Client.Closed, AccountNumberClaim.Claimed):
        assert "envelope" in cls.__dataclass_fields__
