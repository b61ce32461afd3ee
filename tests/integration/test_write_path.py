"""The write path's round trips: a command borrows one pooled connection for everything it
reads and writes (one checkout, one liveness check), and its write is one transaction."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from api.app import create_app
from api.database import Database
from api.datastore import quiet_check
from api.runtime import Runtime
from domain.access import Role
from domain.staff import GrantRole, RegisterStaff
from tests.conftest import add_staff, run, staff


def _checkouts(rt: Runtime) -> int:
    pool = rt.app.factory.datastore.pool  # type: ignore[attr-defined]
    return int(pool.get_stats().get("requests_num", 0))


def test_a_command_takes_one_connection_from_the_pool_for_its_reads_and_its_write(
    runtime: Runtime,
) -> None:
    admin = staff(runtime, "admin")
    target = staff(runtime, "trader")
    before = _checkouts(runtime)
    # Reads the acting admin, the idempotency key and the target; then writes.
    result = run(runtime, GrantRole(staff_id=target, role=Role.RISK), admin, key="grant-1")
    assert result.position
    assert _checkouts(runtime) == before + 1


def test_a_command_that_checks_its_new_id_is_free_takes_one_connection_too(
    runtime: Runtime,
) -> None:
    before = _checkouts(runtime)
    run(
        runtime,
        RegisterStaff(staff_id=uuid.uuid4(), name="王五", branch="SH01", roles=[Role.TRADER]),
    )
    assert _checkouts(runtime) == before + 1


def test_a_commands_idempotency_row_events_and_signatures_are_one_transaction(
    runtime: Runtime, database: Database
) -> None:
    target = staff(runtime, "trader")
    result = run(runtime, GrantRole(staff_id=target, role=Role.RISK), key="grant-2")
    with database.connect() as conn:
        rows = conn.execute(
            "SELECT e.xmin::text, s.xmin::text, c.xmin::text FROM backoffice_events e"
            " JOIN backoffice_event_signatures s USING (notification_id)"
            " JOIN backoffice_commands c ON c.idempotency_key = s.idempotency_key"
            " WHERE e.notification_id = %s",
            (result.position,),
        ).fetchall()
    assert len(rows) == 1
    assert len(set(rows[0])) == 1


def test_a_graphql_mutation_takes_one_connection_to_authenticate_and_one_for_its_command(
    runtime: Runtime,
) -> None:
    _, token = add_staff(runtime, "Admin", "HQ", ["admin"])
    mutation = (
        'mutation { registerStaff(input: {name: "赵六", branch: "SH01", roles: [TRADER]})'
        " { __typename } }"
    )
    with TestClient(create_app(runtime, run_projections=False)) as http:
        before = _checkouts(runtime)
        answer = http.post(
            "/graphql", json={"query": mutation}, headers={"Authorization": f"Bearer {token}"}
        )
        assert _checkouts(runtime) == before + 2
    assert answer.json()["data"]["registerStaff"]["__typename"] == "CommandSuccess"


def test_the_pool_checks_a_connection_it_hands_out_without_a_round_trip_when_it_is_quiet(
    runtime: Runtime,
) -> None:
    pool = runtime.app.factory.datastore.pool  # type: ignore[attr-defined]
    assert pool._check is quiet_check  # POSTGRES_PRE_PING's check, replaced (api/datastore.py)
