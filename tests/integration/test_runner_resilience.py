"""The runner under faults: lost lock sessions, racing runners, models stopped on an event."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from api.database import Database
from api.runtime import Runtime
from domain.access import Role
from domain.staff import RegisterStaff, Staff
from projections import incidents
from projections.base import PositionMoved, ReadModel, on
from projections.runner import ProjectionFailed, ProjectionRunner, lock_key, positions
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


def _eventually(check: Any, seconds: float = 30.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        threading.Event().wait(0.05)
    return bool(check())


class Probe(ReadModel):
    """Appends one row per event it applies (no key: a second application would show)."""

    name = "probe"
    tables = ("probe",)

    @on(Staff.Registered)
    def row(self, curs: Any, event: Any, position: int) -> None:
        """One row per event applied."""
        curs.execute("INSERT INTO probe VALUES (%s)", (position,))


def _probe(database: Database) -> list[int]:
    with database.connect() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS probe (position bigint)")
        return [r[0] for r in conn.execute("SELECT position FROM probe ORDER BY 1").fetchall()]


def test_a_batch_read_at_a_position_someone_else_has_since_moved_is_rolled_back(
    runtime: Runtime, database: Database
) -> None:
    _probe(database)
    head = _register(runtime, 2)
    runner = ProjectionRunner(runtime.app, [Probe()], database.url)
    assert runner.catch_up("probe") == head
    stale = [
        (runtime.app.mapper.to_domain_event(n), n.id)
        for n in runtime.app.recorder.select_notifications(start=1, limit=10)
    ]
    with pytest.raises(PositionMoved):
        runner.views["probe"].apply_batch(stale, head, expected=0)
    assert _probe(database) == [1, 2]


def test_two_runners_catching_up_at_once_apply_each_event_exactly_once(
    runtime: Runtime, database: Database
) -> None:
    _probe(database)
    head = _register(runtime, 40)
    runners = [
        ProjectionRunner(runtime.app, [Probe()], database.url, batch_size=3) for _ in range(2)
    ]
    threads = [threading.Thread(target=r.catch_up, args=("probe",)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _probe(database) == list(range(1, head + 1))


def test_after_its_lock_session_dies_a_runner_reconnects_and_one_runner_alone_holds_the_model(
    runtime: Runtime, database: Database
) -> None:
    first = ProjectionRunner(runtime.app, [StaffModel()], database.url, max_backoff=0.5)
    second = ProjectionRunner(runtime.app, [StaffModel()], database.url, max_backoff=0.5)
    first.start()
    try:
        assert _eventually(lambda: first.active == {"staff"})
        second.start()
        assert _eventually(lambda: second.sessions == 1)
        key, sub = lock_key("staff")
        with database.connect() as conn:
            killed = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND classid::bigint = %s AND objid::bigint = %s",
                (key, sub % 2**32),
            ).fetchall()
        assert killed == [(True,)]
        assert _eventually(lambda: first.sessions >= 2 and first.outage is None)
        assert _eventually(lambda: len([r for r in (first, second) if r.active]) == 1)
        position = _register(runtime, 3)
        with database.connect() as conn:
            assert _eventually(lambda: positions(conn, ["staff"])["staff"] >= position)
            assert conn.execute("SELECT count(*) FROM staff").fetchone() == (3,)
    finally:
        first.stop()
        second.stop()


def test_a_model_stopped_on_an_event_stays_stopped_for_every_runner_until_resumed(
    runtime: Runtime, database: Database
) -> None:
    class Broken(StaffModel):
        def apply(self, curs: Any, event: Any, position: int) -> None:
            if position == 3:
                raise RuntimeError("boom")
            super().apply(curs, event, position)

    head = _register(runtime, 5)
    with pytest.raises(ProjectionFailed, match="at notification id 3"):
        ProjectionRunner(runtime.app, [Broken()], database.url).sync(head)
    fixed = ProjectionRunner(runtime.app, [StaffModel()], database.url)
    with pytest.raises(ProjectionFailed, match="at notification id 3"):
        fixed.sync(head)  # another process, the fix deployed, but nobody has resumed yet
    with database.connect() as conn:
        (incident,) = incidents.stopped(conn).values()
        assert (incident.model, incident.position, incident.notification_id) == ("staff", 2, 3)
        assert incident.error == "RuntimeError: boom"
        incidents.record_resume(conn, "staff", 2, "fixed in 1.0.1", "ops")
    fixed.sync(head)
    with database.connect() as conn:
        assert positions(conn, ["staff"])["staff"] == head
        kinds = [i.kind for i in incidents.history(conn)]
    assert kinds == ["resumed", "failed"]


def test_the_incident_record_cannot_be_rewritten(runtime: Runtime, database: Database) -> None:
    with database.connect() as conn:
        incidents.record_failure(conn, "staff", 0, 1, "E", "test")
        with pytest.raises(Exception, match="append-only"):
            conn.execute("DELETE FROM projection_incidents")
