"""Clients through BackOffice and the client read model on real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from api.database import Database
from api.runtime import Runtime, open_runtime
from api.settings import Settings
from domain import clients as c
from domain import errors
from domain.clients.identity import DocumentType
from projections import clients as model
from projections import performance
from tests.conftest import add_staff, onboard, run, staff
from tests.harness import VALID_ID


def _events(database: Database) -> int:
    with database.connect() as conn:
        row = conn.execute("SELECT count(*) FROM backoffice_events").fetchone()
    return int(row[0]) if row else 0


def _register(
    manager: uuid.UUID, name: str = "李四", channel: c.SourceChannel = c.SourceChannel.PHONE
) -> c.RegisterClient:
    return c.RegisterClient(
        client_id=uuid.uuid4(),
        client_type=c.ClientType.INDIVIDUAL,
        name=name,
        source_channel=channel,
        account_manager=manager,
    )


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
    assert row.contact is not None and row.contact.mailing_address == "上海市浦东新区"
    assert row.version == 6


def test_opening_an_account_before_kyc_is_refused_and_records_nothing(
    runtime: Runtime, database: Database, manager: uuid.UUID
) -> None:
    cid = run(runtime, _register(manager), manager).aggregate_id
    before = _events(database)
    with pytest.raises(errors.ValidationError, match="verified identity.*risk.*client agreement"):
        run(runtime, c.OpenAccount(client_id=cid, account_number="1234567890"), manager)
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
    supervisor = staff(runtime, "branch_manager", "account_manager")
    other = staff(runtime, "branch_manager")
    request = uuid.uuid4()
    run(
        runtime,
        c.RequestIdentityChange(
            client_id=cid, request_id=request, evidence_ref="scan-001", real_name="张三丰"
        ),
        supervisor,
        reason="married name",
    )
    before = _events(database)
    with pytest.raises(errors.ValidationError, match="requester"):
        run(runtime, c.ApproveIdentityChange(client_id=cid, request_id=request), supervisor)
    assert _events(database) == before
    assert runtime.app.get(c.Client, cid).name == "张三"
    run(runtime, c.ApproveIdentityChange(client_id=cid, request_id=request), other)
    assert runtime.app.get(c.Client, cid).name == "张三丰"


def test_only_supervisors_approve_identity_changes(runtime: Runtime, manager: uuid.UUID) -> None:
    cid = onboard(runtime, manager)
    with pytest.raises(errors.NotAllowed):
        run(runtime, c.ApproveIdentityChange(client_id=cid, request_id=uuid.uuid4()), manager)


def test_staff_of_another_branch_cannot_change_a_client(
    runtime: Runtime, manager: uuid.UUID
) -> None:
    cid = onboard(runtime, manager)
    elsewhere = staff(runtime, "account_manager", branch="BJ02")
    # A record of another branch gets the same answer as an unknown id: no oracle.
    with pytest.raises(errors.NotFound):
        run(runtime, c.AssessRisk(client_id=cid, level=c.RiskLevel.C2), elsewhere)


def test_the_account_manager_must_be_a_real_account_manager(runtime: Runtime) -> None:
    trader = add_staff(runtime, "Trader", "SH01", ["trader"])[0].staff_id
    marketing = staff(runtime, "marketing")
    with pytest.raises(errors.ValidationError) as caught:
        run(runtime, _register(trader, "X", c.SourceChannel.EVENT), marketing)
    assert caught.value.field == "accountManager"


def test_the_document_policy_metric_counts_non_resident_id_individuals(
    runtime: Runtime, manager: uuid.UUID
) -> None:
    onboard(runtime, manager, "30000001")
    cid = run(runtime, _register(manager, "John", c.SourceChannel.ONLINE), manager).aggregate_id
    run(
        runtime,
        c.RecordIdentity(
            client_id=cid,
            real_name="John Smith",
            document_type=DocumentType.PASSPORT,
            document_number="E12345678",
        ),
        manager,
    )
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        (policy,) = performance.document_policy(curs, "SH01")
        developed = performance.clients_developed(
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
        cid = run(rt, _register(manager, "A"), manager).aggregate_id
        run(
            rt,
            c.AssessRisk(client_id=cid, level=c.RiskLevel.C2, assessed_on=date(2026, 1, 31)),
            manager,
        )
        assert rt.app.get(c.Client, cid).risk_expires_on == date(2026, 7, 31)
    finally:
        rt.close()
