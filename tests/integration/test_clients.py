"""Clients through BackOffice and the client read model on real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from api.database import Database
from api.runtime import Runtime, open_runtime
from api.settings import Settings
from domain import errors
from projections import clients as model
from tests.conftest import add_staff, command, onboard

VALID_ID = "11010519491231002X"


def _events(database: Database) -> int:
    with database.connect() as conn:
        row = conn.execute("SELECT count(*) FROM backoffice_events").fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
def manager(runtime: Runtime) -> uuid.UUID:
    return add_staff(runtime, "客户经理", "SH01", ["account_manager"])[0].staff_id


def test_a_prospect_becomes_an_active_client_and_the_directory_follows(
    runtime: Runtime, manager: uuid.UUID
) -> None:
    cid = onboard(runtime, manager)
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        row = model.get(curs, cid)
    assert row is not None
    assert (row.status, row.account_number, row.risk_level) == ("active", "10000001", "C3")
    assert row.document_number == VALID_ID and row.identity_verified
    assert row.contact is not None and row.contact["mailing_address"] == "上海市浦东新区"
    assert row.version == 6


def test_opening_an_account_before_kyc_is_refused_and_records_nothing(
    runtime: Runtime, database: Database, manager: uuid.UUID
) -> None:
    cid = uuid.uuid4()
    runtime.app.register_client(
        command({"account_manager"}),
        client_id=cid,
        client_type="individual",
        name="李四",
        source_channel="phone",
        account_manager=manager,
    )
    before = _events(database)
    with pytest.raises(errors.ValidationError, match="verified identity.*risk.*client agreement"):
        runtime.app.open_account(
            command({"account_manager"}), client_id=cid, account_number="1234567890"
        )
    assert _events(database) == before


def test_an_account_number_is_unique_within_a_branch(
    runtime: Runtime, database: Database, manager: uuid.UUID
) -> None:
    onboard(runtime, manager, "20000001")
    with pytest.raises(errors.ValidationError, match="taken"):
        onboard(runtime, manager, "20000001")


def test_a_self_approved_identity_change_is_refused_and_another_supervisor_applies_it(
    runtime: Runtime, database: Database, manager: uuid.UUID
) -> None:
    cid = onboard(runtime, manager)
    supervisor = uuid.uuid4()
    request = uuid.uuid4()
    runtime.app.request_identity_change(
        command({"branch_manager", "account_manager"}, actor=supervisor, reason="married name"),
        client_id=cid,
        request_id=request,
        evidence_ref="scan-001",
        real_name="张三丰",
    )
    before = _events(database)
    with pytest.raises(errors.ValidationError, match="requester"):
        runtime.app.approve_identity_change(
            command({"branch_manager"}, actor=supervisor), client_id=cid, request_id=request
        )
    assert _events(database) == before
    assert runtime.app.get_client(cid).name == "张三"
    runtime.app.approve_identity_change(
        command({"branch_manager"}), client_id=cid, request_id=request
    )
    assert runtime.app.get_client(cid).name == "张三丰"


def test_only_supervisors_approve_identity_changes(runtime: Runtime, manager: uuid.UUID) -> None:
    cid = onboard(runtime, manager)
    with pytest.raises(errors.NotAllowed):
        runtime.app.approve_identity_change(
            command({"account_manager"}), client_id=cid, request_id=uuid.uuid4()
        )


def test_staff_of_another_branch_cannot_change_a_client(
    runtime: Runtime, manager: uuid.UUID
) -> None:
    cid = onboard(runtime, manager)
    with pytest.raises(errors.NotAllowed, match="branch SH01"):
        runtime.app.assess_risk(
            command({"account_manager"}, branch="BJ02"), client_id=cid, level="C2"
        )


def test_the_account_manager_must_be_a_real_account_manager(runtime: Runtime) -> None:
    trader = add_staff(runtime, "Trader", "SH01", ["trader"])[0].staff_id
    with pytest.raises(errors.ValidationError) as caught:
        runtime.app.register_client(
            command({"marketing"}),
            client_id=uuid.uuid4(),
            client_type="individual",
            name="X",
            source_channel="event",
            account_manager=trader,
        )
    assert caught.value.field == "accountManager"


def test_the_document_policy_metric_counts_non_resident_id_individuals(
    runtime: Runtime, manager: uuid.UUID
) -> None:
    onboard(runtime, manager, "30000001")
    cid = uuid.uuid4()
    runtime.app.register_client(
        command({"account_manager"}),
        client_id=cid,
        client_type="individual",
        name="John",
        source_channel="online",
        account_manager=manager,
    )
    runtime.app.record_identity(
        command({"account_manager"}),
        client_id=cid,
        real_name="John Smith",
        document_type="passport",
        document_number="E12345678",
    )
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        (policy,) = model.document_policy(curs, "SH01")
        developed = model.clients_developed(
            curs, "SH01", runtime.business_date(runtime.clock()).year, "Asia/Shanghai"
        )
    assert (policy.individuals, policy.other_documents) == (2, 1)
    assert policy.share == Decimal("0.5000") and not policy.within_limit
    assert [(d.account_manager, d.count) for d in developed] == [(manager, 1)]


def test_the_risk_validity_comes_from_the_settings(
    settings: Settings, database: Database, manager: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RISK_VALIDITY_MONTHS", "6")
    rt = open_runtime(Settings(), database=database, run_migrations=False)
    try:
        cid = uuid.uuid4()
        rt.app.register_client(
            command({"account_manager"}),
            client_id=cid,
            client_type="individual",
            name="A",
            source_channel="phone",
            account_manager=manager,
        )
        rt.app.assess_risk(
            command({"account_manager"}),
            client_id=cid,
            level="C2",
            assessed_on=date(2026, 1, 31),
        )
        assert rt.app.get_client(cid).risk_expires_on == date(2026, 7, 31)
    finally:
        rt.close()
