"""``backoffice bench generate``: a deterministic history through the application's commands,
spread over the years, refused on a store that already holds the seed."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from api.database import Database
from api.generate import Plan, generate
from api.runtime import Runtime, open_runtime
from api.settings import Settings
from tests.conftest import _create, _drop

NOW = datetime(2026, 11, 23, tzinfo=UTC)
PLAN = Plan(clients=12, orders=40, years=3, complaints=4, expenses=6, seed=7)


def history(rt: Runtime) -> list[tuple[object, ...]]:
    """Every event's record, version, kind and business time, in a stable order."""
    found = rt.app.recorder.select_notifications(start=1, limit=1_000_000)
    events = [rt.app.mapper.to_domain_event(n) for n in found]
    return sorted(
        (e.originator_id, e.originator_version, type(e).__qualname__, e.envelope.occurred_at)
        for e in events
        if hasattr(e, "envelope") and e.envelope.reason != "signing key in use by this service"
    )


@pytest.fixture
def other(server: Database, template: str, settings: Settings) -> Iterator[Runtime]:
    """A second runtime, on a database of its own."""
    name = f"bo_t_{uuid.uuid4().hex[:16]}"
    database = _create(server, name, template)
    rt = open_runtime(settings, database=database, run_migrations=False)
    yield rt
    rt.close()
    _drop(server, name)


def test_the_same_seed_gives_the_same_history_through_the_commands(
    runtime: Runtime, other: Runtime
) -> None:
    first = generate(runtime, PLAN, workers=3, now=NOW)
    second = generate(other, PLAN, workers=1, now=NOW)
    assert first.events == second.events > 300
    assert not first.refused, first.refused
    assert history(runtime) == history(other)
    kinds = Counter(kind.split(".")[0] for _, _, kind, _ in history(runtime))
    for kind in ("Staff", "Instrument", "Client", "Order", "Complaint", "Budget", "Expense"):
        assert kinds[kind], kinds
    times = [at for *_, at in history(runtime)]
    assert min(times) <= NOW - timedelta(days=3 * 365 - 1) and max(times) <= NOW
    assert max(times) - min(times) > timedelta(days=365)


def test_a_seed_is_generated_once_and_bad_plans_are_refused(runtime: Runtime) -> None:
    generate(runtime, Plan(clients=2, orders=0, years=1, seed=3), now=NOW)
    with pytest.raises(ValueError, match="already holds the history of seed 3"):
        generate(runtime, Plan(clients=2, orders=0, years=1, seed=3), now=NOW)
    for bad, message in [
        (Plan(clients=-1), "--clients must be between"),
        (Plan(years=0), "--years must be at least 1"),
        (Plan(clients=0, orders=5), "needs at least one client"),
    ]:
        with pytest.raises(ValueError, match=message):
            generate(runtime, bad, now=NOW)
