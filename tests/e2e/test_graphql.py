"""The HTTP API end to end: FastAPI app, real PostgreSQL, projections running in-process."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import Runtime
from tests.conftest import add_staff


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as c:
        yield c


@pytest.fixture
def admin(runtime: Runtime) -> str:
    return add_staff(runtime, "Admin", "HQ", ["admin"])[1]


def gql(client: TestClient, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


REGISTER = """
mutation($input: RegisterStaffInput!, $key: String) {
  registerStaff(input: $input, idempotencyKey: $key) {
    __typename
    ... on CommandSuccess { id version position replayed }
    ... on ValidationError { message field code }
    ... on NotAllowed { message }
  }
}"""

GRANT = """
mutation($id: UUID!, $role: Role!, $v: Int) {
  grantRole(staffId: $id, role: $role, expectedVersion: $v) {
    __typename
    ... on CommandSuccess { version position }
    ... on ConcurrencyConflict { message expectedVersion actualVersion }
  }
}"""


def test_a_request_without_a_token_is_unauthorized(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ me { name } }"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_request_with_an_unknown_token_is_unauthorized(client: TestClient) -> None:
    response = client.post(
        "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": "Bearer bo_nope"}
    )
    assert response.status_code == 401


def test_me_answers_with_the_staff_member_behind_the_token(
    client: TestClient, runtime: Runtime
) -> None:
    principal, token = add_staff(runtime, "李娜", "SH01", ["account_manager"])
    body = gql(client, token, "{ me { id name branch roles active } }")
    assert body["data"]["me"] == {
        "id": str(principal.staff_id),
        "name": "李娜",
        "branch": "SH01",
        "roles": ["ACCOUNT_MANAGER"],
        "active": True,
    }


def test_a_deactivated_staff_members_token_stops_working(
    client: TestClient, runtime: Runtime, admin: str
) -> None:
    principal, token = add_staff(runtime, "Leaver", "SH01", ["trader"])
    body = gql(
        client,
        admin,
        "mutation($id: UUID!) { deactivateStaff(staffId: $id) {"
        " __typename ... on CommandSuccess { position } } }",
        id=str(principal.staff_id),
    )
    runtime.runner.sync(body["data"]["deactivateStaff"]["position"])
    response = client.post(
        "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


def test_a_role_that_may_not_act_gets_not_allowed(client: TestClient, runtime: Runtime) -> None:
    _, token = add_staff(runtime, "Trader", "SH01", ["trader"])
    body = gql(client, token, REGISTER, input={"name": "X", "branch": "SH01", "roles": ["TRADER"]})
    assert body["data"]["registerStaff"]["__typename"] == "NotAllowed"
    listing = gql(client, token, "{ staff { nodes { name } } }")
    assert listing["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"


def test_registering_staff_then_reading_it_back_with_min_position(
    client: TestClient, admin: str
) -> None:
    body = gql(
        client, admin, REGISTER, input={"name": "张伟", "branch": "SH01", "roles": ["TRADER"]}
    )
    result = body["data"]["registerStaff"]
    assert result["__typename"] == "CommandSuccess" and result["version"] == 1
    read = gql(
        client,
        admin,
        "query($id: UUID!, $p: Int) {"
        " staffMember(id: $id, minPosition: $p) { name roles position } }",
        id=result["id"],
        p=result["position"],
    )
    assert read["data"]["staffMember"] == {
        "name": "张伟",
        "roles": ["TRADER"],
        "position": result["position"],
    }
    assert read["extensions"]["consistency"][0]["reached"] is True


def test_a_min_position_not_reached_in_time_is_reported(client: TestClient, admin: str) -> None:
    read = gql(client, admin, "{ staff(minPosition: 999999) { nodes { name } } }")
    consistency = read["extensions"]["consistency"][0]
    assert consistency["reached"] is False
    assert consistency["minPosition"] == 999999
    assert read["data"]["staff"]["nodes"]  # the data is still served, marked as stale


def test_invalid_input_is_a_validation_error_naming_the_field_and_its_code(
    client: TestClient, admin: str, runtime: Runtime
) -> None:
    head = runtime.runner.head()
    body = gql(client, admin, REGISTER, input={"name": "X", "branch": "SH01", "roles": []})
    result = body["data"]["registerStaff"]
    assert result["__typename"] == "ValidationError"
    assert (result["field"], result["code"]) == ("roles", "REQUIRED")
    assert runtime.runner.head() == head


def test_a_value_outside_a_vocabulary_is_refused_by_the_schema_and_records_nothing(
    client: TestClient, admin: str, runtime: Runtime
) -> None:
    head = runtime.runner.head()
    body = gql(client, admin, REGISTER, input={"name": "X", "branch": "SH01", "roles": ["pilot"]})
    assert body["data"] is None
    assert "Role" in body["errors"][0]["message"]
    assert runtime.runner.head() == head


def test_a_retried_mutation_returns_the_first_result_and_records_nothing_new(
    client: TestClient, admin: str, runtime: Runtime
) -> None:
    staff_input = {"name": "Retry", "branch": "SH01", "roles": ["TRADER"], "id": str(uuid.uuid4())}
    first = gql(client, admin, REGISTER, input=staff_input, key="req-1")["data"]["registerStaff"]
    head = runtime.runner.head()
    again = gql(client, admin, REGISTER, input=staff_input, key="req-1")["data"]["registerStaff"]
    assert again["id"] == first["id"] and again["position"] == first["position"]
    assert again["replayed"] is True
    assert runtime.runner.head() == head


def test_reusing_an_idempotency_key_with_another_payload_is_refused_and_records_nothing(
    client: TestClient, admin: str, runtime: Runtime
) -> None:
    staff_input = {"name": "Retry", "branch": "SH01", "roles": ["TRADER"]}
    first = gql(client, admin, REGISTER, input=staff_input, key="req-2")["data"]["registerStaff"]
    assert first["__typename"] == "CommandSuccess"
    head = runtime.runner.head()
    other = gql(client, admin, REGISTER, input={**staff_input, "name": "Other"}, key="req-2")
    refused = other["data"]["registerStaff"]
    assert refused["__typename"] == "ValidationError"
    assert (refused["field"], refused["code"]) == ("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")
    assert runtime.runner.head() == head


def test_a_stale_expected_version_is_a_concurrency_conflict(client: TestClient, admin: str) -> None:
    created = gql(
        client, admin, REGISTER, input={"name": "V", "branch": "SH01", "roles": ["TRADER"]}
    )
    staff_id = created["data"]["registerStaff"]["id"]
    ok = gql(client, admin, GRANT, id=staff_id, role="RISK", v=1)["data"]["grantRole"]
    assert ok == {"__typename": "CommandSuccess", "version": 2, "position": ok["position"]}
    stale = gql(client, admin, GRANT, id=staff_id, role="FINANCE", v=1)["data"]["grantRole"]
    assert stale["__typename"] == "ConcurrencyConflict"
    assert (stale["expectedVersion"], stale["actualVersion"]) == (1, 2)


def test_branch_staff_see_only_their_branch(client: TestClient, runtime: Runtime) -> None:
    add_staff(runtime, "Beijing Trader", "BJ02", ["trader"])
    add_staff(runtime, "Shanghai Trader", "SH01", ["trader"])
    _, manager = add_staff(runtime, "Shanghai Manager", "SH01", ["branch_manager"])
    names = [
        n["name"]
        for n in gql(client, manager, "{ staff { nodes { name branch } } }")["data"]["staff"][
            "nodes"
        ]
    ]
    assert names == ["Shanghai Manager", "Shanghai Trader"]
    other = gql(client, manager, '{ staff(filter: {branch: "BJ02"}) { nodes { name } } }')
    assert other["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"


def test_staff_pages_follow_opaque_cursors_without_gaps(
    client: TestClient, runtime: Runtime, admin: str
) -> None:
    for i in range(5):
        add_staff(runtime, f"Page {i}", "SH01", ["trader"])
    seen: list[str] = []
    after = None
    while True:
        page = gql(
            client,
            admin,
            'query($after: String) { staff(first: 2, after: $after, filter: {namePrefix: "Page"}) {'
            " nodes { name } pageInfo { endCursor hasNextPage } } }",
            after=after,
        )["data"]["staff"]
        seen += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"Page {i}" for i in range(5)]


def test_a_forged_cursor_is_a_validation_error(client: TestClient, admin: str) -> None:
    body = gql(client, admin, '{ staff(after: "not-a-cursor") { nodes { name } } }')
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"


def test_unexpected_errors_are_masked(client: TestClient, admin: str, runtime: Runtime) -> None:
    def explode(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret internals")

    runtime.app.execute = explode  # type: ignore[method-assign]
    body = gql(client, admin, REGISTER, input={"name": "X", "branch": "SH01", "roles": ["TRADER"]})
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "secret" not in str(body)


def test_graphiql_loads_in_a_browser_without_a_token(client: TestClient) -> None:
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_health_reports_database_and_projection_lag(
    client: TestClient, runtime: Runtime, admin: str
) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["projections"]["staff"]["head"] == runtime.runner.head()


def test_health_fails_when_a_projection_stopped(client: TestClient, runtime: Runtime) -> None:
    from projections.runner import ProjectionFailed

    runtime.runner.error = ProjectionFailed("staff", 7, RuntimeError("bad event"))
    response = client.get("/health")
    assert response.status_code == 503
    assert "staff" in response.json()["error"]


def test_metrics_expose_projection_lag_in_prometheus_text(client: TestClient, admin: str) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert 'backoffice_projection_lag{projection="staff"}' in response.text
    assert "backoffice_database_up 1.0" in response.text
