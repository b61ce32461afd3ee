"""A small branch for the graph tests: staff with tokens, onboarded clients, orders taken by
an account manager and reviewed by a trader — built through the application, read through
GraphQL over HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from fastapi.testclient import TestClient

from api.runtime import Runtime
from domain import orders as o
from domain.instruments import Board, ProductRisk, UpsertInstrument
from tests.conftest import add_staff, onboard, run
from tests.e2e.api import Api

CATALOGUE = [
    ("600519.SH", "贵州茅台", Board.MAIN, ProductRisk.R3, 100),
    ("000001.SZ", "平安银行", Board.MAIN, ProductRisk.R2, 100),
    ("601318.SH", "中国平安", Board.MAIN, ProductRisk.R3, 100),
]


@dataclass
class World:
    """The people (as API clients), clients and orders of one test."""

    runtime: Runtime
    http: TestClient
    people: dict[str, Api] = field(default_factory=dict)
    clients: list[uuid.UUID] = field(default_factory=list)
    orders: list[uuid.UUID] = field(default_factory=list)

    def person(self, name: str, roles: list[str], branch: str = "SH01") -> Api:
        """A staff member with a token."""
        principal, token = add_staff(self.runtime, name, branch, roles)
        self.people[name] = Api(self.http, token, principal.staff_id)
        return self.people[name]

    def client(self, manager: str = "经理") -> uuid.UUID:
        """A client onboarded by ``manager`` (C3, account opened)."""
        account = f"{10000001 + len(self.clients)}"
        cid = onboard(self.runtime, self.people[manager].id, account)
        self.clients.append(cid)
        return cid

    def order(
        self,
        client: uuid.UUID,
        *,
        quantity: int = 100,
        code: str = "600519.SH",
        review: str | None = "交易员",
        taker: str = "经理",
    ) -> uuid.UUID:
        """An order of ``client`` taken by ``taker`` and, unless ``review`` is None, reviewed."""
        account = f"{10000001 + self.clients.index(client)}"
        oid = uuid.uuid4()
        order = o.ReceiveOrder(
            order_id=oid,
            client_id=client,
            account_number=account,
            instrument_code=code,
            side=o.Side.BUY,
            quantity=quantity,
            order_type=o.OrderType.LIMIT,
            limit_price=Decimal("10.00"),
            channel=o.OrderChannel.COUNTER,
        )
        run(self.runtime, order, self.people[taker].id)
        if review is not None:
            run(self.runtime, o.ReviewOrder(order_id=oid), self.people[review].id)
        self.orders.append(oid)
        return oid

    def sync(self) -> None:
        """Bring every read model up to the head of the log."""
        self.runtime.runner.sync(self.runtime.runner.head())


def build_world(runtime: Runtime, http: TestClient) -> World:
    """The catalogue and the branch's people: an account manager (经理), a trader (交易员),
    a branch manager (行长), an auditor (审计) and an admin of head office (管理员)."""
    for code, name, board, risk, lot in CATALOGUE:
        runtime.system(
            UpsertInstrument(code=code, name=name, board=board, risk_level=risk, board_lot=lot),
            "test catalogue",
        )
    world = World(runtime, http)
    world.person("经理", ["account_manager"])
    world.person("交易员", ["trader"])
    world.person("行长", ["branch_manager"])
    world.person("审计", ["auditor"], branch="HQ")
    world.person("管理员", ["admin"], branch="HQ")
    return world
