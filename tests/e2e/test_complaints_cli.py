"""``backoffice complaints …`` and ``reconstruct --complaint`` end to end against real
PostgreSQL (the command line reads the real clock: complaints are received in the past)."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import cli
from api.report import pdf_unavailable
from api.runtime import Runtime
from api.settings import Settings
from domain import complaints as k
from domain.complaints import Complaint
from domain.privacy import mask, visibility
from tests.conftest import add_staff, run, staff

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def receive(runtime: Runtime, days_ago: int, **kw: object) -> uuid.UUID:
    """A complaint received ``days_ago`` days before now, by customer service."""
    runtime.clock = lambda: datetime.now(UTC) - timedelta(days=days_ago)
    cid = uuid.uuid4()
    run(
        runtime,
        k.ReceiveComplaint(
            complaint_id=cid,
            channel=k.ComplaintChannel.LETTER,
            category=k.ComplaintCategory.TRADING,
            content="委托未成交。",
            complainant_contact="上海市浦东新区世纪大道 100 号",
            **kw,  # type: ignore[arg-type]
        ),
        staff(runtime, "customer_service"),
    )
    return cid


@pytest.fixture
def late(settings: Settings, runtime: Runtime) -> uuid.UUID:
    """A complaint received 20 days ago and never worked on: its stage and reply are late."""
    return receive(runtime, 20)


def test_the_overdue_list_exits_zero_when_nothing_is_late(
    settings: Settings, runtime: Runtime
) -> None:
    receive(runtime, 1)
    code, output = invoke("complaints", "overdue")
    assert code == 0, output
    assert "no complaint is overdue" in output


def test_the_overdue_list_names_each_late_stage_and_exits_one(
    late: uuid.UUID, runtime: Runtime
) -> None:
    number = runtime.app.get(Complaint, late).number
    code, output = invoke("complaints", "overdue", "--branch", "sh01")
    assert code == 1
    lines = [line.split("\t") for line in output.splitlines() if line.startswith(number)]
    assert sorted(line[3] for line in lines) == ["branch", "reply"]
    assert {line[5] for line in lines} == {"15", "5"}


def test_chasing_from_the_daily_job_records_once_a_day(late: uuid.UUID, runtime: Runtime) -> None:
    for _ in range(2):
        code, _output = invoke("complaints", "overdue", "--chase")
        assert code == 1
    stored = runtime.app.recorder.select_events(late)
    kinds = [s.topic.rsplit(".", 1)[-1] for s in stored]
    assert kinds.count("Chased") == 2  # branch and reply, once


def test_the_analysis_is_written_as_csv(late: uuid.UUID, tmp_path: Path) -> None:
    period = f"{datetime.now(UTC) - timedelta(days=20):%Y}"
    out = tmp_path / "analysis.csv"
    code, output = invoke("complaints", "analysis", period, "--out", str(out))
    assert code == 0, output
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["dimension"] == "total"
    assert {"dimension": "category", "key": "trading"}.items() <= next(
        r for r in rows if r["key"] == "trading"
    ).items()


def test_an_unknown_period_is_refused(settings: Settings) -> None:
    code, output = invoke("complaints", "analysis", "2026-W60")
    assert code == 2
    assert "no such ISO week" in output


def test_the_deadlines_change_only_with_a_reason_and_are_shown(settings: Settings) -> None:
    code, _ = invoke("complaints", "deadlines", "--reply-days", "14")
    assert code == 2
    code, output = invoke("complaints", "deadlines", "--reply-days", "14", "--reason", "新规")
    assert code == 0, output
    code, output = invoke("complaints", "deadlines")
    assert "reply 14 days (18 abroad)" in output and "policy version 1" in output


def test_a_complaint_is_reconstructed_and_the_package_verifies(
    late: uuid.UUID, runtime: Runtime, tmp_path: Path
) -> None:
    run(runtime, k.TakeComplaintIntoHandling(complaint_id=late), staff(runtime, "customer_service"))
    out = tmp_path / "pkg"
    code, output = invoke(
        "reconstruct", "--complaint", str(late), "--requested-by", "王五，证监会上海监管局",
        "--reason", "投诉核查", "--out", str(out), "--no-pdf",
    )  # fmt: skip
    assert code == 0, output
    package = json.loads((out / "package.json").read_text(encoding="utf-8"))
    complaint = package["complaints"][0]
    assert [e["type"] for e in complaint["lifecycle"]] == [
        "Complaint.Received",
        "Complaint.TakenIntoHandling",
    ]
    assert complaint["deadline_policy_at_receipt"]["reply_days"] == 15
    assert complaint["lifecycle"][0]["actor_roles_then"] == ["customer_service"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == {"package.json", "report.html"}
    assert manifest["requested_by"] == "王五，证监会上海监管局"
    assert "CP-" in (out / "report.html").read_text(encoding="utf-8")
    code, output = invoke("verify-package", str(out))
    assert code == 0, output
    assert "2 event(s) found in the chain" in output
    assert (out / "signature.json").exists()  # signed like any package
    disclosed = [
        runtime.app.mapper.to_domain_event(n)
        for n in runtime.app.recorder.select_notifications(start=1, limit=100_000)
        if n.topic.endswith("Disclosure.Made")
    ]
    assert [(d.requested_by, d.records) for d in disclosed] == [("王五，证监会上海监管局", 1)]
    (out / "report.html").write_text("altered", encoding="utf-8")
    code, _ = invoke("verify-package", str(out))
    assert code == 1


def test_a_complaint_is_reconstructed_on_its_own(late: uuid.UUID, tmp_path: Path) -> None:
    asked = ("--requested-by", "审计部", "--reason", "审计", "--out", str(tmp_path), "--no-pdf")
    code, _ = invoke("reconstruct", "--complaint", str(late), "--order", str(late), *asked)
    assert code == 2
    code, output = invoke("reconstruct", "--complaint", str(uuid.uuid4()), *asked)
    assert code == 1 and "not in the event store" in output


def test_a_complaint_package_prints_its_report_to_pdf_where_it_can(
    late: uuid.UUID, tmp_path: Path
) -> None:
    why_not = pdf_unavailable()
    if why_not is not None:
        pytest.skip(why_not)
    out = tmp_path / "pkg"
    code, output = invoke(
        "reconstruct", "--complaint", str(late), "--requested-by", "Internal audit",
        "--reason", "AUD-2026-7", "--locale", "en", "--out", str(out),
    )  # fmt: skip
    assert code == 0, output
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "Complaint reconstruction" in (out / "report.html").read_text(encoding="utf-8")
    assert "report.pdf" in json.loads((out / "manifest.json").read_text())["files"]


def test_a_complaint_package_downloads_as_a_signed_zip_masked_as_the_requester_sees(
    late: uuid.UUID, runtime: Runtime
) -> None:
    _, regulator = add_staff(runtime, "证监会检查组", "HQ", ["regulator"])
    _, compliance = add_staff(runtime, "合规部", "HQ", ["head_office"])
    contacts = {}
    with TestClient(create_app(runtime)) as client:
        for name, token in (("regulator", regulator), ("head_office", compliance)):
            response = client.get(
                f"/audit/reconstructions?complaint={late}&reason=投诉核查&pdf=false",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
            archive = zipfile.ZipFile(io.BytesIO(response.content))
            assert {"manifest.json", "signature.json", "package.json"} <= set(archive.namelist())
            package = json.loads(archive.read("package.json"))
            assert package["request"] == {"complaint_id": str(late)}
            contacts[name] = package["complaints"][0]["complaint"]["complainant_contact"]
        both = client.get(
            f"/audit/reconstructions?complaint={late}&order={late}&reason=x",
            headers={"Authorization": f"Bearer {regulator}"},
        )
        assert both.status_code == 422
    expected = {
        role: mask({"complainant_contact": "上海市浦东新区世纪大道 100 号"}, visibility({role}))
        for role in ("regulator", "head_office")
    }
    assert contacts["regulator"] != contacts["head_office"]  # one sees it, the other masked
    assert contacts == {role: v["complainant_contact"] for role, v in expected.items()}
