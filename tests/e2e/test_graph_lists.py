"""Lists through GraphQL over HTTP against PostgreSQL: totalCount (counted only when asked
for), pages on every list, a choice of sort whose cursors stay with it, and range filters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import Runtime
from domain import clients as c
from domain import orders as o
from domain.instruments import Board, ProductRisk, UpsertInstrument
from tests.conftest import run
from tests.e2e.graph_world import World, build_world
from tests.e2e.test_graph_traversal import Statements

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def world(runtime: Runtime) -> Iterator[World]:
    runtime.clock = lambda: START
    with TestClient(create_app(runtime, run_projections=False)) as http:
        yield build_world(runtime, http)


def at(world: World, minutes: int) -> None:
    """Move the business clock to START + ``minutes``."""
    world.runtime.clock = lambda: START + timedelta(minutes=minutes)


def ids(connection: dict[str, object]) -> list[str]:
    return [n["id"] for n in connection["nodes"]]  # type: ignore[index, attr-defined]


def test_total_count_counts_every_page_and_costs_a_statement_only_when_asked_for(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = world.client()
    for _ in range(3):
        world.order(cid)
    world.sync()
    statements = Statements(monkeypatch)
    manager = world.people["行长"]
    without, _ = statements.during(lambda: manager.data("{ orders(first: 1) { nodes { id } } }"))
    with_count, found = statements.during(
        lambda: manager.data("{ orders(first: 1) { totalCount nodes { id } } }")
    )
    assert found["orders"]["totalCount"] == 3 and len(found["orders"]["nodes"]) == 1
    assert with_count == without + 1
    # Asked for in a fragment, or with a filter the counts table does not cover: the same.
    in_fragment, found = statements.during(
        lambda: manager.data(
            "{ orders(first: 1) { ...total nodes { id } } }"
            " fragment total on OrderConnection { totalCount }"
        )
    )
    assert found["orders"]["totalCount"] == 3 and in_fragment == with_count
    found = manager.data("{ orders(first: 1, filter: {minQuantity: 1}) { totalCount } }")
    assert found["orders"]["totalCount"] == 3


def test_every_connection_has_a_total_count(world: World) -> None:
    world.order(world.client())
    world.sync()
    admin = world.people["管理员"]
    found = admin.data(
        "{ staff { totalCount } clients { totalCount } orders { totalCount }"
        " instrumentCatalogue { totalCount } }"
    )
    assert found == {
        "staff": {"totalCount": 5},
        "clients": {"totalCount": 1},
        "orders": {"totalCount": 1},
        "instrumentCatalogue": {"totalCount": 3},
    }


def test_the_instrument_catalogue_pages_filters_and_sorts(world: World) -> None:
    world.sync()
    api = world.people["交易员"]
    query = (
        "query($after: String, $sort: InstrumentSort!) { instrumentCatalogue(first: 2,"
        " after: $after, orderBy: $sort) { nodes { code } pageInfo { endCursor hasNextPage } } }"
    )
    first = api.data(query, sort="CODE")["instrumentCatalogue"]
    assert [n["code"] for n in first["nodes"]] == ["000001.SZ", "600519.SH"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = api.data(query, sort="CODE", after=first["pageInfo"]["endCursor"])
    assert [n["code"] for n in rest["instrumentCatalogue"]["nodes"]] == ["601318.SH"]
    by_name = api.data(query, sort="NAME")["instrumentCatalogue"]["nodes"]
    assert [n["code"] for n in by_name] == in_db_order(world, "instruments", "code", "name, code")[
        :2
    ]
    filtered = api.data(
        '{ instrumentCatalogue(filter: {prefix: "60", riskLevel: R3}) { totalCount'
        " nodes { code } } }"
    )["instrumentCatalogue"]
    assert filtered == {"totalCount": 2, "nodes": [{"code": "600519.SH"}, {"code": "601318.SH"}]}


def restrict(world: World, code: str = "000001.SZ") -> None:
    """Put an instrument on the restricted list: its orders are flagged at receipt."""
    world.runtime.system(
        UpsertInstrument(
            code=code, name="平安银行", board=Board.MAIN, risk_level=ProductRisk.R2,
            board_lot=100, restricted=True,
        ),
        "test",
    )  # fmt: skip


def test_risk_managements_queue_is_a_paged_filter_of_the_blotter(world: World) -> None:
    restrict(world)
    world.person("风控", ["risk"])
    cid = world.client()
    flagged = []
    for minutes in range(3):
        at(world, minutes)
        flagged.append(world.order(cid, code="000001.SZ", review=None))
    world.order(cid)
    run(world.runtime, o.ClearOrderFlag(order_id=flagged[0], note="ok"), world.people["风控"].id)
    run(world.runtime, o.EscalateOrderFlag(order_id=flagged[1], note="?"), world.people["风控"].id)
    world.sync()
    risk = world.people["风控"]
    query = (
        "query($after: String) { orders(filter: {awaitingRisk: true}, first: 1, after: $after)"
        " { totalCount nodes { id flagStatus } pageInfo { endCursor hasNextPage } } }"
    )
    page = risk.data(query)["orders"]
    assert page["totalCount"] == 2
    assert page["nodes"] == [{"id": str(flagged[1]), "flagStatus": "ESCALATED"}]
    rest = risk.data(query, after=page["pageInfo"]["endCursor"])["orders"]
    assert rest["nodes"] == [{"id": str(flagged[2]), "flagStatus": "OPEN"}]
    assert rest["pageInfo"]["hasNextPage"] is False
    cleared = risk.data("{ orders(filter: {flagStatus: CLEARED}) { nodes { id } } }")
    assert ids(cleared["orders"]) == [str(flagged[0])]
    old = risk.data("{ flaggedOrders { id } }")["flaggedOrders"]
    assert [n["id"] for n in old] == [str(flagged[1]), str(flagged[2])]


def test_the_blotter_sorts_newest_first_or_largest_first(world: World) -> None:
    cid = world.client()
    made = []
    for minutes, quantity in ((1, 300), (2, 100), (3, 200)):
        at(world, minutes)
        made.append(world.order(cid, quantity=quantity))
    world.sync()
    api = world.people["行长"]
    query = "query($s: OrderSort!) { orders(orderBy: $s) { nodes { id } } }"
    assert ids(api.data(query, s="RECEIVED_AT")["orders"]) == [str(i) for i in made]
    assert ids(api.data(query, s="RECEIVED_AT_DESC")["orders"]) == [str(i) for i in made[::-1]]
    assert ids(api.data(query, s="QUANTITY_DESC")["orders"]) == [
        str(made[0]), str(made[2]), str(made[1])
    ]  # fmt: skip


def test_pages_of_a_descending_sort_follow_on_without_gaps_or_repeats(world: World) -> None:
    cid = world.client()
    for minutes in range(5):
        at(world, minutes)
        world.order(cid)
    world.sync()
    api = world.people["行长"]
    query = (
        "query($after: String) { orders(orderBy: RECEIVED_AT_DESC, first: 2, after: $after)"
        " { nodes { id } pageInfo { endCursor hasNextPage } } }"
    )
    seen: list[str] = []
    after = None
    while True:
        page = api.data(query, after=after)["orders"]
        seen += ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [str(i) for i in world.orders[::-1]]


def test_a_cursor_of_one_sort_is_refused_by_another(world: World) -> None:
    cid = world.client()
    world.order(cid)
    world.order(cid)
    world.sync()
    api = world.people["行长"]
    cursor = api.data("{ orders(first: 1, orderBy: QUANTITY_DESC) { pageInfo { endCursor } } }")
    body = api.body(
        "query($a: String) { orders(first: 1, after: $a, orderBy: RECEIVED_AT) { nodes { id } } }",
        a=cursor["orders"]["pageInfo"]["endCursor"],
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
    assert "another order" in body["errors"][0]["message"]


def test_orders_filter_by_receipt_time_and_quantity(world: World) -> None:
    cid = world.client()
    made = []
    for minutes, quantity in ((0, 100), (30, 500), (60, 1000)):
        at(world, minutes)
        made.append(world.order(cid, quantity=quantity))
    world.sync()
    api = world.people["行长"]
    query = "query($f: OrderFilter) { orders(filter: $f) { totalCount nodes { id } } }"
    window = api.data(
        query, f={"receivedAtFrom": "2026-11-23T01:30:00Z", "receivedAtTo": "2026-11-23T02:00:00Z"}
    )["orders"]
    assert ids(window) == [str(made[1])]
    sized = api.data(query, f={"minQuantity": 200, "maxQuantity": 1000})["orders"]
    assert ids(sized) == [str(made[1]), str(made[2])]


def test_a_time_without_a_zone_in_a_filter_is_taken_in_the_branch_time_zone(world: World) -> None:
    cid = world.client()
    at(world, 0)
    early = world.order(cid)  # 09:00 in Shanghai
    at(world, 120)
    late = world.order(cid)  # 11:00 in Shanghai
    world.sync()
    api = world.people["行长"]
    query = "query($f: OrderFilter) { orders(filter: $f) { nodes { id } } }"
    found = api.data(query, f={"receivedAtFrom": "2026-11-23T10:00:00"})["orders"]
    assert ids(found) == [str(late)]
    found = api.data(query, f={"receivedAtTo": "2026-11-23T10:00:00"})["orders"]
    assert ids(found) == [str(early)]


def test_clients_filter_by_registration_time_and_risk_expiry(world: World) -> None:
    at(world, -60 * 24 * 800)
    old = world.client()  # assessed 800 days ago: expired
    at(world, 0)
    new = world.client()
    world.sync()
    api = world.people["行长"]
    query = "query($f: ClientFilter) { clients(filter: $f) { totalCount nodes { id } } }"
    recent = api.data(query, f={"registeredFrom": "2026-11-01T00:00:00+08:00"})["clients"]
    assert ids(recent) == [str(new)]
    before = api.data(query, f={"registeredTo": "2026-11-01T00:00:00"})["clients"]
    assert ids(before) == [str(old)]
    due = api.data(query, f={"riskExpiresBefore": "2026-11-23"})["clients"]
    assert ids(due) == [str(old)]


def test_sorting_clients_by_name_leaves_out_names_hidden_from_the_caller(world: World) -> None:
    shown, hidden = world.client(), world.client()
    run(
        world.runtime, c.RequestErasure(client_id=hidden, channel="letter"), world.people["经理"].id
    )
    world.sync()
    query = "{ clients(orderBy: NAME) { totalCount nodes { id } } }"
    trader = world.people["交易员"].data(query)["clients"]
    assert trader == {"totalCount": 1, "nodes": [{"id": str(shown)}]}
    auditor = world.people["审计"].data(query)["clients"]
    assert auditor["totalCount"] == 2
    by_registration = world.people["交易员"].data("{ clients { totalCount } }")["clients"]
    assert by_registration["totalCount"] == 2


def test_staff_sort_by_name_or_registration(world: World) -> None:
    at(world, 5)
    late = world.person("新人", ["trader"])
    world.sync()
    admin = world.people["管理员"]
    by_name = admin.data("{ staff(orderBy: NAME, first: 3) { nodes { id } } }")["staff"]
    assert ids(by_name) == in_db_order(world, "staff", "id::text", "name, id")[:3]
    by_time = admin.data("{ staff(orderBy: REGISTERED_AT) { nodes { id } } }")["staff"]
    assert ids(by_time)[-1] == str(late.id)


def in_db_order(world: World, table: str, column: str, order: str) -> list[str]:
    """``column`` of every row of ``table`` in the database's own ``order`` (its collation
    decides where Chinese names go)."""
    with world.runtime.cursor() as curs:
        curs.execute(f"SELECT {column} AS v FROM {table} ORDER BY {order}")
        return [str(r["v"]) for r in curs.fetchall()]
