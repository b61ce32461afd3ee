"""Clients, onboarding: given events, when a command, then events or an error."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain import clients as c
from domain.clients import AccountNumberClaim, Client, ClientType
from domain.clients.identity import DocumentType
from domain.clients.rules import add_months
from domain.errors import Code, ValidationError
from domain.fields import intake
from domain.instruments import Board
from domain.policy import Policy
from tests.harness import TODAY, USCC, VALID_ID
from tests.unit.client_branch import Branch


@pytest.fixture
def b() -> Branch:
    return Branch.new()


def contact(**kw: Any) -> c.RecordContact:
    args: dict[str, Any] = {
        "client_id": uuid.uuid4(),
        "mobile": "13812345678",
        "id_address": "北京市朝阳区",
        "mailing_address": "上海市浦东新区",
        **kw,
    }
    return c.RecordContact(**args)


def test_registering_a_prospect_records_who_brought_them_and_from_where(b: Branch) -> None:
    (event,) = b.d.events(b.prospect())
    assert isinstance(event, Client.Registered)
    assert (event.client_type, event.source_channel, event.branch, event.account_manager) == (
        "individual",
        "walk_in",
        "SH01",
        b.manager,
    )


@pytest.mark.parametrize(
    ("field", "kwargs", "code"),
    [
        ("clientType", {"client_type": "robot"}, Code.INVALID_CHOICE),
        ("sourceChannel", {"source_channel": "pigeon"}, Code.INVALID_CHOICE),
        ("name", {"name": " "}, Code.REQUIRED),
        ("name", {"name": "张\x00三"}, Code.INVALID_TEXT),
        ("name", {"name": "张" * 201}, Code.TOO_LONG),
    ],
)
def test_registering_with_bad_input_names_the_field_and_the_code(
    b: Branch, field: str, kwargs: dict[str, str], code: Code
) -> None:
    args: dict[str, Any] = {"client_type": "individual", "name": "A", "source_channel": "phone"}
    command = c.RegisterClient(client_id=uuid.uuid4(), account_manager=b.manager, **(args | kwargs))
    error = b.refused(command)
    assert (error.field, error.reason) == (field, code)


def test_a_prospect_needs_an_account_manager_or_marketing_staff_in_charge(b: Branch) -> None:
    trader = b.d.staff("trader")
    command = c.RegisterClient(
        client_type=ClientType.INDIVIDUAL,
        name="张三",
        source_channel=c.SourceChannel.PHONE,
        account_manager=trader,
        client_id=uuid.uuid4(),
    )
    error = b.refused(command)
    assert (error.field, error.reason) == ("accountManager", Code.UNKNOWN_REFERENCE)


def test_the_real_name_is_kept_as_given_apart_from_surrounding_spaces(b: Branch) -> None:
    # Changed on purpose: intake trims and NFC-normalises every text field; the name's inner
    # spacing is kept exactly.
    cid = b.prospect()
    b.run(
        c.RecordIdentity(
            client_id=cid,
            real_name=" 欧阳 娜娜 ",
            document_type=DocumentType.RESIDENT_ID,
            document_number=VALID_ID,
        )
    )
    assert b.client(cid).name == "欧阳 娜娜"


def test_an_individual_cannot_present_an_institution_document(b: Branch) -> None:
    command = c.RecordIdentity(
        client_id=b.prospect(),
        real_name="张三",
        document_type=DocumentType.USCC,
        document_number=USCC,
    )
    error = b.refused(command)
    assert (error.field, error.reason) == ("documentType", Code.INVALID_CHOICE)


def test_an_institution_is_identified_by_its_credit_code(b: Branch) -> None:
    document = b.client(b.identified(ClientType.INSTITUTION)).document
    assert document is not None and document.type is DocumentType.USCC


def test_identity_is_recorded_once_and_changed_only_by_request(b: Branch) -> None:
    command = c.RecordIdentity(
        client_id=b.identified(),
        real_name="李四",
        document_type=DocumentType.RESIDENT_ID,
        document_number=VALID_ID,
    )
    with pytest.raises(ValidationError, match="request an identity change") as caught:
        b.run(command)
    assert caught.value.reason is Code.INVALID_STATE


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mobile": "12345"}, "mobile"),
        ({"mobile": "23812345678"}, "mobile"),
        ({"mobile": None, "landline": "63211234"}, "landline"),
    ],
)
def test_a_phone_number_of_the_wrong_shape_is_refused_by_its_field_type(
    kwargs: dict[str, Any], field: str
) -> None:
    # The shape lives in the field type: refused at intake, before any record is read.
    with pytest.raises(ValidationError) as caught:
        intake(contact(**kwargs))
    assert (caught.value.field, caught.value.reason) == (field, Code.INVALID_FORMAT)


def test_a_wrongly_shaped_mobile_is_refused_when_the_command_runs(b: Branch) -> None:
    error = b.refused(contact(client_id=b.prospect(), mobile="12345"))
    assert (error.field, error.reason) == ("mobile", Code.INVALID_FORMAT)


def test_contact_needs_at_least_one_phone_number(b: Branch) -> None:
    error = b.refused(contact(client_id=b.prospect(), mobile=None, landline=None))
    assert (error.field, error.reason) == ("mobile", Code.REQUIRED)


def test_contact_keeps_separate_id_and_mailing_addresses(b: Branch) -> None:
    cid = b.prospect()
    b.run(contact(client_id=cid, mobile="138 1234 5678", landline="021-63211234"))
    event = b.d.last(cid)
    assert isinstance(event, Client.ContactRecorded)
    assert (event.mobile, event.landline, event.id_address, event.mailing_address) == (
        "13812345678",
        "021-63211234",
        "北京市朝阳区",
        "上海市浦东新区",
    )


def test_a_risk_assessment_expires_after_its_validity(b: Branch) -> None:
    cid = b.prospect()
    b.run(c.AssessRisk(client_id=cid, level=c.RiskLevel.C4, assessed_on=date(2024, 11, 22)))
    client = b.client(cid)
    assert client.risk_level == "C4" and client.risk_expires_on == date(2026, 11, 22)
    assert client.risk_current(date(2026, 11, 21)) and not client.risk_current(date(2026, 11, 22))


def test_a_risk_level_is_one_of_the_closed_vocabulary(b: Branch) -> None:
    # Changed on purpose: "c4" was upper-cased before; levels are an enum now (GraphQL C4).
    error = b.refused(c.AssessRisk(client_id=b.prospect(), level="c4"))  # type: ignore[arg-type]
    assert (error.field, error.reason) == ("level", Code.INVALID_CHOICE)


def test_a_risk_assessment_cannot_be_dated_in_the_future(b: Branch) -> None:
    command = c.AssessRisk(
        client_id=b.prospect(), level=c.RiskLevel.C3, assessed_on=date(2027, 1, 1)
    )
    error = b.refused(command)
    assert (error.field, error.reason) == ("assessedOn", Code.IMPLAUSIBLE_TIME)


def test_an_older_risk_assessment_is_kept_as_history_and_does_not_replace_a_newer(
    b: Branch,
) -> None:
    cid = b.prospect()
    b.run(c.AssessRisk(client_id=cid, level=c.RiskLevel.C4, assessed_on=TODAY))
    b.run(c.AssessRisk(client_id=cid, level=c.RiskLevel.C2, assessed_on=date(2026, 1, 5)))
    assert isinstance(b.d.last(cid), Client.RiskAssessed)
    assert (b.client(cid).risk_level, b.client(cid).risk_assessed_on) == ("C4", TODAY)


def test_months_are_added_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)


def classify(cid: UUID, **kw: Any) -> c.ClassifyInvestor:
    return c.ClassifyInvestor(client_id=cid, classification=c.InvestorClass.PROFESSIONAL, **kw)


def test_professional_status_needs_the_thresholds(b: Branch) -> None:
    cid = b.prospect()
    with pytest.raises(ValidationError, match="professional-investor thresholds") as caught:
        b.run(classify(cid, financial_assets=Decimal("4999999"), experience_years=5))
    assert caught.value.field == "classification"
    with pytest.raises(ValidationError):
        b.run(classify(cid, financial_assets=Decimal("6000000"), experience_years=1))
    b.run(classify(cid, average_income=Decimal("500000"), experience_years=2))
    assert b.client(cid).classification == "professional"


def test_an_institution_is_professional_on_net_and_financial_assets(b: Branch) -> None:
    cid = b.prospect(ClientType.INSTITUTION)
    with pytest.raises(ValidationError):
        b.run(classify(cid, financial_assets=Decimal(10_000_000), net_assets=Decimal(19_999_999)))
    b.run(classify(cid, financial_assets=Decimal(10_000_000), net_assets=Decimal(20_000_000)))
    assert b.client(cid).classification == "professional"


def test_qualified_investor_outcome_follows_the_configured_threshold(b: Branch) -> None:
    cid = b.prospect()
    assess = c.AssessQualifiedInvestor(
        client_id=cid, family_financial_assets=Decimal(1_000_000), evidence_ref="stmt"
    )
    b.run(assess)
    assert b.client(cid).qualified is True
    strict = c.QualifiedThresholds(individual_family_financial_assets=Decimal(3_000_000))
    b.d.app.policy = Policy(clients=c.ClientPolicy(qualified=strict))
    b.run(assess)
    assert b.client(cid).qualified is False


def test_a_qualified_investor_assessment_needs_its_evidence(b: Branch) -> None:
    command = c.AssessQualifiedInvestor(
        client_id=b.prospect(), family_financial_assets=Decimal(1), evidence_ref=" "
    )
    error = b.refused(command)
    assert (error.field, error.reason) == ("evidenceRef", Code.REQUIRED)


def test_beneficial_owners_shares_never_exceed_100_percent(b: Branch) -> None:
    cid = b.prospect(ClientType.INSTITUTION)

    def owner(name: str, kind: DocumentType, number: str, share: int) -> c.AddBeneficialOwner:
        return c.AddBeneficialOwner(
            client_id=cid,
            name=name,
            document_type=kind,
            document_number=number,
            share=Decimal(share),
        )

    b.run(owner("王五", DocumentType.RESIDENT_ID, VALID_ID, 60))
    with pytest.raises(ValidationError, match="more than 100%") as caught:
        b.run(owner("赵六", DocumentType.PASSPORT, "E12345678", 41))
    assert (caught.value.field, caught.value.reason) == ("share", Code.LIMIT_EXCEEDED)


def test_an_account_needs_identity_risk_and_client_agreement(b: Branch) -> None:
    error = b.refused(c.OpenAccount(client_id=b.prospect(), account_number="10000001"))
    assert "verified identity" in error.message
    assert "current risk assessment" in error.message
    assert "client agreement" in error.message
    cid = b.ready()
    b.open(cid)
    assert b.client(cid).status == "active"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("1234567", Code.INVALID_FORMAT),
        ("1000 00AB", Code.INVALID_FORMAT),
        ("1" * 17, Code.TOO_LONG),
    ],
)
def test_an_account_number_is_8_to_16_digits_by_its_field_type(
    b: Branch, number: str, code: Code
) -> None:
    error = b.refused(c.OpenAccount(client_id=b.ready(), account_number=number))
    assert (error.field, error.reason) == ("accountNumber", code)


def test_an_account_number_is_taken_once_in_a_branch(b: Branch) -> None:
    b.open(b.ready(), "10000001")
    error = b.refused(c.OpenAccount(client_id=b.ready(), account_number="10000001"))
    assert (error.field, error.reason) == ("accountNumber", Code.DUPLICATE)


def test_an_expired_risk_assessment_blocks_the_account(b: Branch) -> None:
    cid = b.identified()
    b.run(c.AssessRisk(client_id=cid, level=c.RiskLevel.C3, assessed_on=date(2024, 1, 1)))
    b.sign(cid, c.AgreementType.CLIENT_AGREEMENT)
    with pytest.raises(ValidationError, match="current risk assessment"):
        b.open(cid)


def test_a_trading_permission_names_a_board_of_the_closed_vocabulary(b: Branch) -> None:
    command = c.GrantTradingPermission(client_id=b.ready(), board="nasdaq")  # type: ignore[arg-type]
    error = b.refused(command)
    assert (error.field, error.reason) == ("board", Code.INVALID_CHOICE)


def test_a_board_that_needs_no_permission_is_refused(b: Branch) -> None:
    error = b.refused(c.GrantTradingPermission(client_id=b.ready(), board=Board.MAIN))
    assert (error.field, error.reason) == ("board", Code.INVALID_CHOICE)


def test_every_client_event_class_carries_the_envelope() -> None:
    for cls in (Client.Registered, Client.Closed, AccountNumberClaim.Claimed):
        assert "envelope" in cls.__dataclass_fields__
