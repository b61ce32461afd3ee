"""The projection runner: batches, tracking in the same transaction, locks, errors."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from api.database import Database
from api.runtime import Runtime
from domain.access import Role
from domain.clients import Client
from domain.staff import RegisterStaff, Staff
from projections.base import ReadModel, on
from projections.runner import ProjectionFailed, ProjectionRunner, positions
from projections.staff import StaffModel
from tests.conftest import run


def _register(rt: Runtime, n: int) -> int:
    position = 0
    for i in range(n):
        r = run(
            rt,
            RegisterStaff(
                staff_id=uuid.uuid4(), name=f"S{i:03d}", branch="SH01", roles=[Role.TRADER]
            ),
        )
        position = r.position or 0
    return position


def _staff_rows(database: Database) -> list[tuple[Any, ...]]:
    with database.connect() as conn:
        return conn.execute("SELECT id, name, roles, version FROM staff ORDER BY id").fetchall()


def _tracked(database: Database) -> int:
    with database.connect() as conn:
        return positions(conn, ["staff"])["staff"]


def test_catch_up_applies_events_in_batches_and_tracks_the_head(
    runtime: Runtime, database: Database
) -> None:
    head = _register(runtime, 25)
    runtime.runner.batch_size = 10
    reached: list[int] = []
    runtime.runner.catch_up("staff", lambda _n, pos, _h: reached.append(pos))
    assert reached == [10, 20, head]
    assert len(_staff_rows(database)) == 25
    assert _tracked(database) == head


def test_a_failing_event_stops_the_model_just_before_it_and_leaves_nothing_of_it_written(
    runtime: Runtime, database: Database
) -> None:
    class Broken(StaffModel):
        """The staff model plus a handler that fails on the third event."""

        @on(Staff.Registered)
        def explode(self, curs: Any, event: Any, position: int) -> None:
            if position == 3:
                raise RuntimeError("boom")

    _register(runtime, 5)
    runner = ProjectionRunner(runtime.app, [Broken()], database.url, batch_size=100)
    with pytest.raises(ProjectionFailed, match="after position 2 at notification id 3"):
        runner.catch_up("staff")
    assert sorted(r[1] for r in _staff_rows(database)) == ["S000", "S001"]
    assert _tracked(database) == 2


def _eventually(check: Any, seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        threading.Event().wait(0.05)
    return bool(check())


def test_the_runner_follows_new_events_live(runtime: Runtime, database: Database) -> None:
    thread = runtime.runner.start()
    try:
        assert _eventually(lambda: "staff" in runtime.runner.active)
        position = _register(runtime, 3)
        # Nothing here applies events: only the runner's thread, woken by NOTIFY, can.
        assert _eventually(lambda: _tracked(database) >= position)
        assert thread.is_alive()
    finally:
        runtime.runner.stop()
    assert not thread.is_alive()


def test_a_standby_runner_takes_over_when_the_active_one_stops(
    runtime: Runtime, database: Database
) -> None:
    first = ProjectionRunner(runtime.app, [StaffModel()], database.url)
    second = ProjectionRunner(runtime.app, [StaffModel()], database.url)
    first.start()
    try:
        assert _eventually(lambda: first.active == {"staff"})
        second.start()
        threading.Event().wait(0.3)
        assert second.active == set()
    finally:
        first.stop()
    try:
        position = _register(runtime, 2)
        assert _eventually(lambda: second.active == {"staff"})
        assert _eventually(lambda: _tracked(database) >= position)
    finally:
        second.stop()


def test_models_reading_no_topic_of_an_event_still_advance_past_it(
    runtime: Runtime, database: Database
) -> None:
    class Nothing(ReadModel):
        """Reads only closed clients, of which the store has none."""

        name = "nothing"
        tables = ()

        @on(Client.Closed)
        def closed(self, curs: Any, event: Any, position: int) -> None:
            raise AssertionError("never called")

    head = _register(runtime, 3)
    runner = ProjectionRunner(runtime.app, [Nothing()], database.url)
    assert runner.catch_up("nothing") == head
