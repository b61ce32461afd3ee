"""A PostgreSQL restart under the running service: requests during the outage get a clear 503,
and afterwards everything works again by itself (no restart of the service).

Each test starts a PostgreSQL server of its own, so it can stop and start it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import Runtime, open_runtime
from api.settings import Settings
from tests.conftest import add_staff
from tests.e2e.test_graphql import REGISTER
from tests.own_postgres import OwnPostgres

T = TypeVar("T")


def eventually(probe: Callable[[], T], accept: Callable[[T], bool], seconds: float = 60) -> T:
    """Poll ``probe`` until ``accept`` holds or the deadline passes; return the last result."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if accept(value) or time.monotonic() >= deadline:
            return value
        time.sleep(0.1)


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[OwnPostgres]:
    server = OwnPostgres(tmp_path / "pg")
    yield server
    server.remove()


def _runtime(postgres: OwnPostgres, tmp_path: Path, **overrides: Any) -> Runtime:
    database = postgres.database()
    settings = Settings(
        database_url=database.url,
        backoffice_home=tmp_path / "home",
        pool_timeout=1,
        projection_retry_max=1.0,
        **overrides,
    )
    return open_runtime(settings, database=database, run_migrations=False)


@pytest.fixture
def runtime(postgres: OwnPostgres, tmp_path: Path) -> Iterator[Runtime]:
    rt = _runtime(postgres, tmp_path)
    yield rt
    rt.close()


def post(client: TestClient, token: str, query: str, **variables: Any) -> Any:
    return client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )


def register(client: TestClient, token: str, name: str) -> dict[str, Any]:
    staff = {"name": name, "branch": "HQ", "roles": ["TRADER"]}
    response = post(client, token, REGISTER, input=staff)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["registerStaff"]
    assert result["__typename"] == "CommandSuccess", result
    return result


READ = "query($id: UUID!, $p: Int) { staffMember(id: $id, minPosition: $p) { name } }"


def test_during_a_postgresql_restart_requests_get_503_and_afterwards_all_recovers_by_itself(
    postgres: OwnPostgres, runtime: Runtime
) -> None:
    _, token = add_staff(runtime, "Admin", "HQ", ["admin"])
    with TestClient(create_app(runtime)) as client:
        assert eventually(lambda: client.get("/health"), lambda r: r.status_code == 200)
        register(client, token, "Before")

        postgres.stop()
        during = post(client, token, "{ me { name } }")
        assert during.status_code == 503
        assert during.json()["error"] == "DATABASE_UNAVAILABLE"
        assert "unavailable" in during.json()["message"]
        assert "Traceback" not in during.text
        audit = client.get("/audit/events.jsonl", headers={"Authorization": f"Bearer {token}"})
        assert audit.status_code == 503
        assert client.get("/health").status_code == 503

        postgres.start()
        # The very first request after the restart is served (no dead pooled connection).
        assert post(client, token, "{ me { name } }").json() == {"data": {"me": {"name": "Admin"}}}
        after = register(client, token, "After")
        # The runner came back by itself: the acknowledged write reaches the read model...
        read = post(client, token, READ, id=after["id"], p=after["position"]).json()
        assert read["data"]["staffMember"] == {"name": "After"}
        assert read["extensions"]["consistency"][0]["reached"] is True
        # ...and /health returns to 200 without anyone restarting the service.
        health = eventually(lambda: client.get("/health"), lambda r: r.status_code == 200)
        assert health.status_code == 200, health.json()
        assert health.json()["runner"] == {"state": "following"}
        assert runtime.runner.sessions >= 2


def _backend_waiting_for_projections(postgres: OwnPostgres) -> bool:
    with psycopg.connect(postgres.server.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE %s AND pid <> pg_backend_pid()",
            ("%application_name = ANY(%",),
        ).fetchone()
    return bool(row and row[0])


def test_a_graphql_query_cut_off_by_the_outage_gets_a_503_with_a_graphql_error(
    postgres: OwnPostgres, tmp_path: Path
) -> None:
    # A long read-your-writes wait keeps the request inside its resolver, on the database.
    rt = _runtime(postgres, tmp_path, read_wait_timeout=60)
    try:
        _, token = add_staff(rt, "Admin", "HQ", ["admin"])
        with TestClient(create_app(rt, run_projections=False)) as client:
            answers: list[Any] = []
            request = threading.Thread(
                target=lambda: answers.append(
                    post(client, token, "{ staff(minPosition: 999999) { nodes { name } } }")
                )
            )
            request.start()
            assert eventually(lambda: _backend_waiting_for_projections(postgres), bool)
            postgres.stop()
            request.join(60)
        (response,) = answers
        assert response.status_code == 503
        assert response.headers["retry-after"]
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "DATABASE_UNAVAILABLE"}
        assert error["message"] == "The database is unavailable; try again shortly."
    finally:
        if not postgres.running:
            postgres.start()
        rt.close()
