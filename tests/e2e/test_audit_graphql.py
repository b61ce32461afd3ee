"""Auditors through GraphQL: history, state as of a moment, the audit trail."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import Runtime
from domain.clients import AssessRisk, RiskLevel
from tests.conftest import add_staff, onboard, run
from tests.harness import VALID_ID


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as c:
        yield c


def ask(client: TestClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def story(runtime: Runtime) -> dict[str, Any]:
    """A client at C3, then (after ``between``) reassessed at C5."""
    manager = add_staff(runtime, "李娜", "SH01", ["account_manager"])[0].staff_id
    cid = onboard(runtime, manager)
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    run(runtime, AssessRisk(client_id=cid, level=RiskLevel.C5), manager, reason="annual review")
    runtime.runner.sync(runtime.runner.head())
    return {"client_id": str(cid), "between": between.isoformat(), "manager": str(manager)}


def test_history_lists_every_event_with_envelope_and_chain_hash(
    client: TestClient, runtime: Runtime, story: dict[str, Any]
) -> None:
    _, token = add_staff(runtime, "郑华", "HQ", ["auditor"])
    body = ask(
        client,
        token,
        "query($id: UUID!) { history(aggregateId: $id, first: 3) {"
        " nodes { version eventType actorRole branch reason chainHash fields }"
        " pageInfo { endCursor hasNextPage } } }",
        id=story["client_id"],
    )
    page = body["data"]["history"]
    assert [n["version"] for n in page["nodes"]] == [1, 2, 3]
    assert page["nodes"][1]["eventType"] == "Client.IdentityRecorded"
    assert page["nodes"][1]["fields"]["document_number"] == VALID_ID
    assert all(len(n["chainHash"]) == 64 for n in page["nodes"])
    rest = ask(
        client,
        token,
        "query($id: UUID!, $a: String) { history(aggregateId: $id,"
        " after: $a) { nodes { version eventType reason actorRole } } }",
        id=story["client_id"],
        a=page["pageInfo"]["endCursor"],
    )["data"]["history"]["nodes"]
    assert [n["version"] for n in rest] == [4, 5, 6, 7]
    assert rest[-1] == {
        "version": 7,
        "eventType": "Client.RiskAssessed",
        "reason": "annual review",
        "actorRole": "account_manager",
    }


def test_history_masks_personal_data_for_roles_that_may_not_see_it(
    client: TestClient, runtime: Runtime, story: dict[str, Any]
) -> None:
    _, token = add_staff(runtime, "孙丽", "HQ", ["head_office"])
    body = ask(
        client,
        token,
        "query($id: UUID!) { history(aggregateId: $id) { nodes { fields } } }",
        id=story["client_id"],
    )
    assert body["data"]["history"]["nodes"][1]["fields"]["document_number"] == "**************002X"


def test_a_client_as_of_a_moment_shows_what_was_recorded_then(
    client: TestClient, runtime: Runtime, story: dict[str, Any]
) -> None:
    _, token = add_staff(runtime, "郑华", "HQ", ["auditor"])
    then = ask(
        client,
        token,
        "query($id: UUID!, $at: DateTime!) { clientAsOf(id: $id, at: $at)"
        " { riskLevel version status } asOf(aggregateId: $id, at: $at)"
        " { aggregateType version state } }",
        id=story["client_id"],
        at=story["between"],
    )
    assert then["data"]["clientAsOf"] == {"riskLevel": "C3", "version": 6, "status": "ACTIVE"}
    generic = then["data"]["asOf"]
    assert (generic["aggregateType"], generic["version"]) == ("Client", 6)
    assert generic["state"]["risk_level"] == "C3"
    now = ask(
        client,
        token,
        "query($id: UUID!, $at: DateTime!) { clientAsOf(id: $id, at: $at) { riskLevel } }",
        id=story["client_id"],
        at=datetime.now(UTC).isoformat(),
    )
    assert now["data"]["clientAsOf"]["riskLevel"] == "C5"
    # the same answer as replaying by hand
    client_then = runtime.app.repository.get(uuid.UUID(story["client_id"]), version=6)
    assert client_then.risk_level == "C3"


def test_a_time_without_a_zone_is_taken_in_the_branch_time_zone(
    client: TestClient, runtime: Runtime, story: dict[str, Any]
) -> None:
    _, token = add_staff(runtime, "郑华", "HQ", ["auditor"])
    between = datetime.fromisoformat(story["between"])
    query = "query($id: UUID!, $at: DateTime!) { clientAsOf(id: $id, at: $at) { riskLevel } }"
    shanghai = between.astimezone(ZoneInfo(runtime.settings.branch_timezone)).replace(tzinfo=None)
    local = ask(client, token, query, id=story["client_id"], at=shanghai.isoformat())
    assert local["data"]["clientAsOf"] == {"riskLevel": "C3"}
    # the same wall-clock reading in UTC, taken in Shanghai, is 8 hours earlier: no client yet
    utc = ask(
        client, token, query, id=story["client_id"], at=between.replace(tzinfo=None).isoformat()
    )
    assert utc["data"]["clientAsOf"] is None


def test_before_its_first_event_a_record_did_not_exist(
    client: TestClient, runtime: Runtime, story: dict[str, Any]
) -> None:
    _, token = add_staff(runtime, "郑华", "HQ", ["auditor"])
    body = ask(
        client,
        token,
        'query($id: UUID!) { clientAsOf(id: $id, at: "2020-01-01T00:00:00Z") { name } }',
        id=story["client_id"],
    )
    assert body["data"]["clientAsOf"] is None


def test_the_audit_trail_filters_by_actor_and_type_and_pages(
    client: TestClient, runtime: Runtime, story: dict[str, Any]
) -> None:
    _, token = add_staff(runtime, "郑华", "HQ", ["auditor"])
    runtime.runner.sync(runtime.runner.head())
    body = ask(
        client,
        token,
        "query($t: String) { auditEvents(filter: {eventType: $t}) {"
        " nodes { eventType aggregateId reason actorRole } } }",
        t="Client.RiskAssessed",
    )
    nodes = body["data"]["auditEvents"]["nodes"]
    assert [n["reason"] for n in nodes] == [None, "annual review"]
    first = ask(
        client,
        token,
        "{ auditEvents(first: 2) { nodes { notificationId } pageInfo { endCursor hasNextPage } } }",
    )["data"]["auditEvents"]
    nxt = ask(
        client,
        token,
        "query($a: String) { auditEvents(first: 2, after: $a) { nodes { notificationId } } }",
        a=first["pageInfo"]["endCursor"],
    )
    ids = [n["notificationId"] for n in first["nodes"] + nxt["data"]["auditEvents"]["nodes"]]
    assert ids == [1, 2, 3, 4] and first["pageInfo"]["hasNextPage"]


def test_audit_queries_are_not_for_front_office_roles(
    client: TestClient, runtime: Runtime, story: dict[str, Any]
) -> None:
    _, token = add_staff(runtime, "张伟", "SH01", ["trader"])
    body = ask(
        client,
        token,
        "query($id: UUID!) { history(aggregateId: $id) { nodes { version } } }",
        id=story["client_id"],
    )
    assert body["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"


def test_the_audit_trail_streams_as_json_lines_over_rest(
    client: TestClient, runtime: Runtime, story: dict[str, Any]
) -> None:
    import json

    _, auditor = add_staff(runtime, "郑华", "HQ", ["auditor"])
    _, trader = add_staff(runtime, "张伟", "SH01", ["trader"])
    runtime.runner.sync(runtime.runner.head())
    url = f"/audit/events.jsonl?aggregate_id={story['client_id']}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": f"Bearer {trader}"}).status_code == 403
    response = client.get(url, headers={"Authorization": f"Bearer {auditor}"})
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["originator_version"] for line in lines] == [1, 2, 3, 4, 5, 6, 7]
    assert lines[1]["fields"]["document_number"] == VALID_ID
    assert len(lines[0]["chain_hash"]) == 64


def test_an_erasure_request_restricts_personal_data_to_auditors_and_regulators(
    client: TestClient, runtime: Runtime, story: dict[str, Any]
) -> None:
    _, manager = add_staff(runtime, "黄蕾", "SH01", ["account_manager"])
    _, supervisor = add_staff(runtime, "王建国", "SH01", ["branch_manager"])
    _, auditor = add_staff(runtime, "郑华", "HQ", ["auditor"])
    _, head_office = add_staff(runtime, "孙丽", "HQ", ["head_office"])
    done = ask(
        client,
        manager,
        "mutation($id: UUID!) { requestErasure(clientId: $id,"
        ' channel: "letter", reason: "client letter of 2026-11-20") {'
        " __typename ... on CommandSuccess { position } } }",
        id=story["client_id"],
    )
    position = done["data"]["requestErasure"]["position"]
    query = (
        "query($id: UUID!, $p: Int) { client(id: $id, minPosition: $p) {"
        " name documentNumber processingRestricted contact { mobile } } }"
    )
    seen_by_supervisor = ask(client, supervisor, query, id=story["client_id"], p=position)
    assert seen_by_supervisor["data"]["client"] == {
        "name": "张*",
        "documentNumber": "**************002X",
        "processingRestricted": True,
        "contact": {"mobile": "*******5678"},
    }
    seen_by_auditor = ask(client, auditor, query, id=story["client_id"], p=position)
    assert seen_by_auditor["data"]["client"]["name"] == "张三"
    assert seen_by_auditor["data"]["client"]["documentNumber"] == VALID_ID
    history = ask(
        client,
        head_office,
        "query($id: UUID!) { history(aggregateId: $id) { nodes { eventType fields } } }",
        id=story["client_id"],
    )["data"]["history"]
    identity = history["nodes"][1]["fields"]
    assert identity["real_name"] != "张三" and identity["document_number"] != VALID_ID
    types = [n["eventType"] for n in history["nodes"]][-2:]
    assert types == ["Client.ErasureRequested", "Client.ProcessingRestricted"]
    response = client.get(
        f"/audit/events.jsonl?aggregate_id={story['client_id']}",
        headers={"Authorization": f"Bearer {head_office}"},
    )
    assert "张三" not in response.text and VALID_ID not in response.text
    response = client.get(
        f"/audit/events.jsonl?aggregate_id={story['client_id']}",
        headers={"Authorization": f"Bearer {auditor}"},
    )
    assert "张三" in response.text and VALID_ID in response.text


def test_a_legal_hold_through_graphql_suspends_the_clients_retention(
    client: TestClient, runtime: Runtime, story: dict[str, Any]
) -> None:
    _, head_office = add_staff(runtime, "孙丽", "HQ", ["head_office"])
    _, trader = add_staff(runtime, "张伟", "SH01", ["trader"])
    mutation = (
        'mutation($id: UUID!) { placeLegalHold(subjectId: $id, reason: "case 2026-17")'
        " { __typename ... on CommandSuccess { position } } }"
    )
    refused = ask(client, trader, mutation, id=story["client_id"])
    assert refused["data"]["placeLegalHold"]["__typename"] == "NotAllowed"
    placed = ask(client, head_office, mutation, id=story["client_id"])["data"]["placeLegalHold"]
    assert placed["__typename"] == "CommandSuccess"
    runtime.runner.sync(placed["position"])
    lines = ask(
        client,
        head_office,
        "query($id: UUID!) { retention(recordId: $id)"
        " { recordClass preset earliestRemoval held eligibleNow } }",
        id=story["client_id"],
    )["data"]["retention"]
    assert {line["recordClass"] for line in lines} == {"CLIENT_IDENTITY", "ACCOUNT_OPENING"}
    assert all(line["held"] and not line["eligibleNow"] for line in lines)
    assert all(line["earliestRemoval"] is None for line in lines)  # relationship not ended
