"""Orders through GraphQL alone, against real PostgreSQL with projections running."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import Runtime
from domain.clients import GrantTradingPermission
from domain.instruments import Board, ProductRisk, UpsertInstrument
from tests.conftest import add_staff, onboard

RESULT = """
    __typename
    ... on CommandSuccess { id version position }
    ... on ValidationError { message field code }
    ... on NotAllowed { message }
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
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    def mutate(self, call: str, **variables: Any) -> dict[str, Any]:
        decl = ", ".join(f"${k}: {TYPES[k]}" for k in variables)
        name = call.split("(", 1)[0]
        data = self.query(f"mutation({decl}) {{ {call} {{ {RESULT} }} }}", **variables)
        return data[name]  # type: ignore[no-any-return]


TYPES = {
    "input": "ReceiveOrderInput!",
    "fill": "RecordFillInput!",
    "id": "UUID!",
    "note": "String!",
    "cause": "CancelCause!",
}
RECEIVE = "receiveOrder(input: $input)"
REVIEW = "reviewOrder(orderId: $id)"
FILL = "recordFill(input: $fill)"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as c:
        yield c


@pytest.fixture
def setup(runtime: Runtime, client: TestClient) -> dict[str, Any]:
    for code, name, board, risk, lot, restricted in [
        ("600519.SH", "贵州茅台", Board.MAIN, ProductRisk.R3, 100, False),
        ("300750.SZ", "宁德时代", Board.CHINEXT, ProductRisk.R4, 100, False),
        ("600234.SH", "科新发展", Board.MAIN, ProductRisk.R2, 100, True),
    ]:
        runtime.system(
            UpsertInstrument(
                code=code,
                name=name,
                board=board,
                risk_level=risk,
                board_lot=lot,
                restricted=restricted,
            ),
            "test",
        )
    manager, manager_token = add_staff(runtime, "李娜", "SH01", ["account_manager"])
    client_id = onboard(runtime, manager.staff_id, "10000001")
    return {
        "client_id": str(client_id),
        "taker": Api(client, manager_token),
        "trader": Api(client, add_staff(runtime, "张伟", "SH01", ["trader"])[1]),
        "risk": Api(client, add_staff(runtime, "陈静", "SH01", ["risk"])[1]),
    }


def order_input(setup: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    base = {
        "clientId": setup["client_id"],
        "accountNumber": "10000001",
        "instrumentCode": "600519.SH",
        "side": "BUY",
        "quantity": 200,
        "orderType": "LIMIT",
        "limitPrice": "1500.00",
        "channel": "PHONE",
        # not before the account was opened (just now, by the fixture) nor in the future
        "receivedAt": datetime.now(UTC).isoformat(),
    }
    base.update(overrides)
    return base


def test_an_order_goes_from_receipt_to_archive_through_graphql(setup: dict[str, Any]) -> None:
    taker, trader = setup["taker"], setup["trader"]
    # now (after the account was opened), with microseconds that are not zero
    now = datetime.now(UTC)
    received_at = now.replace(microsecond=now.microsecond or 1)
    received = taker.mutate(RECEIVE, input=order_input(setup, receivedAt=received_at.isoformat()))
    assert received["__typename"] == "CommandSuccess", received
    oid = received["id"]
    assert trader.mutate(REVIEW, id=oid)["__typename"] == "CommandSuccess"
    at = datetime.now(UTC).isoformat()
    for n, qty in enumerate((100, 100)):
        fill = {
            "orderId": oid,
            "executionId": f"EX-{oid[:8]}-{n}",
            "quantity": qty,
            "price": "1500.10",
            "executedAt": at,
        }
        assert trader.mutate(FILL, fill=fill)["__typename"] == "CommandSuccess"
    fed = taker.mutate("recordOrderFeedback(orderId: $id, channel: PHONE)", id=oid)
    assert fed["__typename"] == "CommandSuccess"
    archived = taker.mutate("archiveOrder(orderId: $id)", id=oid)
    assert archived["__typename"] == "CommandSuccess"
    data = trader.query(
        "query($id: UUID!, $p: Int) { order(id: $id, minPosition: $p) {"
        " status filledQuantity averagePrice receivedAt reasonCodes"
        " timeline { eventType actorRole details } } }",
        id=oid,
        p=archived["position"],
    )["order"]
    assert data["status"] == "ARCHIVED"
    assert (data["filledQuantity"], data["averagePrice"]) == (200, "1500.1000")
    assert data["receivedAt"].startswith(received_at.isoformat()[:26])
    steps = [(t["eventType"], t["actorRole"]) for t in data["timeline"]]
    assert steps == [
        ("Received", "account_manager"),
        ("Reviewed", "trader"),
        ("Filled", "trader"),
        ("Filled", "trader"),
        ("FedBack", "account_manager"),
        ("Archived", "account_manager"),
    ]
    checks = data["timeline"][1]["details"]["checks"]
    assert all(c["passed"] for c in checks) and len(checks) == 10


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"quantity": 150}, "BOARD_LOT"),
        ({"limitPrice": None}, "LIMIT_PRICE_INVALID"),
        ({"accountNumber": "99999999"}, "ACCOUNT_MISMATCH"),
        ({"instrumentCode": "300750.SZ"}, "BOARD_NOT_PERMITTED"),
        ({"instrumentCode": "300750.SZ"}, "SUITABILITY_NOT_ACKNOWLEDGED"),
    ],
)
def test_each_failed_check_is_recorded_as_a_rejection_with_its_code(
    setup: dict[str, Any], overrides: dict[str, Any], code: str
) -> None:
    oid = setup["taker"].mutate(RECEIVE, input=order_input(setup, **overrides))["id"]
    reviewed = setup["trader"].mutate(REVIEW, id=oid)
    data = setup["trader"].query(
        "query($id: UUID!, $p: Int) { order(id: $id, minPosition: $p) { status reasonCodes } }",
        id=oid,
        p=reviewed["position"],
    )["order"]
    assert data["status"] == "REJECTED" and code in data["reasonCodes"]


def test_a_signed_risk_acknowledgement_makes_a_higher_risk_product_suitable(
    runtime: Runtime, setup: dict[str, Any]
) -> None:
    runtime.system(
        GrantTradingPermission(client_id=uuid.UUID(setup["client_id"]), board=Board.CHINEXT),
        "test",
    )
    oid = setup["taker"].mutate(RECEIVE, input=order_input(setup, instrumentCode="300750.SZ"))["id"]
    ack = setup["taker"].mutate(
        'acknowledgeRiskDisclosure(orderId: $id, warningRef: "RW-7")', id=oid
    )
    assert ack["__typename"] == "CommandSuccess"
    reviewed = setup["trader"].mutate(REVIEW, id=oid)
    status = setup["trader"].query(
        "query($id: UUID!, $p: Int) { order(id: $id, minPosition: $p) { status } }",
        id=oid,
        p=reviewed["position"],
    )["order"]["status"]
    assert status == "ACCEPTED"


def test_overfill_and_a_repeated_execution_id_are_refused(setup: dict[str, Any]) -> None:
    trader = setup["trader"]
    oid = setup["taker"].mutate(RECEIVE, input=order_input(setup))["id"]
    trader.mutate(REVIEW, id=oid)
    at = datetime.now(UTC).isoformat()
    over = trader.mutate(
        FILL,
        fill={"orderId": oid, "executionId": "R1", "quantity": 300, "price": "1", "executedAt": at},
    )
    assert over["__typename"] == "ValidationError" and over["field"] == "quantity"
    assert over["code"] == "LIMIT_EXCEEDED"
    ok = trader.mutate(
        FILL,
        fill={"orderId": oid, "executionId": "R1", "quantity": 100, "price": "1", "executedAt": at},
    )
    assert ok["__typename"] == "CommandSuccess"
    again = trader.mutate(
        FILL,
        fill={"orderId": oid, "executionId": "R1", "quantity": 100, "price": "1", "executedAt": at},
    )
    assert again["__typename"] == "ValidationError" and again["field"] == "executionId"
    assert again["code"] == "DUPLICATE"


def test_only_traders_review_and_only_risk_clears_flags(setup: dict[str, Any]) -> None:
    taker, trader, risk = setup["taker"], setup["trader"], setup["risk"]
    received = taker.mutate(
        RECEIVE, input=order_input(setup, instrumentCode="600234.SH", limitPrice="10")
    )
    oid = received["id"]
    assert taker.mutate(REVIEW, id=oid)["__typename"] == "NotAllowed"
    waiting = trader.mutate(REVIEW, id=oid)
    assert waiting["__typename"] == "ValidationError" and "risk management" in waiting["message"]
    queue = trader.query(
        "query($p: Int) { flaggedOrders(minPosition: $p) { id flagRules } }",
        p=received["position"],
    )["flaggedOrders"]
    assert queue == [{"id": oid, "flagRules": ["RESTRICTED_INSTRUMENT"]}]
    assert (
        trader.mutate("clearOrderFlag(orderId: $id, note: $note)", id=oid, note="x")["__typename"]
        == "NotAllowed"
    )
    cleared = risk.mutate(
        "clearOrderFlag(orderId: $id, note: $note)", id=oid, note="client confirmed the instruction"
    )
    assert cleared["__typename"] == "CommandSuccess"
    assert trader.mutate(REVIEW, id=oid)["__typename"] == "CommandSuccess"
    after = trader.query(
        "query($p: Int) { flaggedOrders(minPosition: $p) { id } }", p=cleared["position"]
    )
    assert after["flaggedOrders"] == []


def test_the_blotter_filters_and_pages(setup: dict[str, Any]) -> None:
    taker = setup["taker"]
    last = None
    for _ in range(3):
        last = taker.mutate(RECEIVE, input=order_input(setup))
    cancelled = taker.mutate(
        "cancelOrder(orderId: $id, cause: $cause)",
        id=last["id"],  # type: ignore[index]
        cause="CLIENT_REQUEST",
    )
    assert cancelled["__typename"] == "CommandSuccess"
    page = taker.query(
        'query($p: Int) { orders(first: 2, minPosition: $p, filter: {instrumentCode: "600519.sh"})'
        " { nodes { id status } pageInfo { hasNextPage endCursor } } }",
        p=cancelled["position"],
    )["orders"]
    assert len(page["nodes"]) == 2 and page["pageInfo"]["hasNextPage"]
    rest = taker.query(
        "query($a: String) { orders(first: 2, after: $a) { nodes { id status } } }",
        a=page["pageInfo"]["endCursor"],
    )["orders"]["nodes"]
    assert rest == [{"id": last["id"], "status": "CANCELLED"}]  # type: ignore[index]
    only = taker.query("{ orders(filter: {status: CANCELLED}) { nodes { id } } }")
    assert only["orders"]["nodes"] == [{"id": last["id"]}]  # type: ignore[index]


def test_trader_kpis_count_reviews(runtime: Runtime, setup: dict[str, Any]) -> None:
    oid = setup["taker"].mutate(RECEIVE, input=order_input(setup))["id"]
    setup["trader"].mutate(REVIEW, id=oid)
    runtime.runner.sync(runtime.runner.head())
    year = runtime.business_date(runtime.clock()).year
    kpis = setup["trader"].query(
        "query($y: Int!) { traderKpis(year: $y) { reviewed accepted reviewAccuracy } }", y=year
    )["traderKpis"]
    assert kpis == [{"reviewed": 1, "accepted": 1, "reviewAccuracy": "1.0000"}]
