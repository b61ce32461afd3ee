"""Clients through GraphQL alone, against real PostgreSQL with projections running."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import Runtime
from tests.conftest import add_staff

VALID_ID = "11010519491231002X"

RESULT = """
    __typename
    ... on CommandSuccess { id version position replayed }
    ... on ValidationError { message field code }
    ... on NotAllowed { message }
    ... on ConcurrencyConflict { message }
    ... on NotFound { message }
"""


class Api:
    """A small GraphQL client acting as one staff member."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def query(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def mutate(self, name: str, args: str, **variables: Any) -> dict[str, Any]:
        decl = ", ".join(f"${k}: {t}" for k, t in _types(name, variables).items())
        body = self.query(f"mutation({decl}) {{ {name}({args}) {{ {RESULT} }} }}", **variables)
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"][name]
        return result


def _types(name: str, variables: dict[str, Any]) -> dict[str, str]:
    input_types = {
        "registerClient": "RegisterClientInput!",
        "recordIdentity": "RecordIdentityInput!",
        "recordContact": "RecordContactInput!",
        "assessRisk": "AssessRiskInput!",
        "classifyInvestor": "ClassifyInvestorInput!",
        "assessQualifiedInvestor": "AssessQualifiedInvestorInput!",
        "addBeneficialOwner": "AddBeneficialOwnerInput!",
        "signAgreement": "SignAgreementInput!",
        "openAccount": "OpenAccountInput!",
        "requestIdentityChange": "RequestIdentityChangeInput!",
        "approveIdentityChange": "DecideIdentityChangeInput!",
        "rejectIdentityChange": "DecideIdentityChangeInput!",
        "closeClient": "CloseClientInput!",
    }
    known = {"input": input_types.get(name, ""), "reason": "String!", "id": "UUID!"}
    return {k: known[k] for k in variables}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as c:
        yield c


@pytest.fixture
def manager(runtime: Runtime, client: TestClient) -> tuple[uuid.UUID, Api]:
    principal, token = add_staff(runtime, "李娜", "SH01", ["account_manager"])
    return principal.staff_id, Api(client, token)


@pytest.fixture
def supervisor(runtime: Runtime, client: TestClient) -> Api:
    return Api(client, add_staff(runtime, "王建国", "SH01", ["branch_manager"])[1])


def register(api: Api, manager_id: uuid.UUID, name: str = "张三") -> str:
    result = api.mutate(
        "registerClient",
        "input: $input",
        input={
            "clientType": "INDIVIDUAL",
            "name": name,
            "sourceChannel": "WALK_IN",
            "accountManager": str(manager_id),
        },
    )
    assert result["__typename"] == "CommandSuccess", result
    return str(result["id"])


def event_count(runtime: Runtime) -> int:
    return runtime.runner.head()


def test_a_prospect_reaches_an_open_account_through_graphql_alone(
    manager: tuple[uuid.UUID, Api],
) -> None:
    manager_id, api = manager
    cid = register(api, manager_id)
    steps = [
        (
            "recordIdentity",
            {
                "clientId": cid,
                "realName": "张三",
                "documentType": "RESIDENT_ID",
                "documentNumber": VALID_ID,
            },
        ),
        (
            "recordContact",
            {
                "clientId": cid,
                "mobile": "13812345678",
                "idAddress": "北京市",
                "mailingAddress": "上海市",
            },
        ),
        ("assessRisk", {"clientId": cid, "level": "C4"}),
        ("classifyInvestor", {"clientId": cid, "classification": "ORDINARY"}),
        (
            "assessQualifiedInvestor",
            {"clientId": cid, "evidenceRef": "bank-stmt-7", "familyFinancialAssets": "1500000"},
        ),
        (
            "signAgreement",
            {"clientId": cid, "agreementType": "CLIENT_AGREEMENT", "version": "2026.1"},
        ),
        ("openAccount", {"clientId": cid, "accountNumber": "880000123456"}),
    ]
    position = 0
    for name, data in steps:
        result = api.mutate(name, "input: $input", input=data)
        assert result["__typename"] == "CommandSuccess", (name, result)
        position = result["position"]
    body = api.query(
        "query($id: UUID!, $p: Int) { client(id: $id, minPosition: $p) {"
        " status accountNumber riskLevel qualified classification identityVerified"
        " documentNumber eventCount contact { mobile mailingAddress }"
        " agreements { agreementType version } } }",
        id=cid,
        p=position,
    )
    assert body["data"]["client"] == {
        "status": "ACTIVE",
        "accountNumber": "880000123456",
        "riskLevel": "C4",
        "qualified": True,
        "classification": "ORDINARY",
        "identityVerified": True,
        "documentNumber": VALID_ID,
        "eventCount": 8,
        "contact": {"mobile": "13812345678", "mailingAddress": "上海市"},
        "agreements": [{"agreementType": "CLIENT_AGREEMENT", "version": "2026.1"}],
    }
    listing = api.query(
        "query($p: Int) { clients(filter: {status: ACTIVE}, minPosition: $p)"
        " { nodes { id name } } }",
        p=position,
    )
    assert listing["data"]["clients"]["nodes"] == [{"id": cid, "name": "张三"}]


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("110105194912310021", "check digit"),
        ("110105194902300023", "not a real date"),
    ],
)
def test_a_bad_id_number_is_a_typed_error_and_records_nothing(
    runtime: Runtime, manager: tuple[uuid.UUID, Api], number: str, message: str
) -> None:
    manager_id, api = manager
    cid = register(api, manager_id)
    head = event_count(runtime)
    result = api.mutate(
        "recordIdentity",
        "input: $input",
        input={
            "clientId": cid,
            "realName": "张三",
            "documentType": "RESIDENT_ID",
            "documentNumber": number,
        },
    )
    assert result["__typename"] == "ValidationError"
    assert result["field"] == "documentNumber" and message in result["message"]
    assert result["code"] == "INVALID_DOCUMENT"
    assert event_count(runtime) == head


def test_opening_an_account_before_kyc_is_a_typed_error_and_records_nothing(
    runtime: Runtime, manager: tuple[uuid.UUID, Api]
) -> None:
    manager_id, api = manager
    cid = register(api, manager_id)
    head = event_count(runtime)
    result = api.mutate(
        "openAccount", "input: $input", input={"clientId": cid, "accountNumber": "880000000001"}
    )
    assert result["__typename"] == "ValidationError"
    assert "verified identity" in result["message"]
    assert event_count(runtime) == head


def test_a_self_approved_identity_change_is_refused_and_another_supervisor_approves(
    runtime: Runtime, client: TestClient, manager: tuple[uuid.UUID, Api], supervisor: Api
) -> None:
    manager_id, api = manager
    cid = register(api, manager_id)
    api.mutate(
        "recordIdentity",
        "input: $input",
        input={
            "clientId": cid,
            "realName": "张三",
            "documentType": "RESIDENT_ID",
            "documentNumber": VALID_ID,
        },
    )
    both = Api(client, add_staff(runtime, "陈静", "SH01", ["account_manager", "branch_manager"])[1])
    request_id = str(uuid.uuid4())
    requested = both.mutate(
        "requestIdentityChange",
        "input: $input, reason: $reason",
        input={
            "clientId": cid,
            "realName": "张三丰",
            "evidenceRef": "marriage-cert-1",
            "id": request_id,
        },
        reason="name changed on marriage",
    )
    assert requested["__typename"] == "CommandSuccess"
    head = event_count(runtime)
    decision = {"clientId": cid, "requestId": request_id}
    refused = both.mutate("approveIdentityChange", "input: $input", input=decision)
    assert refused["__typename"] == "ValidationError" and "requester" in refused["message"]
    assert refused["code"] == "SAME_PERSON"
    not_allowed = api.mutate("approveIdentityChange", "input: $input", input=decision)
    assert not_allowed["__typename"] == "NotAllowed"
    assert event_count(runtime) == head
    pending = supervisor.query(
        "query($id: UUID!, $p: Int) { client(id: $id, minPosition: $p)"
        " { name pendingChanges { requestId realName reason } } }",
        id=cid,
        p=requested["position"],
    )["data"]["client"]
    assert pending == {
        "name": "张三",
        "pendingChanges": [
            {"requestId": request_id, "realName": "张三丰", "reason": "name changed on marriage"}
        ],
    }
    approved = supervisor.mutate("approveIdentityChange", "input: $input", input=decision)
    assert approved["__typename"] == "CommandSuccess"
    after = supervisor.query(
        "query($id: UUID!, $p: Int) { client(id: $id, minPosition: $p)"
        " { name pendingChanges { requestId } } }",
        id=cid,
        p=approved["position"],
    )["data"]["client"]
    assert after == {"name": "张三丰", "pendingChanges": []}


def test_freezing_stops_new_agreements_and_unfreezing_restores_them(
    manager: tuple[uuid.UUID, Api], supervisor: Api
) -> None:
    manager_id, api = manager
    cid = register(api, manager_id)
    frozen = supervisor.mutate(
        "freezeClient", "clientId: $id, reason: $reason", id=cid, reason="court order"
    )
    assert frozen["__typename"] == "CommandSuccess"
    sign = {"clientId": cid, "agreementType": "CLIENT_AGREEMENT", "version": "1"}
    refused = api.mutate("signAgreement", "input: $input", input=sign)
    assert refused["__typename"] == "ValidationError" and "frozen" in refused["message"]
    supervisor.mutate("unfreezeClient", "clientId: $id, reason: $reason", id=cid, reason="lifted")
    assert (
        api.mutate("signAgreement", "input: $input", input=sign)["__typename"] == "CommandSuccess"
    )
    closed = supervisor.mutate("closeClient", "input: $input", input={"clientId": cid})
    assert closed["__typename"] == "CommandSuccess"
    status = supervisor.query(
        "query($id: UUID!, $p: Int) { client(id: $id, minPosition: $p) { status closedOn } }",
        id=cid,
        p=closed["position"],
    )["data"]["client"]
    assert status["status"] == "CLOSED" and status["closedOn"]


def test_roles_that_may_not_see_whole_numbers_get_the_last_four(
    runtime: Runtime, client: TestClient, manager: tuple[uuid.UUID, Api]
) -> None:
    manager_id, api = manager
    cid = register(api, manager_id)
    recorded = api.mutate(
        "recordIdentity",
        "input: $input",
        input={
            "clientId": cid,
            "realName": "张三",
            "documentType": "RESIDENT_ID",
            "documentNumber": VALID_ID,
        },
    )
    trader = Api(client, add_staff(runtime, "张伟", "SH01", ["trader"])[1])
    seen = trader.query(
        "query($id: UUID!, $p: Int) { client(id: $id, minPosition: $p) { documentNumber } }",
        id=cid,
        p=recorded["position"],
    )["data"]["client"]
    assert seen == {"documentNumber": "**************002X"}


def test_another_branch_cannot_see_the_client_but_head_office_can(
    runtime: Runtime, client: TestClient, manager: tuple[uuid.UUID, Api]
) -> None:
    manager_id, api = manager
    cid = register(api, manager_id)
    beijing = Api(client, add_staff(runtime, "周强", "BJ02", ["branch_manager"])[1])
    head_office = Api(client, add_staff(runtime, "孙丽", "HQ", ["head_office"])[1])
    runtime.runner.sync(runtime.runner.head())
    hidden = beijing.query("query($id: UUID!) { client(id: $id) { name } }", id=cid)
    # the same answer as an unknown id (null), so the API is no oracle of other branches' ids
    assert "errors" not in hidden and hidden["data"]["client"] is None
    assert beijing.query("{ clients { nodes { id } } }")["data"]["clients"]["nodes"] == []
    seen = head_office.query("query($id: UUID!) { client(id: $id) { name } }", id=cid)
    assert seen["data"]["client"] == {"name": "张三"}


def test_the_document_policy_and_clients_developed_are_queries(
    runtime: Runtime, manager: tuple[uuid.UUID, Api], supervisor: Api
) -> None:
    manager_id, api = manager
    cid = register(api, manager_id, "John Smith")
    for name, data in [
        (
            "recordIdentity",
            {
                "clientId": cid,
                "realName": "John Smith",
                "documentType": "PASSPORT",
                "documentNumber": "E12345678",
            },
        ),
        ("assessRisk", {"clientId": cid, "level": "C2"}),
        ("signAgreement", {"clientId": cid, "agreementType": "CLIENT_AGREEMENT", "version": "1"}),
        ("openAccount", {"clientId": cid, "accountNumber": "880000000077"}),
    ]:
        assert api.mutate(name, "input: $input", input=data)["__typename"] == "CommandSuccess"
    runtime.runner.sync(runtime.runner.head())
    body = supervisor.query(
        "query($y: Int!) { clientDocumentPolicy { branch individuals otherDocuments share"
        " withinLimit } clientsDeveloped(year: $y) { accountManager count } }",
        y=runtime.business_date(runtime.clock()).year,
    )["data"]
    assert body["clientDocumentPolicy"] == [
        {
            "branch": "SH01",
            "individuals": 1,
            "otherDocuments": 1,
            "share": "1.0000",
            "withinLimit": False,
        }
    ]
    assert body["clientsDeveloped"] == [{"accountManager": str(manager_id), "count": 1}]
