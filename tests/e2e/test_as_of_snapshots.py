"""``asOf`` through GraphQL on a record with snapshots: at every moment, the state (masked as
the caller may see it) equals the replay of the record's events from the first one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.application import project_aggregate
from fastapi.testclient import TestClient

from api.app import create_app
from api.audit import state_of
from api.clocks import Clock, event_time, up_to
from api.runtime import Runtime
from api.settings import Settings
from domain import clients as c
from domain.privacy import visibility
from tests.conftest import add_staff, onboard, run

INTERVAL = 3
QUERY = (
    "query($id: UUID!, $at: DateTime!, $clock: Clock!) {"
    " asOf(aggregateId: $id, at: $at, clock: $clock) { version position state } }"
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Snapshots every few events, so that every moment lies near one."""
    return settings.model_copy(update={"snapshot_interval": INTERVAL})


@pytest.fixture
def http(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, run_projections=False)) as client:
        yield client


def test_as_of_every_moment_through_graphql_equals_the_replay_from_the_first_event(
    runtime: Runtime, http: TestClient
) -> None:
    assert runtime.app.snapshot_interval == INTERVAL
    manager = add_staff(runtime, "李娜", "SH01", ["account_manager"])[0].staff_id
    client = onboard(runtime, manager)
    for level in (c.RiskLevel.C4, c.RiskLevel.C2, c.RiskLevel.C5, c.RiskLevel.C3):
        run(runtime, c.AssessRisk(client_id=client, level=level), manager, reason="review")
    runtime.runner.sync(runtime.runner.head())
    events = list(runtime.app.events.get(client))
    assert len(events) >= 3 * INTERVAL
    for roles in (["auditor"], ["head_office"]):
        _, token = add_staff(runtime, f"审计{roles[0]}", "HQ", roles)
        seen = visibility(frozenset(roles))
        for clock in Clock:
            for event in events:
                at = event_time(event, clock)
                response = http.post(
                    "/graphql",
                    json={
                        "query": QUERY,
                        "variables": {
                            "id": str(client),
                            "at": at.isoformat(),
                            "clock": clock.name,
                        },
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
                body: dict[str, Any] = response.json()
                assert "errors" not in body, body
                expected = project_aggregate(None, up_to(events, at, clock))
                found = body["data"]["asOf"]
                assert found["version"] == expected.version, (clock, event.originator_version)
                assert found["state"] == state_of(expected, seen), (roles, clock)
    with runtime.database.connect() as conn:
        kept = conn.execute(
            "SELECT count(*) FROM backoffice_snapshots WHERE originator_id = %s",
            (uuid.UUID(str(client)),),
        ).fetchone()
    assert kept is not None and kept[0] >= 3
