"""Reconstruction packages for regulators, end to end: CLI, REST, HTML in Chromium."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import cli
from api.database import Database
from api.runtime import Runtime, system_command
from api.settings import Settings
from tests.conftest import add_staff, command, onboard

runner = CliRunner()


@pytest.fixture
def order_id(runtime: Runtime, settings: Settings) -> uuid.UUID:
    """An order taken at C3 and filled; the client is reassessed at C5 afterwards."""
    runtime.app.upsert_instrument(
        system_command(runtime, "test"),
        code="600519.SH",
        name="贵州茅台",
        board="main",
        risk_level="R3",
        board_lot=100,
    )
    manager = add_staff(runtime, "李娜", "SH01", ["account_manager"])[0].staff_id
    client_id = onboard(runtime, manager, "10000001")
    oid = uuid.uuid4()
    taken_at = datetime.now(UTC) - timedelta(seconds=2)
    runtime.app.receive_order(
        command({"account_manager"}),
        order_id=oid,
        client_id=client_id,
        account_number="10000001",
        instrument_code="600519.SH",
        side="buy",
        quantity=100,
        order_type="limit",
        limit_price=Decimal("1500"),
        channel="counter",
        received_at=taken_at,
    )
    runtime.app.review_order(command({"trader"}), order_id=oid)
    runtime.app.record_fill(
        command({"trader"}),
        order_id=oid,
        execution_id="EXE-1",
        quantity=100,
        price=Decimal("1499.9"),
        executed_at=datetime.now(UTC),
    )
    runtime.app.assess_risk(
        command({"account_manager"}, reason="annual review"), client_id=client_id, level="C5"
    )
    runtime.runner.sync(runtime.runner.head())
    return oid


def reconstruct(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["reconstruct", *args])
    return result.exit_code, result.output


def verify(path: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["verify-package", str(path), *extra])
    return result.exit_code, result.output


def test_a_package_shows_the_client_as_at_receipt_and_its_manifest_verifies(
    order_id: uuid.UUID, tmp_path: Path
) -> None:
    out = tmp_path / "pkg"
    code, output = reconstruct("--order", str(order_id), "--out", str(out))
    assert code == 0, output
    package = json.loads((out / "package.json").read_text())
    (order,) = package["orders"]
    assert order["client_at_receipt"]["risk_level"] == "C3"  # C5 only came later
    assert order["instrument_at_receipt"]["risk_level"] == "R3"
    assert order["review"]["fields"]["accepted"] is True
    assert len(order["review"]["fields"]["checks"]) == 10
    assert [f["fields"]["execution_id"] for f in order["fills"]] == ["EXE-1"]
    assert [e["type"] for e in order["lifecycle"]] == [
        "Order.Received",
        "Order.Reviewed",
        "Order.Filled",
    ]
    report = (out / "report.html").read_text()
    assert "Risk level at receipt</td><td>C3" in report and str(order_id) in report
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["request"] == {"order_id": str(order_id)}
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", manifest["chain_head"])
    assert set(manifest["files"]) == {"package.json", "report.html"}
    code, output = verify(out)
    assert code == 0, output
    assert "3 event(s) found in the chain" in output


def test_one_changed_byte_in_the_package_fails_verification(
    order_id: uuid.UUID, tmp_path: Path
) -> None:
    out = tmp_path / "pkg"
    reconstruct("--order", str(order_id), "--out", str(out))
    data = bytearray((out / "package.json").read_bytes())
    data[100] ^= 1
    (out / "package.json").write_bytes(bytes(data))
    code, output = verify(out, "--offline")
    assert code == 1 and "package.json does not match" in output


def test_one_changed_byte_in_the_stored_events_fails_verification(
    order_id: uuid.UUID, tmp_path: Path, database: Database
) -> None:
    out = tmp_path / "pkg"
    reconstruct("--order", str(order_id), "--out", str(out))
    with database.connect() as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "UPDATE backoffice_events SET state = set_byte(state, 3, get_byte(state, 3) # 1)"
            " WHERE originator_id = %s AND originator_version = 2",
            (order_id,),
        )
    code, output = verify(out)
    assert code == 1 and "no longer proves the head" in output


def test_a_client_or_a_period_is_packaged_too(
    order_id: uuid.UUID, runtime: Runtime, tmp_path: Path
) -> None:
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    code, output = reconstruct(
        "--from", start, "--to", end, "--branch", "sh01", "--out", str(tmp_path / "p")
    )
    assert code == 0 and "1 order(s)" in output, output
    code, output = reconstruct(
        "--order", str(order_id), "--client", str(order_id), "--out", str(tmp_path / "q")
    )
    assert code == 2 and "exactly one" in output


def test_the_package_downloads_as_a_zip_for_audit_roles_only(
    order_id: uuid.UUID, runtime: Runtime
) -> None:
    _, regulator = add_staff(runtime, "证监会检查组", "HQ", ["regulator"])
    _, trader = add_staff(runtime, "张伟", "SH01", ["trader"])
    with TestClient(create_app(runtime)) as client:
        url = f"/audit/reconstructions?order={order_id}"
        assert client.get(url).status_code == 401
        assert client.get(url, headers={"Authorization": f"Bearer {trader}"}).status_code == 403
        response = client.get(url, headers={"Authorization": f"Bearer {regulator}"})
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        assert sorted(archive.namelist()) == [
            "manifest.json",
            "package.json",
            "report.html",
            "signature.json",
        ]
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
        assert manifest["requested_by"].startswith("证监会检查组")
        bad = client.get("/audit/reconstructions", headers={"Authorization": f"Bearer {regulator}"})
        assert bad.status_code == 422


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_the_html_report_renders_in_headless_chromium_with_the_key_facts(
    order_id: uuid.UUID, tmp_path: Path
) -> None:
    out = tmp_path / "pkg"
    reconstruct("--order", str(order_id), "--out", str(out))
    result = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--dump-dom",
            (out / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom = result.stdout
    assert "Transaction reconstruction" in dom, result.stderr[-2000:]
    assert str(order_id) in dom
    assert re.search(r"Risk level at receipt</td><td>C3</td>", dom)
    assert re.search(r"Product risk level at receipt</td><td>R3</td>", dom)
    assert "Order.Filled" in dom
