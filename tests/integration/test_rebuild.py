"""Blue/green rebuilds and comparisons of read models, on real PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.database import Database
from api.runtime import Runtime
from domain.access import Role
from domain.staff import RegisterStaff
from projections.rebuild import BlueGreen, shadow_schema
from tests.conftest import add_staff, run


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


def _rows(database: Database) -> list[tuple[Any, ...]]:
    with database.connect() as conn:
        return conn.execute("SELECT * FROM staff ORDER BY id").fetchall()


def _indexes(database: Database) -> list[str]:
    with database.connect() as conn:
        return sorted(
            r[0]
            for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
                " AND tablename IN ('staff', 'staff_role_periods', 'staff_tokens')"
            ).fetchall()
        )


def test_a_rebuild_replays_from_event_1_and_swaps_in_the_same_rows_and_indexes(
    runtime: Runtime, database: Database
) -> None:
    runtime.runner.sync(_register(runtime, 12))
    before, indexes = _rows(database), _indexes(database)
    with database.connect() as conn:
        conn.execute("UPDATE staff SET name = 'corrupted'")
    position = BlueGreen(runtime.runner, "staff").rebuild()
    assert _rows(database) == before
    assert _indexes(database) == indexes
    with database.connect() as conn:  # swapped in with the planner's statistics
        assert conn.execute(
            "SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'staff'"
        ).fetchone() > (0,)
    assert position == runtime.runner.head()
    with database.connect() as conn:
        assert (
            conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (shadow_schema("staff"),)
            ).fetchone()
            is None
        )


def test_compare_reports_a_row_that_differs_from_a_replay(
    runtime: Runtime, database: Database
) -> None:
    runtime.runner.sync(_register(runtime, 5))
    assert BlueGreen(runtime.runner, "staff").compare() == []
    with database.connect() as conn:
        conn.execute("UPDATE staff SET name = 'tampered' WHERE name = 'S003'")
    (difference,) = BlueGreen(runtime.runner, "staff").compare()
    assert (difference.table, difference.only_live, difference.only_replayed) == ("staff", 1, 1)
    assert difference.examples[0]["name"] == "tampered"


def test_an_interrupted_rebuild_resumes_from_its_shadow_position(
    runtime: Runtime, database: Database
) -> None:
    runtime.runner.sync(_register(runtime, 30))
    runtime.runner.rebuild_batch_size = 10
    blue_green = BlueGreen(runtime.runner, "staff")
    with blue_green._connect() as conn:  # a rebuild that stopped after its first batches
        blue_green._prepare(conn, resume=False)
        blue_green._apply(conn, 0, 20, None)
    seen: list[int] = []
    blue_green.rebuild(lambda _n, position, _h: seen.append(position), resume=True)
    assert seen[0] == 30 and len(_rows(database)) == 30


def test_a_rebuild_under_api_load_loses_no_query(runtime: Runtime, database: Database) -> None:
    runtime.runner.sync(_register(runtime, 150))
    _, token = add_staff(runtime, "Auditor", "HQ", ["auditor"])
    expected = len(_rows(database))
    failures: list[str] = []
    answers: list[int] = []
    done = threading.Event()
    with TestClient(create_app(runtime)) as client:

        def load() -> None:
            while not done.is_set():
                response = client.post(
                    "/graphql",
                    json={"query": "{ staff(first: 200) { nodes { id } } }"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = response.json()
                if response.status_code != 200 or "errors" in body:
                    failures.append(response.text)
                else:
                    answers.append(len(body["data"]["staff"]["nodes"]))

        threads = [threading.Thread(target=load) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            runtime.runner.batch_size = 20
            BlueGreen(runtime.runner, "staff").rebuild()
        finally:
            done.set()
            for t in threads:
                t.join()
    assert failures == []
    assert answers and set(answers) == {expected}
