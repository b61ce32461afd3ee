"""Nested lists read in a constant number of SQL statements: the blotter with each order's
timeline (and who acted), the complaint queue with each complaint's timeline, and clients
with their complaints — one statement per kind and level, whatever the page's length."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import Runtime
from domain import complaints as k
from tests.conftest import run
from tests.e2e.graph_world import World, build_world
from tests.e2e.test_graph_traversal import Statements

BLOTTER = """
query($first: Int!) {
  orders(first: $first) {
    nodes { id client { name } timeline { eventType actor actedBy { name } } }
  }
}
"""


@pytest.fixture
def world(runtime: Runtime) -> Iterator[World]:
    with TestClient(create_app(runtime, run_projections=False)) as http:
        yield build_world(runtime, http)


def _complaint(world: World, client: uuid.UUID) -> uuid.UUID:
    cid = uuid.uuid4()
    receive = k.ReceiveComplaint(
        complaint_id=cid,
        channel=k.ComplaintChannel.LETTER,
        category=k.ComplaintCategory.TRADING,
        content="委托未成交。",
        client_id=client,
        complainant_contact="13800001234",
    )
    run(world.runtime, receive, world.people["客服"].id)
    return cid


def test_a_fifty_row_blotter_with_timelines_takes_as_many_statements_as_a_five_row_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(10):
        cid = world.client()
        for j in range(5):
            world.order(cid, quantity=100 * (j + 1))
    world.sync()
    statements = Statements(monkeypatch)
    manager = world.people["行长"]
    small, five = statements.during(lambda: manager.data(BLOTTER, first=5))
    large, fifty = statements.during(lambda: manager.data(BLOTTER, first=50))
    nodes = fifty["orders"]["nodes"]
    assert len(five["orders"]["nodes"]) == 5 and len(nodes) == 50
    # Each order's own timeline: received by the manager, reviewed by the trader.
    assert all(
        [(t["eventType"], t["actedBy"]["name"]) for t in n["timeline"]]
        == [("Received", "经理"), ("Reviewed", "交易员")]
        for n in nodes
    ), nodes[0]["timeline"]
    assert large == small, (small, large)


def test_complaints_with_timelines_and_clients_with_complaints_take_constant_statements(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.person("客服", ["customer_service"])
    for _ in range(12):
        client = world.client()
        _complaint(world, client)
        _complaint(world, client)
    world.sync()
    queue = (
        "query($first: Int!) { complaints(first: $first) { nodes { number"
        " timeline { eventType actor } } } }"
    )
    directory = (
        "query($first: Int!) { clients(first: $first) { nodes { name"
        " complaints { number timeline { eventType } } } } }"
    )
    statements = Statements(monkeypatch)
    manager = world.people["行长"]
    for query, name in ((queue, "complaints"), (directory, "clients")):
        small, _ = statements.during(lambda q=query: manager.data(q, first=2))
        large, found = statements.during(lambda q=query: manager.data(q, first=20))
        nodes = found[name]["nodes"]
        assert len(nodes) == (20 if name == "complaints" else 12)
        if name == "clients":
            assert all(len(n["complaints"]) == 2 for n in nodes)
            assert all(c["timeline"] for n in nodes for c in n["complaints"])
        else:
            taker = str(world.people["客服"].id)
            assert all(n["timeline"][0]["actor"] == taker for n in nodes)
        assert large == small, (name, small, large)
