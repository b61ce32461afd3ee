"""Reconstruction packages for regulators, end to end: CLI and REST, and what the report says."""

from __future__ import annotations

import io
import json
import re
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
from api.report import pdf_unavailable
from api.runtime import Runtime
from api.settings import Settings
from domain.clients import AssessRisk, RiskLevel
from domain.instruments import Board, ProductRisk, UpsertInstrument
from domain.orders import OrderChannel, OrderType, ReceiveOrder, RecordFill, ReviewOrder, Side
from tests.conftest import add_staff, onboard, run, staff
from tests.e2e.report_orders import demo_like_order

runner = CliRunner()
#: report.pdf is written only where it can print Chinese (the browser tests insist on it).
PACKAGE_FILES = ("package.json", "report.html") + (
    ("report.pdf",) if pdf_unavailable() is None else ()
)


@pytest.fixture
def order_id(runtime: Runtime, settings: Settings) -> uuid.UUID:
    """An order taken at C3 and filled; the client is reassessed at C5 afterwards."""
    runtime.system(
        UpsertInstrument(
            code="600519.SH",
            name="贵州茅台",
            board=Board.MAIN,
            risk_level=ProductRisk.R3,
            board_lot=100,
        ),
        "test",
    )
    manager = add_staff(runtime, "李娜", "SH01", ["account_manager"])[0].staff_id
    trader = staff(runtime, "trader")
    client_id = onboard(runtime, manager, "10000001")
    oid = uuid.uuid4()
    run(
        runtime,
        ReceiveOrder(
            order_id=oid,
            client_id=client_id,
            account_number="10000001",
            instrument_code="600519.SH",
            side=Side.BUY,
            quantity=100,
            order_type=OrderType.LIMIT,
            limit_price=Decimal("1500"),
            channel=OrderChannel.COUNTER,
            received_at=datetime.now(UTC),  # not before the account was opened, just now
        ),
        manager,
    )
    run(runtime, ReviewOrder(order_id=oid), trader)
    run(
        runtime,
        RecordFill(
            order_id=oid,
            execution_id="EXE-1",
            quantity=100,
            price=Decimal("1499.9"),
            executed_at=datetime.now(UTC),
        ),
        trader,
    )
    run(
        runtime,
        AssessRisk(client_id=client_id, level=RiskLevel.C5),
        manager,
        reason="annual review",
    )
    runtime.runner.sync(runtime.runner.head())
    return oid


def reconstruct(*args: str, requested_by: str = "王五，证监会上海监管局") -> tuple[int, str]:
    result = runner.invoke(cli, ["reconstruct", "--requested-by", requested_by, *args])
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
    assert "<th>风险承受等级</th><td>C3</td>" in report and str(order_id) in report
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["request"] == {"order_id": str(order_id)}
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", manifest["chain_head"])
    assert set(manifest["files"]) == set(PACKAGE_FILES)
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
        assert set(archive.namelist()) == {"manifest.json", *PACKAGE_FILES}
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
        assert manifest["requested_by"] == "证监会检查组"
        assert manifest["requester"]["via"] == "token"
        assert manifest["requester"]["roles"] == ["regulator"]
        bad = client.get("/audit/reconstructions", headers={"Authorization": f"Bearer {regulator}"})
        assert bad.status_code == 422


def test_a_package_from_the_command_line_names_who_asked_for_it(
    order_id: uuid.UUID, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["reconstruct", "--order", str(order_id), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--requested-by" in result.output
    code, output = reconstruct(
        "--order", str(order_id), "--out", str(tmp_path / "p"), requested_by="王五，证监会"
    )
    assert code == 0, output
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert manifest["requested_by"] == "王五，证监会"
    assert manifest["requester"]["via"] == "command line" and manifest["requester"]["operator"]


@pytest.fixture
def full_order(runtime: Runtime) -> uuid.UUID:
    """A demo-like order of nine events by named staff."""
    return demo_like_order(runtime)


def _report(order: uuid.UUID, out: Path, *extra: str) -> str:
    code, output = reconstruct("--order", str(order), "--out", str(out), *extra)
    assert code == 0, output
    return (out / "report.html").read_text(encoding="utf-8")


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html.split("</style>", 1)[1])


def test_the_report_reads_in_chinese_with_checks_named_for_what_they_verify(
    full_order: uuid.UUID, tmp_path: Path
) -> None:
    html = _report(full_order, tmp_path / "p")
    text = _text(html)
    assert '<html lang="zh-CN">' in html and "交易记录还原报告" in text
    assert (
        "<th>买卖方向</th><td>买入</td>" in html and "<th>证件类型</th><td>居民身份证</td>" in html
    )
    assert re.search(r"客户身份已核实</td><td class=\"pass\">通过</td>", html)
    assert re.search(
        r"适当性：产品风险等级与投资者等级匹配，或客户已签署风险警示</td>"
        r"<td class=\"pass\">通过</td><td>投资者 C3，产品 R4；客户已就本笔委托签署风险警示",
        html,
    )
    for raw in ("CLIENT_NOT_ACTIVE", "resident_id", "passed", "buy ", "Order.Filled", "listed"):
        assert raw not in text, raw


def test_the_report_names_staff_with_their_role_then_and_shows_beijing_time(
    full_order: uuid.UUID, tmp_path: Path
) -> None:
    html = _report(full_order, tmp_path / "p")
    text = _text(html)
    assert "李娜（客户经理）" in text and "张伟（交易员）" in text and "陈静（风险管理）" in text
    times = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? UTC[+-][\d:]+", text)
    assert times and all(t.endswith("UTC+8") and "." not in t for t in times)
    assert "+00:00" not in text


def test_the_report_lists_each_fill_and_every_full_chain_hash(
    full_order: uuid.UUID, tmp_path: Path
) -> None:
    html = _report(full_order, tmp_path / "p")
    package = json.loads((tmp_path / "p" / "package.json").read_text())
    (order,) = package["orders"]
    assert len(order["lifecycle"]) == 9
    for event in order["lifecycle"]:
        assert f'<span class="hash">{event["chain_hash"]}</span>' in html
    assert re.search(r">100</td><td class=\"num\">1,499.90</td><td class=\"num\">149,990.00<", html)
    assert re.search(r">200</td><td class=\"num\">1,500.10</td><td class=\"num\">300,020.00<", html)
    assert 'id="signed-checkpoint"' in html and package and "导出时链头" in html


def test_english_is_the_second_locale_chosen_per_package(
    full_order: uuid.UUID, tmp_path: Path
) -> None:
    html = _report(full_order, tmp_path / "p", "--locale", "en")
    assert '<html lang="en">' in html and "Transaction reconstruction report" in html
    assert re.search(r"Client identity is verified</td><td class=\"pass\">passed</td>", html)
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert manifest["report_locale"] == "en"
    code, output = reconstruct(
        "--order", str(full_order), "--out", str(tmp_path / "q"), "--locale", "fr"
    )
    assert code == 2 and "zh-CN" in output


def test_a_package_can_leave_the_pdf_out(order_id: uuid.UUID, tmp_path: Path) -> None:
    code, output = reconstruct("--order", str(order_id), "--out", str(tmp_path), "--no-pdf")
    assert code == 0, output
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest["files"]) == {"package.json", "report.html"}
    assert not (tmp_path / "report.pdf").exists() and "report_pdf_missing" not in manifest
    assert verify(tmp_path)[0] == 0
