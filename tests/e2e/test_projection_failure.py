"""A read model that cannot apply an event stops alone, at that event, says so everywhere, and
goes on after a fix is released and an operator resumes it (recorded)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import cli
from api.runtime import Runtime
from projections.base import ReadModel, on
from projections.registry import all_models
from projections.runner import ProjectionRunner
from projections.staff import StaffModel
from tests.conftest import add_staff
from tests.e2e.test_outage import READ, eventually, post, register


class Fragile(ReadModel):
    """Reads staff registrations; cannot apply the one named "Poison" until it is fixed."""

    name = "fragile"
    tables = ()
    fixed = False

    @on(*StaffModel.handlers)
    def row(self, curs: Any, event: Any, position: int) -> None:
        """Nothing to write: it only fails on the poison."""
        if getattr(event, "name", None) == "Poison" and not Fragile.fixed:
            raise ValueError("cannot hold this staff member")


@pytest.fixture
def client(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(Fragile, "fixed", False)
    runtime.runner = ProjectionRunner(runtime.app, [*all_models(), Fragile()], runtime.database.url)
    with TestClient(create_app(runtime)) as c:
        yield c


def cli_run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_a_model_that_cannot_apply_an_event_stops_alone_and_resumes_after_the_fix(
    client: TestClient, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="backoffice.projections")
    _, token = add_staff(runtime, "Admin", "HQ", ["admin"])
    poison = register(client, token, "Poison")["position"]

    health = eventually(lambda: client.get("/health"), lambda r: r.status_code == 503)
    assert health.status_code == 503
    report = health.json()
    stopped = report["projections"]["fragile"]["stopped"]
    assert stopped["notification_id"] == poison
    assert stopped["position"] == poison - 1
    assert "cannot hold this staff member" in stopped["error"]
    assert f"'fragile' stopped at notification id {poison}" in report["error"]
    assert report["projections"]["staff"]["state"] == "running"
    assert any(
        "fragile" in r.getMessage() and f"notification id {poison}" in r.getMessage()
        for r in caplog.records
    )
    metrics = client.get("/metrics").text
    assert 'backoffice_projection_failed{projection="fragile"} 1.0' in metrics
    assert f'backoffice_projection_failed_at{{projection="fragile"}} {poison}.0' in metrics
    assert 'backoffice_projection_failed{projection="staff"} 0.0' in metrics

    # The other read models go on: a later write is read back through them.
    later = register(client, token, "Later")
    read = post(client, token, READ, id=later["id"], p=later["position"]).json()
    assert read["data"]["staffMember"] == {"name": "Later"}
    assert read["extensions"]["consistency"][0]["reached"] is True

    code, output = cli_run("project", "status")
    assert code == 0, output
    assert re.search(rf"fragile .*stopped at notification id {poison}", output)

    Fragile.fixed = True  # the fix is released
    code, output = cli_run(
        "project", "resume", "fragile", "--reason", "fix released in 1.2.3", "--by", "ops@sh01"
    )
    assert code == 0, output

    def caught_up(response: Any) -> bool:
        fragile = response.json()["projections"]["fragile"]
        return bool(response.status_code == 200 and fragile["position"] >= later["position"])

    health = eventually(lambda: client.get("/health"), caught_up)
    assert caught_up(health), health.json()
    code, output = cli_run("project", "status")
    assert re.search(r"fragile .*resumed at position .*fix released in 1\.2\.3 .*ops@sh01", output)


def test_resuming_a_model_that_is_not_stopped_is_refused(client: TestClient) -> None:
    code, output = cli_run("project", "resume", "staff", "--reason", "nothing to fix")
    assert code == 1
    assert "not stopped" in output
