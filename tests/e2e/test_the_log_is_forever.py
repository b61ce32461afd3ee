"""Probes of the running service as an attacker would make them, over HTTP against real
PostgreSQL: hostile values are refused before they reach the store, requests are bounded,
personal data is masked on every path, and power needs four eyes."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import Runtime
from domain import clients as c
from domain import orders as o
from domain.instruments import Board, ProductRisk, UpsertInstrument
from tests.conftest import add_staff, onboard, run
from tests.e2e.api import Api
from tests.reliability import Probe

pytestmark = pytest.mark.reliability


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


def api(runtime: Runtime, client: TestClient, *roles: str, branch: str = "SH01") -> Api:
    principal, token = add_staff(runtime, f"{roles[0]}-{uuid.uuid4().hex[:4]}", branch, list(roles))
    return Api(client, token, principal.staff_id)


def register(manager: Api, name: str) -> dict[str, Any]:
    return manager.mutate(
        "registerClient(input: $client)",
        client={
            "clientType": "INDIVIDUAL",
            "name": name,
            "sourceChannel": "WALK_IN",
            "accountManager": str(manager.id),
        },
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("毒\u0000药", "INVALID_TEXT"),
        ("\ud800", "INVALID_TEXT"),
        ("a" * 201, "TOO_LONG"),
        ("two\nlines", "INVALID_TEXT"),
        ("   ", "REQUIRED"),
    ],
)
def test_a_hostile_name_is_refused_with_its_code_and_nothing_is_stored(
    runtime: Runtime, client: TestClient, name: str, code: str, probe: Probe
) -> None:
    """registerClient with a NUL byte, a lone surrogate, 201 characters, a line break or
    blanks in the name: each refused with its code, the store unchanged."""
    manager = api(runtime, client, "account_manager")
    head = runtime.runner.head()
    result = register(manager, name)
    probe.count("sent")
    probe.count("refused" if result["__typename"] == "ValidationError" else "stored")
    probe.count("events stored by a refusal", runtime.runner.head() - head)
    assert (result["__typename"], result["field"], result["code"]) == (
        "ValidationError",
        "name",
        code,
    )
    assert runtime.runner.head() == head


@pytest.mark.parametrize(
    ("price", "code"),
    [
        ("Infinity", "OUT_OF_RANGE"),
        ("NaN", "OUT_OF_RANGE"),
        ("sNaN", "OUT_OF_RANGE"),
        ("1e308", "OUT_OF_RANGE"),
        ("1e-30", "OUT_OF_RANGE"),
        ("1.00001", "TOO_PRECISE"),
    ],
)
def test_a_price_no_column_or_report_can_hold_is_refused(
    runtime: Runtime, client: TestClient, price: str, code: str, probe: Probe
) -> None:
    """receiveOrder with an Infinity, NaN, sNaN, 1e308, 1e-30 or over-precise limit price."""
    probe.count("sent")
    manager = api(runtime, client, "account_manager")
    cid = onboard(runtime, manager.id)
    head = runtime.runner.head()
    result = manager.mutate(
        "receiveOrder(input: $order)",
        order={
            "clientId": str(cid),
            "accountNumber": "10000001",
            "instrumentCode": "600519.SH",
            "side": "BUY",
            "quantity": 100,
            "orderType": "LIMIT",
            "limitPrice": price,
            "channel": "PHONE",
        },
    )
    assert (result["__typename"], result["field"], result["code"]) == (
        "ValidationError",
        "limitPrice",
        code,
    )
    assert runtime.runner.head() == head


def test_a_year_no_business_happens_in_is_refused_not_an_unexpected_error(
    runtime: Runtime, client: TestClient
) -> None:
    manager = api(runtime, client, "account_manager")
    cid = onboard(runtime, manager.id)
    result = manager.mutate(
        "assessRisk(input: $risk)",
        risk={"clientId": str(cid), "level": "C2", "assessedOn": "0001-01-01"},
    )
    assert (result["__typename"], result["code"]) == ("ValidationError", "OUT_OF_RANGE")


def test_a_quantity_beyond_a_graphql_int_is_refused_by_graphql_itself(
    runtime: Runtime, client: TestClient
) -> None:
    manager = api(runtime, client, "account_manager")
    body = manager.body(
        "mutation($id: UUID!) { receiveOrder(input: {clientId: $id, accountNumber: "
        '"10000001", instrumentCode: "600519.SH", side: BUY, quantity: 2147483648,'
        " orderType: MARKET, channel: PHONE}) { __typename } }",
        id=str(uuid.uuid4()),
    )
    assert body.get("data") is None and "32-bit" in body["errors"][0]["message"]


def test_a_huge_idempotency_key_is_refused_with_its_field(
    runtime: Runtime, client: TestClient
) -> None:
    manager = api(runtime, client, "account_manager")
    result = manager.mutate(
        "registerClient(input: $client, idempotencyKey: $key)",
        client={
            "clientType": "INDIVIDUAL",
            "name": "张三",
            "sourceChannel": "PHONE",
            "accountManager": str(manager.id),
        },
        key="k" * 10_000,
    )
    assert (result["field"], result["code"]) == ("idempotencyKey", "TOO_LONG")


def test_a_body_larger_than_the_limit_is_refused_with_413(
    runtime: Runtime, client: TestClient
) -> None:
    manager = api(runtime, client, "account_manager")
    response = manager.post("{ me { name } }", padding="x" * 20_000_000)
    assert response.status_code == 413


def test_a_document_with_too_many_aliases_is_refused(runtime: Runtime, client: TestClient) -> None:
    manager = api(runtime, client, "account_manager")
    aliases = " ".join(f"a{i}: me {{ name }}" for i in range(100))
    body = manager.body(f"{{ {aliases} }}")
    assert body.get("data") is None and "aliases" in body["errors"][0]["message"]


def test_a_request_waiting_for_a_far_position_does_not_hold_up_others(
    runtime: Runtime, client: TestClient, probe: Probe
) -> None:
    """25 aliases waiting for minPosition 2,000,000,000 while 20 `{ me }` requests run."""
    manager = api(runtime, client, "account_manager")
    waits = " ".join(
        f"w{i}: clients(first: 1, minPosition: 2000000000) {{ nodes {{ id }} }}" for i in range(25)
    )
    slow: dict[str, Any] = {}

    def far() -> None:
        slow["body"] = manager.body(f"{{ {waits} }}")
        slow["done"] = time.monotonic()

    waiter = threading.Thread(target=far)
    waiter.start()
    time.sleep(0.2)  # let the far request start waiting
    answered = []
    for _ in range(20):
        assert manager.data("{ me { name } }")["me"]["name"].startswith("account_manager")
        answered.append(time.monotonic())
    waiter.join(30)
    probe.figure("slowest `{ me }` while the far request waited (ms)", round(1000 * max(
        b - a for a, b in zip([answered[0] - 0.0, *answered[:-1]], answered, strict=True)
    )))  # fmt: skip
    # Every quick request was answered while the far one was still waiting (one shared
    # deadline of READ_WAIT_TIMEOUT for all its 25 waits, on the event loop).
    assert "done" in slow and max(answered) < slow["done"]
    assert all(c["reached"] is False for c in slow["body"]["extensions"]["consistency"])


def test_a_staff_member_beyond_the_rate_limit_gets_429(
    runtime: Runtime, client: TestClient
) -> None:
    manager = api(runtime, client, "account_manager")
    client.app.state.rate_limiter.rate, client.app.state.rate_limiter.burst = 1.0, 5  # type: ignore[attr-defined]
    statuses = [manager.post("{ me { name } }").status_code for _ in range(10)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]


def _order_taken_for_a_third_party(runtime: Runtime, manager: Api) -> uuid.UUID:
    cid = onboard(runtime, manager.id)
    run(
        runtime,
        UpsertInstrument(
            code="600519.SH",
            name="茅台",
            board=Board.MAIN,
            risk_level=ProductRisk.R3,
            board_lot=100,
        ),
    )
    oid = uuid.uuid4()
    r = run(
        runtime,
        o.ReceiveOrder(
            order_id=oid,
            client_id=cid,
            account_number="10000001",
            instrument_code="600519.SH",
            side=o.Side.BUY,
            quantity=100,
            order_type=o.OrderType.MARKET,
            channel=o.OrderChannel.PHONE,
            acting_person="李四 110105194912310021 13912345678",
        ),
        manager.id,
    )
    runtime.runner.sync(r.position or 0)
    return oid


def test_a_third_party_acting_for_the_client_is_masked_in_the_order_and_its_timeline(
    runtime: Runtime, client: TestClient
) -> None:
    manager = api(runtime, client, "account_manager")
    oid = _order_taken_for_a_third_party(runtime, manager)
    trader = api(runtime, client, "trader")
    order = trader.data(
        "query($id: UUID!) { order(id: $id) { actingPerson timeline { details } } }", id=str(oid)
    )["order"]
    assert order["actingPerson"] == "***"
    assert order["timeline"][0]["details"]["acting_person"] == "***"
    full = manager.data("query($id: UUID!) { order(id: $id) { actingPerson } }", id=str(oid))
    assert full["order"]["actingPerson"].startswith("李四")


def test_a_name_prefix_never_matches_a_name_hidden_after_an_erasure_request(
    runtime: Runtime, client: TestClient
) -> None:
    manager = api(runtime, client, "account_manager")
    cid = onboard(runtime, manager.id)
    r = run(runtime, c.RequestErasure(client_id=cid, channel="letter"), manager.id)
    runtime.runner.sync(r.position or 0)
    query = '{ clients(filter: {namePrefix: "张"}) { nodes { id name } } }'
    assert manager.data(query)["clients"]["nodes"] == []
    auditor = api(runtime, client, "auditor", branch="HQ")
    assert [n["name"] for n in auditor.data(query)["clients"]["nodes"]] == ["张三"]


def test_a_record_of_another_branch_answers_like_an_unknown_one(
    runtime: Runtime, client: TestClient
) -> None:
    manager = api(runtime, client, "account_manager")
    cid = onboard(runtime, manager.id)
    stranger = api(runtime, client, "account_manager", branch="BJ02")
    query = "query($id: UUID!) { client(id: $id) { name } }"
    assert stranger.body(query, id=str(cid)) == stranger.body(query, id=str(uuid.uuid4()))
    refused = stranger.mutate(
        "assessRisk(input: $risk)", risk={"clientId": str(cid), "level": "C2"}
    )
    unknown = stranger.mutate(
        "assessRisk(input: $risk)", risk={"clientId": str(uuid.uuid4()), "level": "C2"}
    )
    assert refused["__typename"] == unknown["__typename"] == "NotFound"


def test_a_role_takes_effect_only_when_a_second_admin_approves(
    runtime: Runtime, client: TestClient
) -> None:
    first, second = (
        api(runtime, client, "admin", branch="HQ"),
        api(runtime, client, "admin", branch="HQ"),
    )
    member = api(runtime, client, "trader")
    asked = first.mutate("grantRole(staffId: $id, role: $role)", id=str(member.id), role="AUDITOR")
    assert asked["__typename"] == "CommandSuccess"
    self_approval = first.mutate(
        "approveRoleGrant(staffId: $id, role: $role)", id=str(member.id), role="AUDITOR"
    )
    assert (self_approval["__typename"], self_approval["code"]) == (
        "ValidationError",
        "SAME_PERSON",
    )
    assert member.data("{ me { roles } }")["me"]["roles"] == ["TRADER"]
    approved = second.mutate(
        "approveRoleGrant(staffId: $id, role: $role)", id=str(member.id), role="AUDITOR"
    )
    assert approved["__typename"] == "CommandSuccess"
    found = member.data(
        "query($id: UUID!, $p: Int) { staffMember(id: $id, minPosition: $p) { roles } }",
        id=str(member.id),
        p=approved["position"],
    )
    assert found["staffMember"]["roles"] == ["AUDITOR", "TRADER"]


def test_nobody_asks_for_a_role_for_themself(runtime: Runtime, client: TestClient) -> None:
    admin = api(runtime, client, "admin", branch="HQ")
    result = admin.mutate("grantRole(staffId: $id, role: $role)", id=str(admin.id), role="AUDITOR")
    assert (result["__typename"], result["code"]) == ("ValidationError", "SAME_PERSON")


def test_introspection_can_be_switched_off_for_production(runtime: Runtime) -> None:
    runtime.settings.graphql_introspection = False
    with TestClient(create_app(runtime)) as test_client:
        manager = api(runtime, test_client, "account_manager")
        body = manager.body("{ __schema { queryType { name } } }")
        assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()
        assert manager.data("{ me { name } }")["me"]["name"]
