"""Traversing the graph through GraphQL over HTTP against PostgreSQL: an order leads to its
client, instrument, taker and reviewer, a client to its orders, an event to its actor — each
shown as its own query shows it, and read in a constant number of SQL statements."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import Runtime
from domain import clients as c
from tests.conftest import run
from tests.e2e.graph_world import World, build_world

BLOTTER = """
query($first: Int!) {
  orders(first: $first) {
    nodes {
      id quantity
      client { name accountNumber }
      reviewer { name }
      taker { name }
      instrument { name riskLevel }
    }
  }
}
"""


@pytest.fixture
def world(runtime: Runtime) -> Iterator[World]:
    # No runner thread: the tests sync the read models themselves, and nothing but the
    # request under test talks to the database while statements are counted.
    with TestClient(create_app(runtime, run_projections=False)) as http:
        yield build_world(runtime, http)


class Statements:
    """Counts the SQL statements psycopg executes while ``counting`` is on (not the pool's
    empty liveness checks, which come with every connection taken from it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.n = 0
        self.counting = False
        self.lock = threading.Lock()
        execute = psycopg.Cursor.execute

        def counted(cursor: psycopg.Cursor[Any], *args: Any, **kwargs: Any) -> Any:
            query = args[0] if args else kwargs.get("query", "")
            if self.counting and str(query).strip():
                with self.lock:
                    self.n += 1
            return execute(cursor, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", counted)

    def during(self, fn: Any) -> tuple[int, Any]:
        """(statements executed, result) of calling ``fn``."""
        self.n, self.counting = 0, True
        try:
            result = fn()
        finally:
            self.counting = False
        return self.n, result


def test_an_order_leads_to_its_client_instrument_taker_and_reviewer(world: World) -> None:
    cid = world.client()
    oid = world.order(cid, code="000001.SZ")
    world.sync()
    found = world.people["行长"].data(
        "query($id: UUID!) { order(id: $id) { client { id name accountNumber }"
        " instrument { code name } taker { name roles } reviewer { name roles } } }",
        id=str(oid),
    )["order"]
    assert found == {
        "client": {"id": str(cid), "name": "张三", "accountNumber": "10000001"},
        "instrument": {"code": "000001.SZ", "name": "平安银行"},
        "taker": {"name": "经理", "roles": ["ACCOUNT_MANAGER"]},
        "reviewer": {"name": "交易员", "roles": ["TRADER"]},
    }


def test_an_order_not_yet_reviewed_has_no_reviewer(world: World) -> None:
    oid = world.order(world.client(), review=None)
    world.sync()
    found = world.people["行长"].data(
        "query($id: UUID!) { order(id: $id) { reviewedBy reviewer { name } } }", id=str(oid)
    )
    assert found["order"] == {"reviewedBy": None, "reviewer": None}


def test_a_client_leads_to_its_orders_a_page_at_a_time_and_to_its_account_manager(
    world: World,
) -> None:
    cid = world.client()
    other = world.client()
    mine = [world.order(cid, quantity=100 * (i + 1)) for i in range(3)]
    world.order(other)
    world.sync()
    query = (
        "query($id: UUID!, $after: String) { client(id: $id) { managedBy { name }"
        " orders(first: 2, after: $after) { totalCount nodes { id clientId }"
        " pageInfo { endCursor hasNextPage } } } }"
    )
    first = world.people["行长"].data(query, id=str(cid))["client"]
    assert first["managedBy"] == {"name": "经理"}
    assert first["orders"]["totalCount"] == 3
    assert [n["id"] for n in first["orders"]["nodes"]] == [str(i) for i in mine[:2]]
    assert first["orders"]["pageInfo"]["hasNextPage"] is True
    after = first["orders"]["pageInfo"]["endCursor"]
    rest = world.people["行长"].data(query, id=str(cid), after=after)["client"]["orders"]
    assert [n["id"] for n in rest["nodes"]] == [str(mine[2])]
    assert rest["pageInfo"]["hasNextPage"] is False


def test_each_client_in_a_list_gets_its_own_orders(world: World) -> None:
    a, b = world.client(), world.client()
    orders_a = [world.order(a), world.order(a)]
    order_b = world.order(b)
    world.sync()
    found = world.people["行长"].data(
        "{ clients(first: 10) { nodes { id orders(first: 5) { totalCount nodes { id } } } } }"
    )["clients"]["nodes"]
    by_client = {n["id"]: n["orders"] for n in found}
    assert by_client[str(a)]["totalCount"] == 2
    assert {n["id"] for n in by_client[str(a)]["nodes"]} == {str(i) for i in orders_a}
    assert by_client[str(b)] == {"totalCount": 1, "nodes": [{"id": str(order_b)}]}


def test_event_actors_are_staff_members_in_timelines_history_and_the_audit_trail(
    world: World,
) -> None:
    oid = world.order(world.client())
    world.sync()
    auditor = world.people["审计"]
    timeline = auditor.data(
        "query($id: UUID!) { order(id: $id) { timeline { eventType actedBy { name } } } }",
        id=str(oid),
    )["order"]["timeline"]
    assert [(t["eventType"], t["actedBy"]["name"]) for t in timeline] == [
        ("Received", "经理"),
        ("Reviewed", "交易员"),
    ]
    history = auditor.data(
        "query($id: UUID!) { history(aggregateId: $id) { totalCount nodes { actedBy { name } } } }",
        id=str(oid),
    )["history"]
    assert history["totalCount"] == 2
    assert [n["actedBy"]["name"] for n in history["nodes"]] == ["经理", "交易员"]
    trail = auditor.data(
        "query($id: UUID!) { auditEvents(filter: {aggregateId: $id}) { totalCount"
        " nodes { eventType actedBy { name } } } }",
        id=str(oid),
    )["auditEvents"]
    assert trail["totalCount"] == 2
    assert [n["actedBy"]["name"] for n in trail["nodes"]] == ["经理", "交易员"]


def test_the_operator_on_the_command_line_acts_as_no_staff_member(world: World) -> None:
    world.sync()
    found = world.people["审计"].data(
        '{ auditEvents(filter: {eventType: "Instrument.Listed"}, first: 1)'
        " { nodes { actor actedBy { name } } } }"
    )["auditEvents"]["nodes"]
    assert found == [{"actor": "00000000-0000-0000-0000-000000000000", "actedBy": None}]


def test_a_client_reached_through_an_order_is_masked_as_client_masks_it(world: World) -> None:
    oid = world.order(world.client())
    world.sync()
    query = "query($id: UUID!) { order(id: $id) { client { documentNumber contact { mobile } } } }"
    direct = "{ clients(first: 1) { nodes { documentNumber contact { mobile } } } }"
    for who in ("交易员", "经理", "审计"):
        through = world.people[who].data(query, id=str(oid))["order"]["client"]
        assert through == world.people[who].data(direct)["clients"]["nodes"][0], who
    trader_view = world.people["交易员"].data(query, id=str(oid))["order"]["client"]
    assert trader_view["documentNumber"].startswith("**************")
    manager_view = world.people["经理"].data(query, id=str(oid))["order"]["client"]
    assert not manager_view["documentNumber"].startswith("*")


def test_a_restricted_clients_name_stays_hidden_through_its_orders(world: World) -> None:
    cid = world.client()
    oid = world.order(cid)
    run(world.runtime, c.RequestErasure(client_id=cid, channel="letter"), world.people["经理"].id)
    world.sync()
    query = "query($id: UUID!) { order(id: $id) { client { name } } }"
    assert world.people["交易员"].data(query, id=str(oid))["order"]["client"] == {"name": "张*"}
    assert world.people["审计"].data(query, id=str(oid))["order"]["client"] == {"name": "张三"}
    from_client = world.people["交易员"].data(
        "query($id: UUID!) { client(id: $id) {"
        " orders { nodes { actingPerson client { name } } } } }",
        id=str(cid),
    )["client"]["orders"]["nodes"]
    assert from_client == [{"actingPerson": None, "client": {"name": "张*"}}]


def test_a_staff_member_the_caller_may_not_see_is_null_not_an_error(world: World) -> None:
    oid = world.order(world.client())
    world.sync()
    query = "query($id: UUID!) { order(id: $id) { taker { name } reviewer { name } } }"
    # Traders may not list staff (no view_staff) but see themselves, as staffMember(id) does.
    body = world.people["交易员"].body(query, id=str(oid))
    assert "errors" not in body
    assert body["data"]["order"] == {"taker": None, "reviewer": {"name": "交易员"}}
    assert world.people["行长"].data(query, id=str(oid))["order"] == {
        "taker": {"name": "经理"},
        "reviewer": {"name": "交易员"},
    }


def test_a_fifty_row_blotter_with_names_takes_as_many_statements_as_a_five_row_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.person("交易员二", ["trader"])
    for i in range(10):
        cid = world.client()
        for j in range(5):
            world.order(cid, quantity=100 * (j + 1), review="交易员" if i % 2 else "交易员二")
    world.sync()
    statements = Statements(monkeypatch)
    manager = world.people["行长"]
    small, five = statements.during(lambda: manager.data(BLOTTER, first=5))
    large, fifty = statements.during(lambda: manager.data(BLOTTER, first=50))
    assert len(five["orders"]["nodes"]) == 5 and len(fifty["orders"]["nodes"]) == 50
    names = {n["client"]["accountNumber"] for n in fifty["orders"]["nodes"]}
    reviewers = {n["reviewer"]["name"] for n in fifty["orders"]["nodes"]}
    assert len(names) == 10 and reviewers == {"交易员", "交易员二"}
    assert large == small, (small, large)
    # Authentication, the page, the restricted clients, then one statement per kind reached.
    assert large <= 10, large


def test_fifty_clients_with_their_orders_and_reviewers_take_a_constant_number_of_statements(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(12):
        cid = world.client()
        world.order(cid)
        world.order(cid, quantity=200)
    world.sync()
    query = (
        "query($first: Int!) { clients(first: $first) { totalCount nodes { name"
        " orders(first: 5) { totalCount nodes { reviewer { name } timeline { eventType } } } } } }"
    )
    statements = Statements(monkeypatch)
    manager = world.people["行长"]
    small, _ = statements.during(lambda: manager.data(query, first=2))
    large, found = statements.during(lambda: manager.data(query, first=12))
    assert all(n["orders"]["totalCount"] == 2 for n in found["clients"]["nodes"])
    assert large == small, (small, large)
