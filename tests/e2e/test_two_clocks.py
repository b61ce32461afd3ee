"""The two clocks, through GraphQL, REST and the command line against PostgreSQL: a record as
of a moment by the time its events were recorded or by the time their commands gave, the audit
trail filtered by either, and a time without a zone taken in the branch's time zone."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import cli
from api.runtime import Runtime
from domain import clients as c
from tests.conftest import run
from tests.e2e.graph_world import World, build_world

#: 10:00 in Shanghai on 10 January 2026: when the client was onboarded (business clock).
ONBOARDED = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
#: When the client was reassessed as C5 (business clock).
REASSESSED = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
AS_OF = (
    "query($id: UUID!, $at: DateTime!, $clock: Clock!) {"
    " asOf(aggregateId: $id, at: $at, clock: $clock) { version lastOccurredAt lastRecordedAt }"
    " clientAsOf(id: $id, at: $at, clock: $clock) { riskLevel } }"
)


@pytest.fixture
def world(runtime: Runtime) -> Iterator[World]:
    runtime.clock = lambda: ONBOARDED
    with TestClient(create_app(runtime, run_projections=False)) as http:
        yield build_world(runtime, http)


@pytest.fixture
def client_id(world: World) -> uuid.UUID:
    """A client onboarded (C3) in January and reassessed (C5) in March, both entered today."""
    cid = world.client()
    world.runtime.clock = lambda: REASSESSED
    run(world.runtime, c.AssessRisk(client_id=cid, level=c.RiskLevel.C5), world.people["经理"].id)
    world.sync()
    return cid


def as_of(world: World, cid: uuid.UUID, at: str, clock: str) -> dict[str, object]:
    return world.people["审计"].data(AS_OF, id=str(cid), at=at, clock=clock)


def test_as_of_by_the_business_clock_shows_the_record_as_its_commands_dated_it(
    world: World, client_id: uuid.UUID
) -> None:
    february = as_of(world, client_id, "2026-02-01T00:00:00+08:00", "BUSINESS")
    assert february["clientAsOf"] == {"riskLevel": "C3"}
    assert february["asOf"]["version"] == 6
    assert february["asOf"]["lastOccurredAt"].startswith("2026-01-10T02:00:00")
    march = as_of(world, client_id, "2026-03-02T00:00:00+08:00", "BUSINESS")
    assert march["clientAsOf"] == {"riskLevel": "C5"} and march["asOf"]["version"] == 7


def test_as_of_by_the_recording_clock_knows_nothing_recorded_later(
    world: World, client_id: uuid.UUID
) -> None:
    # Everything was entered today: in February the store had recorded nothing of it.
    february = as_of(world, client_id, "2026-02-01T00:00:00+08:00", "RECORDED")
    assert february == {"asOf": None, "clientAsOf": None}
    now = as_of(world, client_id, datetime.now(UTC).isoformat(), "RECORDED")
    assert now["clientAsOf"] == {"riskLevel": "C5"}


def test_as_of_reads_the_recording_clock_unless_told_otherwise(
    world: World, client_id: uuid.UUID
) -> None:
    query = 'query($id: UUID!) { clientAsOf(id: $id, at: "2026-02-01T00:00:00Z") { name } }'
    assert world.people["审计"].data(query, id=str(client_id)) == {"clientAsOf": None}


def test_a_time_without_a_zone_is_a_time_in_the_branch_time_zone(
    world: World, client_id: uuid.UUID
) -> None:
    # Onboarded at 10:00 in Shanghai (02:00 UTC): 09:30 without a zone is before it, though
    # 09:30 UTC would be after.
    assert as_of(world, client_id, "2026-01-10T09:30:00", "BUSINESS")["asOf"] is None
    assert as_of(world, client_id, "2026-01-10T10:30:00", "BUSINESS")["asOf"] is not None


def test_the_audit_trail_filters_by_either_clock(world: World, client_id: uuid.UUID) -> None:
    query = "query($f: AuditFilter) { auditEvents(filter: $f) { totalCount nodes { eventType } } }"
    auditor = world.people["审计"]
    business = auditor.data(
        query,
        f={
            "aggregateId": str(client_id),
            "occurredFrom": "2026-02-01T00:00:00",
            "occurredTo": "2026-04-01T00:00:00",
        },
    )["auditEvents"]
    assert business == {"totalCount": 1, "nodes": [{"eventType": "Client.RiskAssessed"}]}
    recorded = auditor.data(
        query,
        f={
            "aggregateId": str(client_id),
            "recordedFrom": "2026-02-01T00:00:00",
            "recordedTo": "2026-04-01T00:00:00",
        },
    )["auditEvents"]
    assert recorded["totalCount"] == 0


def test_the_rest_audit_export_filters_by_the_clock_asked_for(
    world: World, client_id: uuid.UUID
) -> None:
    auditor = world.people["审计"]

    def lines(**params: str) -> list[dict[str, object]]:
        response = world.http.get(
            "/audit/events.jsonl",
            params={"aggregate_id": str(client_id), "reason": "AUD-7", **params},
            headers=auditor.headers,
        )
        assert response.status_code == 200, response.text
        return [json.loads(line) for line in response.text.splitlines()]

    january = {"from": "2026-01-10T09:30:00", "to": "2026-01-10T10:30:00"}
    assert len(lines(**january, clock="business")) == 6
    assert lines(**january) == []  # by default the recording clock, as before
    assert lines(**january, clock="recorded") == []
    refused = world.http.get(
        "/audit/events.jsonl", params={"clock": "wall"}, headers=auditor.headers
    )
    assert refused.status_code == 422


def test_audit_export_on_the_command_line_takes_the_clock_and_the_branch_time_zone(
    world: World, client_id: uuid.UUID, tmp_path: Path
) -> None:
    out = tmp_path / "trail.jsonl"
    args = ["audit", "export", "--out", str(out), "--aggregate", str(client_id)]
    window = ["--from", "2026-01-10T09:30:00", "--to", "2026-01-10T10:30:00"]
    result = CliRunner().invoke(cli, [*args, *window, "--clock", "business"])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 6
    # 09:30-10:30 taken as UTC would miss the onboarding at 02:00 UTC.
    result = CliRunner().invoke(cli, [*args, "--from", "2026-01-10T01:30:00", "--to",
                                      "2026-01-10T02:30:00", "--clock", "business"])  # fmt: skip
    assert result.exit_code == 0 and out.read_text() == "", result.output
    result = CliRunner().invoke(cli, [*args, *window])
    assert result.exit_code == 0 and out.read_text() == "", result.output
