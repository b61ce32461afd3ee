"""The log is forever, so intake is strict: arbitrary values sent into every command give
either a typed refusal with nothing stored, or events that every read model, the audit
export and the reconstruction can process (real PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from api.audit import export_lines
from api.reconstruction import reconstruct_order
from api.runtime import Runtime
from domain import orders as o
from domain.commands import REGISTRY, Command
from domain.errors import DomainError
from domain.fields import FieldInfo, Text, field_infos
from domain.instruments import Board, ProductRisk, UpsertInstrument
from projections.audit import AuditFilter
from tests.conftest import onboard, run, staff
from tests.harness import VALID_ID
from tests.reliability import Probe

#: Examples per command: small in CI, larger by hand (INTAKE_EXAMPLES=200 pytest …).
EXAMPLES = int(os.environ.get("INTAKE_EXAMPLES", "6"))

#: Values that pass a field's shape, so that some examples reach the business rules.
VALID: dict[str, Any] = {
    "account_number": "10000001",
    "document_number": VALID_ID,
    "instrument_code": "600519.SH",
    "code": "600519.SH",
    "mobile": "13812345678",
    "landline": "021-63211234",
    "branch": "SH01",
    "token_hash": "ab" * 32,
    "presets": ["cn-2025"],
}
HOSTILE_TEXT = [
    "毒\x00药",
    "\ud800",
    "a\u202eb",
    "x" * 1_000_000,
    "line\nbreak",
    "\x1b[31m",
    "",
    "   ",
    "e\u0301",
]
HOSTILE_DECIMALS = [
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("1e308"),
    Decimal("1e-30"),
    Decimal("-1"),
    Decimal("0.00001"),
]


def _text(info: FieldInfo) -> st.SearchStrategy[Any]:
    spec = info.spec
    assert isinstance(spec, Text)
    hostile = st.sampled_from(HOSTILE_TEXT)
    anything = st.text(
        alphabet=st.characters(categories=["L", "N", "P", "Zs", "Cc", "Cs", "Cf"]), max_size=40
    )
    plain = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=20)
    if info.name in VALID:
        return st.one_of(st.just(VALID[info.name]), hostile, anything)
    return st.one_of(plain, hostile, anything)


def benign(info: FieldInfo, ids: list[uuid.UUID], now: datetime) -> st.SearchStrategy[Any]:
    """Plausible values for one field, so that whole commands reach the business rules."""
    base = info.base
    one: st.SearchStrategy[Any]
    if info.name in VALID:
        one = st.just(VALID[info.name])
    elif isinstance(base, type) and issubclass(base, Enum):
        one = st.sampled_from(list(base))
    elif base is str:
        one = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=2, max_size=12)
    elif base is bool:
        one = st.booleans()
    elif base is int:
        one = st.integers(min_value=1, max_value=300)
    elif base is Decimal:
        one = st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)
    elif base is datetime:
        one = st.just(now)
    elif base is date:
        one = st.just(now.date())
    elif base is uuid.UUID:
        one = st.sampled_from(ids)
    else:
        raise AssertionError(f"no strategy for {base}")
    if info.many and info.name not in VALID:
        one = st.lists(one, min_size=1, max_size=2)
    return st.none() if info.derived else one


def strategy(info: FieldInfo, ids: list[uuid.UUID], now: datetime) -> st.SearchStrategy[Any]:
    """Values for one command field: plausible ones, hostile ones, and anything."""
    base = info.base
    one: st.SearchStrategy[Any]
    if isinstance(base, type) and issubclass(base, Enum):
        one = st.one_of(st.sampled_from(list(base)), st.text(max_size=8))
    elif base is str:
        one = _text(info)
    elif base is bool:
        one = st.booleans()
    elif base is int:
        one = st.one_of(
            st.integers(min_value=0, max_value=300), st.integers(-(2**70), 2**70), st.just(2**31)
        )
    elif base is Decimal:
        one = st.one_of(
            st.decimals(min_value=0, max_value=10**6, places=2),
            st.sampled_from(HOSTILE_DECIMALS),
        )
    elif base is datetime:
        one = st.one_of(
            st.just(now),
            st.datetimes(timezones=st.just(UTC)),
            st.datetimes(),  # naive
            st.just(now + timedelta(days=400)),
        )
    elif base is date:
        one = st.one_of(st.just(now.date()), st.dates())
    elif base is uuid.UUID:
        one = st.one_of(st.sampled_from(ids), st.uuids())
    else:
        raise AssertionError(f"no strategy for {base}")
    if info.name in VALID and base is not str:
        one = st.one_of(st.just(VALID[info.name]), one)
    if info.many:
        one = st.lists(one, max_size=3)
    if info.optional or info.derived:
        one = st.one_of(st.none(), one)
    return one


def commands(ids: list[uuid.UUID], now: datetime) -> st.SearchStrategy[Command]:
    """Any registered command, with arbitrary field values."""

    def of(cls: type[Command]) -> st.SearchStrategy[Command]:
        hostile = {i.name: strategy(i, ids, now) for i in field_infos(cls)}
        plausible = {i.name: benign(i, ids, now) for i in field_infos(cls)}
        return st.one_of(st.fixed_dictionaries(plausible), st.fixed_dictionaries(hostile)).map(
            lambda values: cls(**values)
        )

    return st.one_of([of(spec.command) for spec in REGISTRY.values()])


@pytest.fixture
def world(runtime: Runtime) -> list[uuid.UUID]:
    """A branch with staff, a client with an account, an instrument and an accepted order."""
    manager = staff(runtime, "account_manager")
    trader = staff(runtime, "trader")
    cid = onboard(runtime, manager)
    run(
        runtime,
        UpsertInstrument(
            code="600519.SH", name="茅台", board=Board.MAIN, risk_level=ProductRisk.R3,
            board_lot=100,
        ),
    )  # fmt: skip
    oid = uuid.uuid4()
    run(
        runtime,
        o.ReceiveOrder(
            order_id=oid,
            client_id=cid,
            account_number="10000001",
            instrument_code="600519.SH",
            side=o.Side.BUY,
            quantity=100,
            order_type=o.OrderType.LIMIT,
            channel=o.OrderChannel.PHONE,
            limit_price=Decimal("1700"),
        ),
        manager,
    )
    run(runtime, o.ReviewOrder(order_id=oid), trader)
    return [manager, trader, cid, oid]


def check_everything_can_read(runtime: Runtime, since: int, orders: list[uuid.UUID]) -> None:
    """Every read model applies the new events; the audit export and reconstructions of the
    orders touched render."""
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        for _ in export_lines(runtime.app, curs, AuditFilter(), frozenset()):
            pass
        curs.execute(
            "SELECT DISTINCT originator_id FROM audit_log"
            " WHERE notification_id > %s AND aggregate_type = 'Order'",
            (since,),
        )
        for row in curs.fetchall():
            reconstruct_order(runtime.app, curs, row["originator_id"])


@settings(
    max_examples=EXAMPLES * len(REGISTRY),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@pytest.mark.reliability
def test_any_command_with_any_values_is_refused_cleanly_or_stored_for_good(
    runtime: Runtime, world: list[uuid.UUID], data: st.DataObject, probe: Probe
) -> None:
    """Every registered command with arbitrary field values (NUL, surrogates, huge and
    non-finite numbers, naive and far times, unknown ids): a typed refusal with nothing
    stored, or events every read model, the audit export and reconstructions process."""
    command = data.draw(commands(world, runtime.clock()))
    actor: Callable[[], uuid.UUID] = lambda: data.draw(st.sampled_from(world[:2]))  # noqa: E731
    before = runtime.runner.head()
    try:
        run(runtime, command, actor() if data.draw(st.booleans()) else uuid.UUID(int=0))
    except DomainError as refused:
        event(f"{type(command).__name__}: refused ({type(refused).__name__})")
        probe.count("commands sent")
        probe.count("refused with a typed error")
        assert runtime.runner.head() == before, f"a refused {type(command).__name__} stored events"
        return
    event(f"{type(command).__name__}: stored")
    probe.count("commands sent")
    probe.count("stored and processed by every reader")
    check_everything_can_read(runtime, before, world)
