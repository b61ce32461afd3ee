"""The ``backoffice`` command end to end against real PostgreSQL."""

from __future__ import annotations

import re
from datetime import date

from eventsourcing.utils import get_topic
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import cli
from api.database import Database
from api.runtime import Runtime
from api.settings import Settings, get_settings
from domain.access import Role
from domain.clients.identity import parse_document
from domain.retention import RetentionPolicy
from domain.staff import RegisterStaff
from tests.conftest import run

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def test_migrate_reports_nothing_to_apply_on_a_migrated_database(settings: Settings) -> None:
    code, output = invoke("migrate")
    assert code == 0
    assert "0 migration(s) applied" in output


def test_staff_add_prints_a_token_that_authenticates_me(
    settings: Settings, runtime: Runtime
) -> None:
    code, output = invoke("staff", "add", "周强", "--role", "branch_manager", "--branch", "bj02")
    assert code == 0, output
    token = re.search(r"bo_[A-Za-z0-9_-]{20,}", output)
    assert token
    with TestClient(create_app(runtime)) as client:
        response = client.post(
            "/graphql",
            json={"query": "{ me { name branch roles } }"},
            headers={"Authorization": f"Bearer {token.group(0)}"},
        )
        assert response.json()["data"]["me"] == {
            "name": "周强",
            "branch": "BJ02",
            "roles": ["BRANCH_MANAGER"],
        }
        assert client.post("/graphql", json={"query": "{ me { name } }"}).status_code == 401
    with Database(settings.database_url or "").connect() as conn:
        stored = conn.execute("SELECT count(*) FROM staff_tokens").fetchone()
        plain = conn.execute(
            "SELECT count(*) FROM backoffice_events"
            " WHERE position(%s in encode(state, 'escape')) > 0",
            (token.group(0),),
        ).fetchone()
    assert stored == (1,) and plain == (0,)


def test_staff_list_shows_ids_names_and_roles(settings: Settings, runtime: Runtime) -> None:
    code, output = invoke("staff", "add", "吴磊", "--role", "trader", "--branch", "BJ02")
    assert code == 0, output
    code, output = invoke("staff", "list", "--branch", "bj02")
    assert code == 0
    assert "吴磊" in output and "trader" in output
    assert re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", output)


def test_staff_add_with_an_unknown_role_fails_with_a_clear_message(settings: Settings) -> None:
    code, output = invoke("staff", "add", "X", "--role", "pilot", "--branch", "SH01")
    assert code == 2
    assert "'pilot' is not one of" in output and "branch_manager" in output


def test_verify_passes_then_names_the_byte_changed_behind_its_back(
    settings: Settings, runtime: Runtime, database: Database
) -> None:
    import uuid

    for i in range(3):
        run(
            runtime,
            RegisterStaff(staff_id=uuid.uuid4(), name=f"S{i}", branch="SH01", roles=[Role.RISK]),
        )
    code, output = invoke("verify")
    assert code == 0, output
    assert "intact: 4 events" in output  # 3 and the signing key's publication
    with database.connect() as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "UPDATE backoffice_events SET state = set_byte(state, 5, get_byte(state, 5) # 4)"
            " WHERE notification_id = 2"
        )
    code, output = invoke("verify")
    assert code == 1
    assert "broken at notification id 2" in output


def test_a_digest_printed_earlier_is_proven_by_verify(settings: Settings, runtime: Runtime) -> None:
    import uuid

    run(runtime, RegisterStaff(staff_id=uuid.uuid4(), name="S", branch="SH01", roles=[Role.RISK]))
    code, digest = invoke("digest")
    assert code == 0 and re.fullmatch(r"2:[0-9a-f]{64}\n", digest)  # 1: the key
    code, output = invoke("verify", "--digest", digest.strip())
    assert code == 0 and "proven" in output
    code, output = invoke("verify", "--digest", "1:" + "0" * 64)
    assert code == 1
    code, output = invoke("verify", "--digest", "garbage")
    assert code == 2


def test_project_rebuild_and_status_report_positions(settings: Settings, runtime: Runtime) -> None:
    import uuid

    r = run(
        runtime, RegisterStaff(staff_id=uuid.uuid4(), name="S", branch="SH01", roles=[Role.RISK])
    )
    code, output = invoke("project", "rebuild", "staff")
    assert code == 0, output
    assert f"rebuilt up to position {r.position}" in output
    code, output = invoke("project", "status")
    assert code == 0 and "staff" in output
    code, output = invoke("project", "rebuild", "nosuch")
    assert code == 2 and "no read model named 'nosuch'" in output


def test_project_rebuild_all_rebuilds_every_read_model_together(
    settings: Settings, runtime: Runtime
) -> None:
    import uuid

    r = run(
        runtime, RegisterStaff(staff_id=uuid.uuid4(), name="S", branch="SH01", roles=[Role.RISK])
    )
    code, output = invoke("project", "rebuild", "--all")
    assert code == 0, output
    for name in runtime.runner.views:
        assert f"{name}: rebuilt up to position {r.position}" in output
    code, output = invoke("project", "rebuild")
    assert code == 2 and "--all" in output


def test_demo_seeds_once_and_prints_the_same_token_again(
    settings: Settings, database: Database
) -> None:
    code, first = invoke("demo")
    assert code == 0, first
    code, second = invoke("demo")
    token = re.compile(r"bo_[A-Za-z0-9_-]{20,}")
    assert code == 0 and token.findall(first) == token.findall(second) != []
    with database.connect() as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM clients GROUP BY 1").fetchall())
        pending = conn.execute(
            "SELECT count(*) FROM clients WHERE pending_changes <> '[]'"
        ).fetchone()
        documents = conn.execute(
            "SELECT document_type, document_number FROM clients WHERE identity_verified"
        ).fetchall()
    assert sum(statuses.values()) == 300
    with database.connect() as conn:
        orders = dict(conn.execute("SELECT status, count(*) FROM orders GROUP BY 1").fetchall())
        flags = dict(conn.execute("SELECT flag_status, count(*) FROM orders GROUP BY 1").fetchall())
    assert sum(orders.values()) == 2000
    assert {"received", "accepted", "rejected", "filled", "cancelled", "archived"} <= set(orders)
    assert {"open", "cleared", "escalated"} <= set(flags)
    assert {"prospect", "active", "frozen", "closed"} <= set(statuses)
    assert pending and pending[0] > 0
    for kind, number in documents:  # every generated number passes the real validator
        parse_document(kind, number, date.today())


def test_schema_export_matches_the_committed_schema(tmp_path: object) -> None:
    from pathlib import Path

    from api.graphql.schema import SCHEMA_FILE, sdl

    out = Path(str(tmp_path)) / "schema.graphql"
    code, _ = invoke("schema", "--output", str(out))
    assert code == 0
    assert out.read_text() == sdl()
    assert SCHEMA_FILE.read_text() == sdl(), "api/schema.graphql is stale: run `backoffice schema`"


def test_instruments_load_lists_the_sample_then_finds_nothing_to_change(
    settings: Settings, database: Database
) -> None:
    code, output = invoke("instruments", "load")
    assert code == 0, output
    assert "31 instrument(s) listed or revised" in output
    code, output = invoke("instruments", "load")
    assert code == 0 and "0 instrument(s) listed or revised, 31 unchanged" in output
    with database.connect() as conn:
        row = conn.execute("SELECT board, risk_level FROM instruments WHERE code = '300750.SZ'")
        assert row.fetchone() == ("chinext", "R4")


def test_instruments_load_reports_every_bad_line_and_loads_nothing(
    settings: Settings, database: Database, tmp_path: object
) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path)) / "bad.csv"
    bad.write_text(
        "code,name,board,risk_level,board_lot\n"
        "600519.SH,贵州茅台,main,R3,100\n"
        "60051.SH,bad code,main,R3,100\n"
        "000001.SZ,平安银行,moon,R2,100\n"
        "000002.SZ,万科A,main,R9,abc\n"
    )
    code, output = invoke("instruments", "load", str(bad))
    assert code == 2
    assert "bad.csv:3" in output and "bad.csv:4" in output and "bad.csv:5" in output
    with database.connect() as conn:
        assert conn.execute("SELECT count(*) FROM instruments").fetchone() == (0,)


def test_audit_export_writes_json_lines_for_the_filter(
    settings: Settings, runtime: Runtime, tmp_path: object
) -> None:
    import json
    import uuid
    from pathlib import Path

    for i in range(3):
        run(
            runtime,
            RegisterStaff(staff_id=uuid.uuid4(), name=f"S{i}", branch="SH01", roles=[Role.RISK]),
        )
    out = Path(str(tmp_path)) / "audit.jsonl"
    code, output = invoke("audit", "export", "--out", str(out), "--type", "Staff.Registered")
    assert code == 0, output
    assert "3 event(s) written" in output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["notification_id"] for x in lines] == [2, 3, 4]  # 1: the signing key
    assert {x["fields"]["name"] for x in lines} == {"S0", "S1", "S2"}


def test_project_compare_exits_1_naming_the_table_that_differs(
    settings: Settings, runtime: Runtime, database: Database
) -> None:
    import uuid

    r = run(
        runtime, RegisterStaff(staff_id=uuid.uuid4(), name="S", branch="SH01", roles=[Role.RISK])
    )
    runtime.runner.sync(r.position or 0)
    code, output = invoke("project", "compare", "staff")
    assert code == 0 and "matches a replay" in output
    with database.connect() as conn:
        conn.execute("UPDATE staff SET branch = 'XX01'")
    code, output = invoke("project", "compare", "staff")
    assert code == 1 and "staff: 1 row(s) only in the live model" in output


def test_retention_follows_configuration_by_recorded_events_and_holds_stop_the_clock(
    settings: Settings, runtime: Runtime, database: Database, monkeypatch: object
) -> None:
    import uuid

    sid = uuid.uuid4()
    run(runtime, RegisterStaff(staff_id=sid, name="S", branch="SH01", roles=[Role.RISK]))
    code, output = invoke("retention", "policy")
    assert code == 0 and "in force: pboc-2007" in output
    monkeypatch.setenv("RETENTION_PRESETS", "pboc-2007,cn-2025")  # type: ignore[attr-defined]
    get_settings.cache_clear()
    code, output = invoke("retention", "policy")
    assert code == 0 and "in force: cn-2025, pboc-2007" in output
    with database.connect() as conn:
        kinds = [
            r[0]
            for r in conn.execute(
                "SELECT topic FROM backoffice_events WHERE topic LIKE '%%RetentionPolicy%%'"
                " ORDER BY notification_id"
            ).fetchall()
        ]
    assert kinds == [get_topic(RetentionPolicy.Adopted), get_topic(RetentionPolicy.Changed)]
    code, output = invoke("retention", "hold", str(sid), "--reason", "")
    assert code == 2 and "a reason is required" in output
    code, output = invoke("retention", "hold", str(sid), "--reason", "investigation 2026-17")
    assert code == 0, output
    code, output = invoke("retention", "report", "--class", "staff")
    assert code == 0 and re.search(r"staff\s+│\s+1\s+│\s+1\s+│", output), output
    code, output = invoke("retention", "release", str(sid), "--reason", "case closed")
    assert code == 0
    code, output = invoke("retention", "report", "--class", "staff")
    assert re.search(r"staff\s+│\s+1\s+│\s+0\s+│", output), output
