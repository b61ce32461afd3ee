"""The command line for people and scripts (issue 15): ``--json`` on every listing and report,
ids printed whole, and bad input or configuration answered in a line or two with the fix,
never a traceback."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli import cli
from api.graphql.schema import SCHEMA_FILE, sdl
from api.runtime import Runtime
from api.settings import Settings, get_settings
from domain.access import Role
from domain.staff import RegisterStaff
from projections import instruments as instrument_model
from tests.conftest import run
from tests.e2e.test_reconstruction import order_id  # noqa: F401 - a fixture

runner = CliRunner()
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
BACKOFFICE = str(Path(sys.executable).parent / "backoffice")


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(cli, list(args), env=env)


def short_and_clean(result: Result, code: int = 2) -> str:
    """The failure is exit ``code``, printed in at most three lines, with no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert 1 <= len(result.output.strip().splitlines()) <= 3, result.output
    return result.output


# --json ---------------------------------------------------------------------------------


LISTINGS: list[tuple[list[str], tuple[int, ...]]] = [
    (["staff", "list"], (0,)),
    (["project", "status"], (0,)),
    (["retention", "policy"], (0,)),
    (["retention", "report"], (0,)),
    (["complaints", "overdue"], (0,)),
    (["complaints", "analysis", "2026"], (0,)),
    (["complaints", "deadlines"], (0,)),
    (["budgets", "report", "--period", "2026"], (0,)),
    (["budgets", "deviations", "--period", "2026"], (0,)),
    (["budgets", "matrix"], (0,)),
    (["keys", "list"], (0,)),
    (["verify"], (0,)),
    (["digest"], (0,)),
    (["digest", "--sign"], (0,)),
    (["doctor"], (0, 1)),
    (["instruments", "load"], (0,)),
    (["database", "status"], (0,)),
    (["project", "compare", "staff"], (0,)),
    (["verify-package", "no-such-package", "--offline"], (1,)),
]


def test_every_listing_and_report_prints_one_json_document_on_stdout(
    settings: Settings, runtime: Runtime, tmp_path: Path
) -> None:
    code = invoke("staff", "add", "吴磊", "--role", "trader", "--branch", "BJ02").exit_code
    assert code == 0
    for args, codes in LISTINGS:
        result = invoke(*args, "--json")
        assert result.exit_code in codes, (args, result.output)
        json.loads(result.stdout)  # the whole of stdout is the document: no table, no banner
    trail = tmp_path / "trail.jsonl"
    result = invoke("audit", "export", "--out", str(trail), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["events"] >= 2
    members = json.loads(invoke("staff", "list", "--json").stdout)
    assert [m["name"] for m in members] == ["吴磊"] and members[0]["roles"] == ["trader"]
    uuid.UUID(members[0]["id"])


def test_a_generated_history_reports_itself_as_json(settings: Settings, runtime: Runtime) -> None:
    args = ("--clients", "4", "--orders", "6", "--years", "1", "--expenses", "2", "--workers", "1")
    result = invoke("bench", "generate", *args, "--no-project", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["events"] > 0 and found["commands"] > 0 and found["seed"] == 1
    assert found["refused"] == {}
    with runtime.admin.connect() as conn:  # a bulk load leaves the planner its statistics
        assert conn.execute(
            "SELECT count(*) FROM pg_stats WHERE tablename = 'backoffice_events'"
        ).fetchone() > (0,)
    # The same seed again, or another seed whose budget lines the first history holds: a
    # line each, no traceback.
    for seed, why in (("1", "already holds the history of seed 1"), ("2", "expense line")):
        again = invoke("bench", "generate", *args, "--seed", seed, "--no-project")
        assert again.exit_code == 2 and why in again.output, again.output
        assert "Traceback" not in again.output and "fresh database" in again.output


def test_staff_list_prints_whole_ids_in_an_80_column_terminal(
    settings: Settings, runtime: Runtime
) -> None:
    for i in range(3):
        run(
            runtime,
            RegisterStaff(
                staff_id=uuid.uuid4(),
                name=f"欧阳娜娜-{i} Alexandra Montgomery-Whitfield",
                branch="SH01",
                roles=[Role.ACCOUNT_MANAGER, Role.CUSTOMER_SERVICE, Role.BRANCH_MANAGER],
            ),
        )
    ids = {m["id"] for m in json.loads(invoke("staff", "list", "--json").stdout)}
    result = invoke("staff", "list", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "…" not in result.stdout
    assert set(re.findall(UUID_RE, result.stdout)) == ids and len(ids) == 3
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


# bad input ---------------------------------------------------------------------------------


def test_a_gbk_csv_from_excel_on_chinese_windows_loads_with_its_chinese_names(
    settings: Settings, runtime: Runtime, tmp_path: Path
) -> None:
    gbk = tmp_path / "catalogue.csv"
    gbk.write_bytes(
        "code,name,board,risk_level,board_lot\n600519.SH,贵州茅台,main,R3,100\n".encode("gbk")
    )
    result = invoke("instruments", "load", str(gbk), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["recorded"] == 1
    with runtime.cursor() as curs:
        found = instrument_model.get(curs, "600519.SH")
    assert found is not None and found.name == "贵州茅台"


def test_a_csv_in_no_known_encoding_is_refused_with_the_fix(
    settings: Settings, tmp_path: Path
) -> None:
    bad = tmp_path / "catalogue.csv"
    bad.write_bytes(b"code,name,board,risk_level,board_lot\n600519.SH,\xff\xfe\x80,main,R3,100\n")
    output = short_and_clean(invoke("instruments", "load", str(bad)))
    assert "catalogue.csv:2" in output and "UTF-8" in output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "not a PostgreSQL URL"),
        ("postgresql://postgres@127.0.0.1:1/test?connect_timeout=2", "host and port"),
        ("postgresql://nosuchhost.invalid/test?connect_timeout=2", "host and port"),
        ("postgresql://no_such_role_bo:pw@127.0.0.1:5432/postgres", "user and password"),
    ],
)
def test_a_bad_database_url_is_answered_in_a_line_or_two_with_the_fix(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("MIGRATION_DATABASE_URL")
    get_settings.cache_clear()
    for args in (["staff", "list"], ["verify"], ["migrate"]):
        output = short_and_clean(invoke(*args))
        assert expected in output and "DATABASE_URL" in output, (args, output)
        assert ":pw@" not in output  # the password is never printed
    get_settings.cache_clear()


def test_an_unmigrated_database_is_named_with_the_fix(
    settings: Settings, empty_database: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database.url)  # type: ignore[attr-defined]
    get_settings.cache_clear()
    output = short_and_clean(invoke("verify"))
    assert "not migrated" in output and "backoffice migrate" in output
    get_settings.cache_clear()


def test_a_mistyped_digest_is_not_reported_as_a_broken_record(
    settings: Settings, runtime: Runtime
) -> None:
    run(runtime, RegisterStaff(staff_id=uuid.uuid4(), name="S", branch="SH01", roles=[Role.RISK]))
    digest = invoke("digest").stdout.strip()
    nid, hexhash = digest.split(":")
    typo = f"{nid}:{hexhash[:10]}{'0' if hexhash[10] != '0' else '1'}{hexhash[11:]}"
    result = invoke("verify", "--digest", typo)
    assert result.exit_code == 1
    assert "broken" not in result.output and "does not match" in result.output
    assert "hex digit 11" in result.output and "copied whole" in result.output
    result = invoke("verify", "--digest", f"{int(nid) + 5}:{hexhash}")
    assert result.exit_code == 1 and "broken" not in result.output
    assert "after this store's last event" in result.output
    output = short_and_clean(invoke("verify", "--digest", digest[:-1]))
    assert "64 hex digits, this one has 63" in output
    assert invoke("verify", "--digest", digest).exit_code == 0


def test_schema_is_exported_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("schema", "-o", "-")
    assert result.exit_code == 0 and result.stdout == sdl()
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    try:
        result = invoke("schema")
        assert result.exit_code == 0, result.output
        assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl()
    finally:
        SCHEMA_FILE.write_text(committed, encoding="utf-8")
    assert not (tmp_path / "api").exists()


def test_serve_on_a_port_in_use_fails_before_printing_a_url(settings: Settings) -> None:
    import os

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [BACKOFFICE, "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ),
        )
    assert done.returncode == 2, done
    assert "http://" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "--port" in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr


def test_a_reconstruction_reports_itself_as_json(
    order_id: uuid.UUID,  # noqa: F811 - the fixture: staff, a client, an instrument, an order
    settings: Settings,
    tmp_path: Path,
) -> None:
    out = tmp_path / "pkg"
    result = invoke(
        "reconstruct",
        *("--order", str(order_id), "--out", str(out), "--no-pdf", "--json"),
        *("--requested-by", "王五", "--reason", "检查"),
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["orders"] == 1 and "manifest.json" not in found["files"]
    assert found["chain_head"] == json.loads((out / "manifest.json").read_text())["chain_head"]
