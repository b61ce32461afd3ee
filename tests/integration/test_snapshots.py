"""Snapshots (the library's, signed and checked by api/snapshots.py): a long-lived record loads
from its newest snapshot and the events after it; asOf starts from the nearest snapshot before
the moment and equals the replay from scratch; a snapshot that does not check is ignored; an
erasure request leaves no snapshot of the client's personal data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.application import project_aggregate
from psycopg.rows import dict_row

from api.audit import as_of, state_of
from api.clocks import Clock, event_time, up_to
from api.database import Database
from api.demo import seed
from api.roles import service_database
from api.runtime import Runtime, open_runtime
from api.settings import Settings
from domain import clients as c
from domain.clients import Client
from domain.privacy import FULL
from domain.snapshots import RecordSnapshot, _attributes, differences
from tests.conftest import onboard, run, staff
from tests.integration.test_orders import load_catalogue, receive

INTERVAL = 10


@pytest.fixture
def snapped(settings: Settings, database: Database) -> Iterator[Runtime]:
    """A runtime that snapshots every ``INTERVAL`` events."""
    rt = open_runtime(
        settings.model_copy(update={"snapshot_interval": INTERVAL}),
        database=service_database(database),
        admin=database,
        run_migrations=False,
    )
    yield rt
    rt.close()


def test_every_snapshotted_kind_of_the_demo_branch_survives_a_snapshot_intact(
    snapped: Runtime, database: Database, tmp_path: Path
) -> None:
    seed(snapped, tmp_path / "token", clients=12, orders=30)
    with database.connect() as conn:
        kept = conn.execute("SELECT count(*) FROM backoffice_snapshots").fetchone()
    assert kept is not None and kept[0] > 0  # the seeding's own saves took snapshots
    app = snapped.app
    kinds = tuple(app.snapshotting_intervals)
    with app.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
        ids = [
            r["originator_id"]
            for r in conn.execute("SELECT DISTINCT originator_id FROM backoffice_events").fetchall()
        ]
    seen: dict[str, int] = {}
    broken: list[str] = []
    for record in ids:
        aggregate: Any = app.find(record)
        if not isinstance(aggregate, kinds):
            continue
        seen[type(aggregate).__name__] = seen.get(type(aggregate).__name__, 0) + 1
        try:
            stored = app.mapper.to_stored_event(RecordSnapshot.take(aggregate))
            decoded = app.mapper.to_domain_event(stored).mutate(None)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001
            broken.append(f"{type(aggregate).__name__}: {exc!r}")
            continue
        for name in differences(aggregate, decoded):
            mine, theirs = vars(aggregate).get(name), vars(decoded).get(name)
            broken.append(f"{type(aggregate).__name__}.{name}: {mine!r} != {theirs!r}")
    assert not broken, "\n".join(broken[:10])
    assert {"Client", "Staff", "Instrument", "Budget"} <= set(seen), seen


# -- a long-lived client -------------------------------------------------------------------


class Reads:
    """Counts the events the application's recorder reads (not snapshots)."""

    def __init__(self, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.n = 0
        select = app.recorder.select_events

        def counted(*args: Any, **kwargs: Any) -> Any:
            found = select(*args, **kwargs)
            self.n += len(found)
            return found

        monkeypatch.setattr(app.recorder, "select_events", counted)

    def during(self, fn: Any) -> tuple[int, Any]:
        """(events read, result) of calling ``fn``."""
        self.n = 0
        result = fn()
        return self.n, result


def _long_lived(rt: Runtime, changes: int) -> tuple[uuid.UUID, uuid.UUID]:
    """(client, manager): a client onboarded, then ``changes`` contact changes, some of them
    entered with a business time an hour back (so business times are not in version order)."""
    manager = staff(rt, "account_manager")
    client = onboard(rt, manager)
    start = datetime.now(UTC) - timedelta(days=1)
    for i in range(changes):
        moment = start + timedelta(minutes=i) - (timedelta(hours=1) if i % 7 == 3 else timedelta())
        rt.clock = lambda m=moment: m  # type: ignore[misc]
        run(
            rt,
            c.RecordContact(
                client_id=client,
                mobile=f"139{i:08d}",
                id_address="北京市",
                mailing_address="上海市",
            ),
            manager,
        )
    rt.clock = lambda: datetime.now(UTC)  # type: ignore[misc]
    return client, manager


def _from_scratch(rt: Runtime, record: uuid.UUID) -> Any:
    """The record replayed from its first event, no snapshot involved."""
    events = rt.app.events.get(record)
    return project_aggregate(None, events)


def _state(aggregate: Any) -> dict[str, Any]:
    return state_of(aggregate, FULL)


def _snapshots(database: Database, record: uuid.UUID) -> list[int]:
    with database.connect() as conn:
        rows = conn.execute(
            "SELECT originator_version FROM backoffice_snapshots WHERE originator_id = %s"
            " ORDER BY 1",
            (record,),
        ).fetchall()
    return [r[0] for r in rows]


def test_a_long_lived_client_loads_from_its_newest_snapshot_and_the_events_after_it(
    snapped: Runtime, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = _long_lived(snapped, 95)
    version = snapped.app.stored_version(client)
    assert version is not None and version > 90
    assert _snapshots(database, client) == list(range(INTERVAL, version + 1, INTERVAL))
    reads = Reads(snapped.app, monkeypatch)
    read, loaded = reads.during(lambda: snapped.app.find(client))
    assert read == version % INTERVAL, read  # only the events after the newest snapshot
    assert loaded.version == version
    assert _state(loaded) == _state(_from_scratch(snapped, client))
    # A command on it reads no more than that either.
    read_cmd, _ = reads.during(lambda: snapped.app.find(client))
    assert read_cmd < INTERVAL


def test_as_of_any_version_equals_the_replay_from_scratch_by_either_clock(
    snapped: Runtime, database: Database
) -> None:
    client, _ = _long_lived(snapped, 45)
    events = list(snapped.app.events.get(client))
    assert len(_snapshots(database, client)) >= 4
    with database.connect() as conn, conn.cursor(row_factory=dict_row) as curs:
        for clock in Clock:
            for event in events:
                at = event_time(event, clock)
                expected = project_aggregate(None, up_to(events, at, clock))
                found = as_of(snapped.app, curs, client, at, clock)
                if expected is None:  # given before the record began (back-dated)
                    assert found is None
                    continue
                assert found is not None
                assert found.aggregate.version == expected.version, (clock, event)
                assert _state(found.aggregate) == _state(expected), (clock, event)
                assert found.last.event.originator_version == expected.version
                if found.from_snapshot:
                    assert found.events_read <= INTERVAL + 1
            # The latest moment starts from the newest snapshot, by either clock.
            last = as_of(snapped.app, curs, client, datetime.now(UTC), clock)
            assert last is not None and last.from_snapshot and last.events_read <= INTERVAL + 1
        # Before the record existed: nothing.
        assert (
            as_of(snapped.app, curs, client, datetime(2000, 1, 1, tzinfo=UTC), Clock.RECORDED)
            is None
        )


def test_a_snapshot_that_does_not_check_is_ignored_and_the_record_loads_from_its_events(
    snapped: Runtime, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = _long_lived(snapped, 25)
    version = snapped.app.stored_version(client)
    assert version is not None
    newest = _snapshots(database, client)[-1]
    # A superuser changes the newest snapshot's state (the frozen client shown active, say).
    with database.connect() as conn:
        conn.execute(
            "UPDATE backoffice_snapshots SET state = state || '\\x20'::bytea"
            " WHERE originator_id = %s AND originator_version = %s",
            (client, newest),
        )
    reads = Reads(snapped.app, monkeypatch)
    read, loaded = reads.during(lambda: snapped.app.find(client))
    assert read == version  # every event: the snapshot was not trusted
    assert _state(loaded) == _state(_from_scratch(snapped, client))


def test_the_service_may_add_and_discard_snapshots_but_never_change_one(
    snapped: Runtime, database: Database
) -> None:
    client, _ = _long_lived(snapped, 12)
    service = service_database(database)
    with service.connect() as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE backoffice_snapshots SET key_id = 'x'")
    with service.connect() as conn:
        deleted = conn.execute(
            "DELETE FROM backoffice_snapshots WHERE originator_id = %s", (client,)
        ).rowcount
    assert deleted >= 1


def test_an_erasure_request_leaves_no_snapshot_of_the_clients_personal_data(
    snapped: Runtime, database: Database
) -> None:
    client, manager = _long_lived(snapped, 25)
    assert _snapshots(database, client)
    run(
        snapped,
        c.RequestErasure(client_id=client, channel="counter"),
        manager,
        reason="PIPL Art. 47",
    )
    assert _snapshots(database, client) == []
    # Later events pass the interval again: still none.
    for i in range(INTERVAL + 2):
        run(
            snapped,
            c.RecordContact(
                client_id=client,
                mobile=f"137{i:08d}",
                id_address="北京市",
                mailing_address="上海市",
            ),
            manager,
        )
    assert _snapshots(database, client) == []
    with database.connect() as conn:
        leaked = conn.execute(
            "SELECT count(*) FROM backoffice_snapshots WHERE position(%s in state) > 0",
            (b"13900000000",),
        ).fetchone()
    assert leaked == (0,)
    loaded = snapped.app.find(client)
    assert loaded.processing_restricted
    assert _state(loaded) == _state(_from_scratch(snapped, client))


def test_a_snapshot_taken_before_the_records_class_changed_is_ignored(
    snapped: Runtime, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = _long_lived(snapped, 25)
    version = snapped.app.stored_version(client)
    assert version is not None and _snapshots(database, client)
    # A release adds an attribute to clients: the snapshots taken before lack it.
    original = Client.__init__

    def grown(self: Any) -> None:
        original(self)
        self.preferred_language = "zh-CN"

    monkeypatch.setattr(Client, "__init__", grown)
    _attributes.cache_clear()
    try:
        reads = Reads(snapped.app, monkeypatch)
        read, loaded = reads.during(lambda: snapped.app.find(client))
        assert read == version and loaded.preferred_language == "zh-CN"
        with database.connect() as conn, conn.cursor(row_factory=dict_row) as curs:
            found = as_of(snapped.app, curs, client, datetime.now(UTC), Clock.RECORDED)
        assert found is not None and not found.from_snapshot
        assert found.aggregate.preferred_language == "zh-CN"
    finally:
        monkeypatch.undo()
        _attributes.cache_clear()


def test_an_order_saved_here_loads_without_looking_for_a_snapshot(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_catalogue(runtime)
    manager = staff(runtime, "account_manager")
    client = onboard(runtime, manager)
    order = receive(runtime, client, staff(runtime, "trader"))
    store = runtime.app.snapshot_store
    assert store is not None
    looked: list[uuid.UUID] = []
    nearest = store.select_events  # type: ignore[attr-defined]

    def counted(originator_id: uuid.UUID, **kwargs: Any) -> Any:
        looked.append(originator_id)
        return nearest(originator_id, **kwargs)

    monkeypatch.setattr(store, "select_events", counted)
    assert runtime.app.find(order) is not None
    assert runtime.app.find(client) is not None
    # An order is never snapshotted: no lookup. A client may be: looked up.
    assert looked == [client]
