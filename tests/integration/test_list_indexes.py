"""Every filter and sort a GraphQL list offers is answered through an index, never by reading a
large table whole: each list query is built by the same functions the resolvers call, on
read-model tables filled with enough rows that the planner prefers an index when there is
one, and its plan is asked for (``EXPLAIN``, not run). The filters come from the API's own
filter input types, so a filter added without an index fails here."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, get_args, get_type_hints
from uuid import UUID

import psycopg
import pytest
from graphql import GraphQLInputObjectType, GraphQLObjectType, get_named_type
from psycopg.rows import DictRow, dict_row

from api.database import Database
from api.graphql.schema import schema
from projections import (
    audit,
    budgets,
    client_list,
    clients,
    complaint_queries,
    expenses,
    instruments,
    order_list,
    orders,
    staff,
)

#: A table with more rows than this must never be read by a sequential scan to answer a
#: list. The instrument catalogue and the staff list stay below it (a branch has hundreds of
#: staff; the A-share market lists about 5,500 instruments): a sequential scan of a small
#: table is the right plan.
LARGE = 10_000
BRANCHES = [f"SH{i:02d}" for i in range(1, 9)]
START = datetime.fromisoformat("2021-01-01T00:00:00+08:00")
YEARS = 5


class Plans:
    """A cursor for the query functions that asks for each statement's plan instead of
    running it (its rows are empty)."""

    def __init__(self, curs: psycopg.Cursor[DictRow]) -> None:
        self.curs = curs
        self.plans: list[tuple[str, dict[str, Any]]] = []

    def execute(self, query: Any, params: Any = None, **_: Any) -> Plans:
        self.curs.execute(f"EXPLAIN (FORMAT JSON) {query}", params)
        found = self.curs.fetchone()
        assert found is not None
        plan = found["QUERY PLAN"]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        self.plans.append((str(query), plan[0]["Plan"]))
        return self

    def fetchall(self) -> list[Any]:
        return []

    def fetchone(self) -> Any:
        return None


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


# -- the store ---------------------------------------------------------------------------------

#: Rows of each read model, and the columns whose values matter to the planner (the others
#: get a plain value of their type). ``g.i`` numbers the rows, ``g.r``/``g.q`` are random in
#: [0, 1), ``g.t`` is a time spread over five years in receipt order.
SIZES = {
    "orders": 60_000,
    "clients": 30_000,
    "audit_log": 60_000,
    "complaints": 20_000,
    "expenses": 20_000,
    "budgets": 20_000,
    "staff": 300,
    "instruments": 5_500,
}


def _skewed(values: list[str], column: str = "g.r") -> str:
    """A CASE that picks ``values[k]`` with probability halving with k (the last ones rare),
    except that the first value is the common one."""
    shares = [2.0 ** -(k + 1) for k in range(len(values))]
    total = sum(shares)
    edges, acc = [], 0.0
    for share in shares[:-1]:
        acc += share / total
        edges.append(acc)
    whens = " ".join(
        f"WHEN {column} < {e:.6f} THEN '{v}'" for e, v in zip(edges, values, strict=False)
    )
    return f"(CASE {whens} ELSE '{values[-1]}' END)"


_BRANCH = "('SH0' || (g.i % 8 + 1))"
_DAY = "((g.t AT TIME ZONE 'Asia/Shanghai')::date)"
OVERRIDES: dict[str, dict[str, str]] = {
    "orders": {
        "client_id": "md5('c' || (g.i % 30000))::uuid",
        "branch": _BRANCH,
        "instrument_code": "lpad((g.i % 3000)::text, 6, '0') || '.SH'",
        "quantity": "100 * (1 + (g.i * 7919) % 1000)",
        "received_at": "g.t",
        "received_on": _DAY,
        "taken_by": "md5('s' || (g.i % 300))::uuid",
        # Most orders are done; the review queue (received) is the newest few.
        "status": "CASE WHEN g.i > 59800 THEN 'received' ELSE "
        + _skewed(["archived", "filled", "cancelled", "rejected", "partially_filled", "accepted"])
        + " END",
        "flag_status": _skewed(["none", "cleared", "open", "escalated"], "g.q"),
    },
    "clients": {
        "name": "'客户' || g.i",
        "account_manager": "md5('s' || (g.i % 300))::uuid",
        "branch": _BRANCH,
        "status": _skewed(["active", "closed", "frozen", "prospect"]),
        "risk_level": _skewed(["C3", "C2", "C4", "C1", "C5"], "g.q"),
        "risk_expires_on": f"({_DAY} + 730)",
        "registered_at": "g.t",
        "processing_restricted": "g.q < 0.001",
    },
    "audit_log": {
        "originator_id": "md5('a' || (g.i % 6000))::uuid",
        "originator_version": "g.i / 6000 + 1",
        "aggregate_type": _skewed(["Order", "Client", "Expense", "Complaint", "Staff", "Budget"]),
        "event_type": _skewed(["Order.Received", "Order.Reviewed", "Client.Registered"], "g.q"),
        "actor": "md5('s' || (g.i % 300))::uuid",
        "branch": _BRANCH,
        "occurred_at": "g.t",
        "recorded_at": "g.t",
    },
    "complaints": {
        "number": "'CP-' || g.i",
        "branch": _BRANCH,
        "client_id": "md5('c' || (g.i % 30000))::uuid",
        "category": _skewed(
            ["service", "trading", "fees", "product", "other", "staff_conduct"], "g.q"
        ),
        "received_at": "g.t",
        "received_on": _DAY,
        "first_responder": "md5('s' || (g.i % 300))::uuid",
        "owner": "md5('s' || (g.i % 300))::uuid",
        "status": _skewed(["closed", "satisfied", "replied", "in_handling", "received"]),
        "department": _skewed(
            ["customer_service", "trading", "operations", "finance", "compliance", "risk"],
            "g.q",
        ),
        "reply_due_on": f"({_DAY} + 15)",
        "next_due_on": f"CASE WHEN g.i > {20_000 - 300} THEN {_DAY} + 15 END",
    },
    "expenses": {
        "branch": _BRANCH,
        "department": _skewed(["operations", "marketing", "it", "finance", "admin"], "g.q"),
        "category": _skewed(["travel", "supplies", "rent", "training", "meals"]),
        "budget_id": "md5('b' || (g.i % 20000))::uuid",
        "status": _skewed(["paid", "approved", "rejected", "withdrawn", "submitted"]),
        "submitted_by": "md5('s' || (g.i % 300))::uuid",
        "submitted_at": "g.t",
        "incurred_on": _DAY,
        "over_budget": "g.q < 0.01",
    },
    "budgets": {
        "branch": _BRANCH,
        "department": _skewed(["operations", "marketing", "it", "finance", "admin"], "g.q"),
        "category": "'cat' || (g.i % 40)",
        "kind": _skewed(["expense", "cost", "revenue"]),
        "period": "'2021'",
        "starts_on": f"{_DAY}",
        "ends_on": f"({_DAY} + 30)",
        "status": _skewed(["closed", "open"], "g.q"),
    },
    "staff": {
        "name": "'职员' || g.i",
        "branch": _BRANCH,
        "roles": "ARRAY['trader']",
        "registered_at": "g.t",
    },
    "instruments": {
        "code": "lpad(g.i::text, 6, '0') || '.SH'",
        "name": "'证券' || g.i",
        "board": "'main'",
        "risk_level": "'R3'",
        "status": "'listed'",
        "restricted": "g.q < 0.01",
    },
}

_PLAIN = {
    "uuid": "md5({table} || g.i)::uuid",
    "text": "'x'",
    "integer": "g.i",
    "bigint": "g.i",
    "numeric": "1",
    "boolean": "false",
    "date": _DAY,
    "timestamp with time zone": "g.t",
    "jsonb": "'[]'",
    "ARRAY": "'{{}}'",
}


def _fill(curs: psycopg.Cursor[DictRow], table: str, rows: int) -> None:
    curs.execute(
        "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s",
        (table,),
    )
    columns, values = [], []
    for c in curs.fetchall():
        name = c["column_name"]
        if name in OVERRIDES[table]:
            expr = OVERRIDES[table][name]
        elif c["is_nullable"] == "YES" or c["column_default"] is not None:
            continue
        else:
            expr = _PLAIN[c["data_type"]].format(table=f"'{table}'")
        columns.append(name)
        values.append(expr)
    span = YEARS * 365 * 86400 / rows
    curs.execute(
        f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608
        f" SELECT {', '.join(values)} FROM (SELECT i, random() AS r, random() AS q,"
        f" timestamptz '{START.isoformat()}' + i * {span} * interval '1 second' AS t"
        f" FROM generate_series(1, {rows}) AS i) AS g"
    )


@pytest.fixture(scope="module")
def store(template: str, server: Database) -> Iterator[Database]:
    """One database for the module, its read models filled and analysed."""
    name = f"bo_idx_{abs(hash(template)) % 10**8}"
    with server.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    db = server.with_dbname(name)
    with db.connect() as conn, conn.cursor(row_factory=dict_row) as curs:
        curs.execute("SELECT setseed(0.14)")
        for table, rows in SIZES.items():
            _fill(curs, table, rows)
        conn.commit()
    with db.connect(autocommit=True) as conn:
        for table in SIZES:
            conn.execute(f"ANALYZE {table}")  # noqa: S608
    yield db
    with server.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the lists ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """One filter input of the API: the read-model filter it becomes, and how the resolver
    queries with it (``query(curs, filter, sort)``) for each sort the list offers."""

    filter: type[Any]
    query: Callable[[Any, Any, Any], Any]
    sorts: tuple[Any, ...] = (None,)


TODAY = date(2025, 12, 31)
CLIENTS = [
    UUID(bytes=hashlib.md5(f"c{i}".encode(), usedforsecurity=False).digest()) for i in range(50)
]
LISTS: dict[str, Listing] = {
    "OrderFilter": Listing(
        order_list.OrderFilter,
        lambda c, f, s: (
            order_list.page(c, f, 50, None, s),
            order_list.count(c, f),
            # The same filter on each client's orders (Client.orders), one page per client.
            order_list.pages_by_client(c, CLIENTS, f, 5, None, s),
        ),
        tuple(order_list.OrderSort),
    ),
    "ClientFilter": Listing(
        client_list.ClientFilter,
        lambda c, f, s: (
            client_list.page(c, f, 50, None, names_hidden=True, sort=s),
            client_list.page(c, f, 50, None, sort=s),
            client_list.count(c, f, sort=s),
        ),
        tuple(client_list.ClientSort),
    ),
    "ComplaintFilter": Listing(
        complaint_queries.ComplaintFilter,
        lambda c, f, _: (
            complaint_queries.page(c, f, 50, None, TODAY),
            complaint_queries.count(c, f, TODAY),
        ),
    ),
    "ExpenseFilter": Listing(
        expenses.ExpenseFilter,
        lambda c, f, _: (expenses.page(c, f, 50, None), expenses.count(c, f)),
    ),
    "BudgetFilter": Listing(budgets.BudgetFilter, lambda c, f, _: budgets.lines(c, f)),
    "AuditFilter": Listing(
        audit.AuditFilter,
        lambda c, f, _: (audit.entries(c, f, 0, 101), audit.count(c, f)),
    ),
    "StaffFilter": Listing(
        staff.StaffFilter,
        lambda c, f, s: (staff.page(c, f, 50, None, s), staff.count(c, f)),
        tuple(staff.StaffSort),
    ),
    "InstrumentFilter": Listing(
        instruments.InstrumentFilter,
        lambda c, f, s: (instruments.page(c, f, 50, None, s), instruments.count(c, f)),
        tuple(instruments.InstrumentSort),
    ),
}

#: Lists without a filter input, queried the way their resolvers do.
OTHERS: dict[str, Callable[[Any], Any]] = {
    "flaggedOrders": lambda c: [orders.flagged(c, b) for b in (None, BRANCHES[0])],
    "approvalInbox": lambda c: expenses.inbox(
        c, UUID(int=1), BRANCHES[0], ["department_head", "branch_manager", "head_office_finance"]
    ),
    "overdueComplaints": lambda c: [
        complaint_queries.overdue(c, b, TODAY) for b in (None, BRANCHES[0])
    ],
    "Client.orders": lambda c: order_list.pages_by_client(
        c, [UUID(int=i) for i in range(50)], order_list.OrderFilter(), 5, None
    ),
    "Order.timeline": lambda c: orders.timelines(c, [UUID(int=i) for i in range(50)]),
    "Complaint.timeline": lambda c: complaint_queries.timelines(
        c, [UUID(int=i) for i in range(50)]
    ),
    "Client.complaints": lambda c: (
        complaint_queries.of_clients(c, [UUID(int=i) for i in range(50)]),
        clients.restricted_among(c, [UUID(int=i) for i in range(50)]),
    ),
    # Every blotter and complaint page: which clients' names to hide.
    "restricted clients": lambda c: clients.restricted_clients(c),
}


def _filter_inputs() -> dict[str, GraphQLInputObjectType]:
    """Every filter input type the schema takes, on any field of any type."""
    found: dict[str, GraphQLInputObjectType] = {}
    for named in schema._schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for field in named.fields.values():
            arg = field.args.get("filter")
            if arg is not None:
                kind = get_named_type(arg.type)
                assert isinstance(kind, GraphQLInputObjectType)
                found[kind.name] = kind
    return found


def test_every_filter_input_of_the_api_is_explained_here() -> None:
    inputs = _filter_inputs()
    assert set(inputs) == set(LISTS), "a list's filter is not covered by this test"
    for name, kind in inputs.items():
        fields = {f.name for f in dataclasses.fields(LISTS[name].filter)}
        # The GraphQL input mirrors the read model's filter (api/graphql/derive.py): every
        # field of the input is a field of the dataclass this test iterates over.
        assert len(kind.fields) == len(fields), name


# -- values ------------------------------------------------------------------------------------

_RANGE_DAYS = (30, YEARS * 365 - 30)


def _values(flt: type[Any], field: dataclasses.Field[Any]) -> list[Any]:
    """Values worth planning for: each value of a vocabulary, both booleans, dates and times
    near either end of the store (a range that keeps a few rows and one that keeps most),
    quantities likewise, and an existing value of an identifier or free text."""
    hint = get_type_hints(flt)[field.name]
    kind = next(t for t in get_args(hint) if t is not type(None))
    enum = field.metadata.get("enum")
    name = field.name
    if enum is not None:
        return [member.value for member in enum]
    if kind is bool:
        return [True, False]
    if kind is date:
        return [START.date() + timedelta(days=d) for d in _RANGE_DAYS]
    if kind is datetime:
        return [START + timedelta(days=d) for d in _RANGE_DAYS]
    if kind is int:
        return [200, 99_000]
    if kind is UUID:
        prefix = {"client_id": "c", "budget_id": "b", "originator_id": "a"}.get(name, "s")
        return [UUID(bytes=_md5(f"{prefix}7"))]
    if name == "branch":
        return [BRANCHES[0]]
    if name in ("name_prefix", "prefix"):
        return ["客户12", "证券1", "职员1"]
    if name == "instrument_code":
        return ["000017.SH"]
    if name == "period":
        return ["2021", "2021-03"]
    if name in ("department", "category"):
        return ["finance", "training", "cat7"]
    if name == "event_type":
        return ["Order.Reviewed", "Client.Registered"]
    if name == "aggregate_type":
        return ["Budget", "Order"]
    raise AssertionError(f"no sample values for {flt.__name__}.{name}: add them here")


def _md5(text: str) -> bytes:
    return hashlib.md5(text.encode(), usedforsecurity=False).digest()


def _cases(listing: Listing) -> Iterator[tuple[str, Any, Any]]:
    """(description, filter, sort): each field alone, each value, each sort, with and without
    a branch (every list of a branch's staff is filtered by their branch)."""
    fields = dataclasses.fields(listing.filter)
    has_branch = any(f.name == "branch" for f in fields)
    for sort in listing.sorts:
        for branch in [None, BRANCHES[0]] if has_branch else [None]:
            scope = {"branch": branch} if has_branch else {}
            yield f"branch={branch} sort={sort}", listing.filter(**scope), sort
            for field in fields:
                if field.name == "branch":
                    continue
                for value in _values(listing.filter, field):
                    flt = listing.filter(**{**scope, field.name: value})
                    yield f"{field.name}={value!r} branch={branch} sort={sort}", flt, sort


def _sizes(curs: psycopg.Cursor[DictRow]) -> dict[str, float]:
    curs.execute(
        "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r'"
        " AND relnamespace = 'public'::regnamespace"
    )
    return {r["relname"]: r["reltuples"] for r in curs.fetchall()}


def _scans(plans: Plans, sizes: dict[str, float]) -> list[str]:
    found = []
    for query, plan in plans.plans:
        for node in _nodes(plan):
            table = node.get("Relation Name")
            if node["Node Type"] == "Seq Scan" and sizes.get(table, 0) > LARGE:
                found.append(f"Seq Scan on {table} ({sizes[table]:.0f} rows) in: {query[:160]}")
    return found


@pytest.mark.parametrize("name", sorted(LISTS))
def test_no_filter_or_sort_of_a_list_reads_a_large_table_whole(store: Database, name: str) -> None:
    listing = LISTS[name]
    failures: list[str] = []
    with store.connect() as conn, conn.cursor(row_factory=dict_row) as curs:
        sizes = _sizes(curs)
        for described, flt, sort in _cases(listing):
            # Counting a filter that keeps most of a table reads most of it whatever the
            # indexes: totalCount is computed only when asked for. Pages must never.
            plans = Plans(curs)
            listing.query(plans, flt, sort)
            page_plans = Plans(curs)
            page_plans.plans = [
                p for p in plans.plans if not p[0].lstrip().upper().startswith("SELECT COUNT")
            ]
            failures += [f"{name} {described}: {s}" for s in _scans(page_plans, sizes)]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted(OTHERS))
def test_lists_without_a_filter_input_use_an_index_too(store: Database, name: str) -> None:
    with store.connect() as conn, conn.cursor(row_factory=dict_row) as curs:
        plans = Plans(curs)
        OTHERS[name](plans)
        failures = _scans(plans, _sizes(curs))
    assert not failures, "\n".join(failures)


def test_the_review_queue_of_a_branch_is_read_through_an_index(store: Database) -> None:
    with store.connect() as conn, conn.cursor(row_factory=dict_row) as curs:
        plans = Plans(curs)
        order_list.page(
            plans, order_list.OrderFilter(branch=BRANCHES[0], status="received"), 50, None
        )
        nodes = [n for _, plan in plans.plans for n in _nodes(plan)]
    # Not just any index (the branch's, read through its whole history): one whose condition
    # is the status, so the page is the first rows of the queue.
    conditions = [n.get("Index Cond", "") for n in nodes if "Index" in n["Node Type"]]
    assert any("status" in c and "branch" in c for c in conditions), nodes
