"""Decisions on the facts of the moment that counts, plausible business times, and revocation
that holds at once — through GraphQL over HTTP against real PostgreSQL."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import new_token, token_hash
from api.cli import cli
from api.runtime import Runtime
from api.settings import Settings
from domain import clients as c
from domain.instruments import Board, ProductRisk, UpsertInstrument
from domain.staff import IssueToken
from tests.conftest import add_staff, onboard, run
from tests.e2e.api import Api
from tests.reliability import Probe

pytestmark = pytest.mark.reliability

#: Noon in Shanghai: a whole business day on either side.
NOON = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    runtime.clock = lambda: NOON
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


@pytest.fixture
def people(runtime: Runtime, client: TestClient) -> dict[str, Api]:
    run(
        runtime,
        UpsertInstrument(
            code="600519.SH", name="贵州茅台", board=Board.MAIN, risk_level=ProductRisk.R3,
            board_lot=100,
        ),
    )  # fmt: skip
    out = {}
    for name, roles in (
        ("manager", ["account_manager"]),
        ("trader", ["trader"]),
        ("admin", ["admin"]),
        ("auditor", ["auditor"]),
    ):
        principal, token = add_staff(runtime, name, "SH01", roles)
        out[name] = Api(client, token, principal.staff_id)
    return out


def order_input(client_id: uuid.UUID, **extra: object) -> dict[str, object]:
    return {
        "clientId": str(client_id),
        "accountNumber": "10000001",
        "instrumentCode": "600519.SH",
        "side": "BUY",
        "quantity": 100,
        "orderType": "LIMIT",
        "limitPrice": "1700",
        "channel": "COUNTER",
        **extra,
    }


def test_an_order_received_on_an_expired_assessment_is_rejected_after_a_reassessment(
    runtime: Runtime, people: dict[str, Api]
) -> None:
    manager = people["manager"].id
    runtime.clock = lambda: NOON - timedelta(days=750)  # the assessment expires before NOON
    cid = onboard(runtime, manager)
    runtime.clock = lambda: NOON
    received = people["manager"].mutate("receiveOrder(input: $order)", order=order_input(cid))
    assert received["__typename"] == "CommandSuccess", received
    reassessed = run(runtime, c.AssessRisk(client_id=cid, level=c.RiskLevel.C4), manager)
    runtime.runner.sync(reassessed.position or 0)
    review = people["trader"].mutate("reviewOrder(orderId: $id)", id=received["id"])
    assert review["__typename"] == "CommandSuccess", review
    order = people["trader"].data(
        "query($id: UUID!, $p: Int) { order(id: $id, minPosition: $p) { status reasonCodes } }",
        id=received["id"],
        p=review["position"],
    )["order"]
    assert order == {"status": "REJECTED", "reasonCodes": ["RISK_ASSESSMENT_NOT_CURRENT"]}


def test_a_client_frozen_since_receipt_is_still_refused_on_review(
    runtime: Runtime, people: dict[str, Api]
) -> None:
    cid = onboard(runtime, people["manager"].id)
    received = people["manager"].mutate("receiveOrder(input: $order)", order=order_input(cid))
    supervisor, _ = add_staff(runtime, "主管", "SH01", ["branch_manager"])
    run(runtime, c.FreezeClient(client_id=cid), supervisor.staff_id, reason="court order")
    review = people["trader"].mutate("reviewOrder(orderId: $id)", id=received["id"])
    runtime.runner.sync(review["position"])
    with runtime.cursor() as curs:
        curs.execute("SELECT reason_codes FROM orders WHERE id = %s", (received["id"],))
        row = curs.fetchone()
    assert row is not None and "CLIENT_FROZEN" in row["reason_codes"]


@pytest.mark.parametrize(
    ("call", "variables", "field"),
    [
        (
            "receiveOrder(input: $order)",
            {"receivedAt": (NOON - timedelta(days=3 * 365)).isoformat()},
            "receivedAt",
        ),
        (
            "receiveOrder(input: $order)",
            {"receivedAt": (NOON + timedelta(days=2)).isoformat()},
            "receivedAt",
        ),
    ],
)
def test_a_back_dated_or_future_receipt_is_refused(
    runtime: Runtime, people: dict[str, Api], call: str, variables: dict[str, str], field: str
) -> None:
    cid = onboard(runtime, people["manager"].id)
    result = people["manager"].mutate(call, order=order_input(cid, **variables))
    assert (result["__typename"], result["field"], result["code"]) == (
        "ValidationError",
        field,
        "IMPLAUSIBLE_TIME",
    )


def test_an_order_cannot_be_received_before_the_account_was_opened(
    runtime: Runtime, people: dict[str, Api]
) -> None:
    cid = onboard(runtime, people["manager"].id)
    before = (NOON - timedelta(hours=1)).isoformat()
    result = people["manager"].mutate(
        "receiveOrder(input: $order)", order=order_input(cid, receivedAt=before)
    )
    assert (result["__typename"], result["code"]) == ("ValidationError", "IMPLAUSIBLE_TIME")
    assert "opened" in result["message"]


def test_a_fill_executed_in_the_future_is_refused(runtime: Runtime, people: dict[str, Api]) -> None:
    cid = onboard(runtime, people["manager"].id)
    received = people["manager"].mutate("receiveOrder(input: $order)", order=order_input(cid))
    people["trader"].mutate("reviewOrder(orderId: $id)", id=received["id"])
    fill = {
        "orderId": received["id"],
        "executionId": "E-1",
        "quantity": 100,
        "price": "1700",
        "executedAt": (NOON + timedelta(days=365)).isoformat(),
    }
    result = people["trader"].mutate("recordFill(input: $fill)", fill=fill)
    assert (result["__typename"], result["field"], result["code"]) == (
        "ValidationError",
        "executedAt",
        "IMPLAUSIBLE_TIME",
    )


def test_an_older_assessment_is_history_and_does_not_replace_the_current_one(
    runtime: Runtime, people: dict[str, Api]
) -> None:
    cid = onboard(runtime, people["manager"].id)
    older = people["manager"].mutate(
        "assessRisk(input: $risk)",
        risk={"clientId": str(cid), "level": "C1", "assessedOn": "2026-01-05"},
    )
    assert older["__typename"] == "CommandSuccess", older
    found = people["manager"].data(
        "query($id: UUID!, $p: Int) {"
        " client(id: $id, minPosition: $p) { riskLevel riskAssessedOn riskExpiresOn } }",
        id=str(cid),
        p=older["position"],
    )["client"]
    assert found == {
        "riskLevel": "C3",
        "riskAssessedOn": NOON.date().isoformat(),
        "riskExpiresOn": date(2028, 11, 23).isoformat(),
    }


def test_a_deactivated_member_is_refused_on_the_very_next_requests(
    runtime: Runtime, people: dict[str, Api], probe: Probe
) -> None:
    """deactivateStaff, then at once (no sleep) 50 mutations with the member's token."""
    victim = people["manager"]
    done = people["admin"].mutate("deactivateStaff(staffId: $id)", id=str(victim.id))
    assert done["__typename"] == "CommandSuccess", done
    revoke = "mutation($id: UUID!) { revokeRole(staffId: $id, role: TRADER) { __typename } }"
    statuses = [victim.post(revoke, id=str(victim.id)).status_code for _ in range(50)]
    probe.count("mutations sent after deactivation", len(statuses))
    probe.count("refused (401)", statuses.count(401))
    assert statuses == [401] * 50


def test_a_revoked_token_is_refused_at_once_while_the_members_other_tokens_work(
    runtime: Runtime, client: TestClient, people: dict[str, Api]
) -> None:
    manager = people["manager"]
    token = manager.headers["Authorization"].split()[1]
    other = new_token()
    issued = run(runtime, IssueToken(staff_id=manager.id, token_hash=token_hash(other)))
    runtime.runner.sync(issued.position or 0)
    done = people["admin"].mutate(
        "revokeToken(staffId: $id, tokenHash: $hash)",
        id=str(manager.id),
        hash=token_hash(token),
    )
    assert done["__typename"] == "CommandSuccess", done
    assert [manager.post("{ me { name } }").status_code for _ in range(50)] == [401] * 50
    assert Api(client, other).data("{ me { name } }")["me"]["name"] == "manager"


def test_a_time_without_a_zone_is_taken_in_the_branch_time_zone_not_a_failure(
    runtime: Runtime, people: dict[str, Api]
) -> None:
    cid = onboard(runtime, people["manager"].id)
    body = people["auditor"].body(
        'query($id: UUID!) { asOf(aggregateId: $id, at: "2999-12-01T00:00:00") { version } }',
        id=str(cid),
    )
    assert "errors" not in body, body
    assert body["data"]["asOf"]["version"] == 6


def test_an_unknown_filter_value_is_refused_not_answered_with_nothing(
    people: dict[str, Api],
) -> None:
    body = people["trader"].body('{ orders(filter: {status: "bogus"}) { nodes { id } } }')
    assert body.get("data") is None and body["errors"]


def test_an_expected_refusal_is_logged_as_one_line_without_a_traceback(
    people: dict[str, Api], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = people["trader"].body("{ auditEvents { nodes { eventType } } }")
    assert body["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert refusals and all(r.exc_info is None for r in refusals)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_typo_in_an_audit_filter_or_parameter_is_refused_not_answered_with_everything(
    people: dict[str, Api], client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    auditor = people["auditor"].headers
    unknown_type = client.get(
        "/audit/events.jsonl?reason=AUD-1&event_type=Staff.Registerd", headers=auditor
    )
    assert unknown_type.status_code == 422 and "Staff.Registerd" in unknown_type.text
    unknown_param = client.get(
        "/audit/events.jsonl?reason=AUD-1&type=Staff.Registered", headers=auditor
    )
    assert unknown_param.status_code == 422 and "type" in unknown_param.text
    out = tmp_path / "trail.jsonl"
    cli_run = CliRunner().invoke
    exported = cli_run(cli, ["audit", "export", "--out", str(out), "--type", "Order.Recieved"])
    assert exported.exit_code == 2 and "Order.Recieved" in exported.output
    assert not out.exists() or out.read_text() == ""
    report = cli_run(cli, ["retention", "report", "--class", "orderz"])
    assert report.exit_code == 2 and "orderz" in report.output
    assert "Traceback" not in exported.output + report.output
