"""The record's integrity through the ``backoffice`` command: verify, digest --sign, doctor,
keys, signed reconstruction packages, and the backup/restore drill."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql
from typer.testing import CliRunner

from api.cli import cli
from api.database import Database
from api.runtime import Runtime
from api.settings import Settings, get_settings
from projections.registry import all_models
from tests.e2e.test_reconstruction import order_id  # noqa: F401 - a fixture
from tests.integration.test_signatures import seed

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def read_models(database: Database) -> dict[str, list[Any]]:
    tables = sorted({t for m in all_models() for t in m.tables} | {"projection_tracking"})
    with database.connect() as conn:
        return {
            t: sorted(
                (
                    tuple(r)
                    for r in conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(t)))
                ),
                key=repr,
            )
            for t in tables
        }


def test_the_restore_drill_backup_drop_restore_verify(
    order_id: uuid.UUID,  # noqa: F811 - the fixture: staff, a client, an instrument, an order
    runtime: Runtime,
    settings: Settings,
    server: Database,
    database: Database,
    tmp_path: Path,
) -> None:
    code, before = invoke("digest", "--sign")
    assert code == 0, before
    seed(runtime)  # and more after the checkpoint
    runtime.runner.sync(runtime.runner.head())
    original = read_models(database)
    code, output = invoke("backup", "--out", str(tmp_path / "backup"))
    assert code == 0, output
    assert re.search(r"\d+ event\(s\) backed up", output)
    runtime.close()
    name = sql.Identifier(database.params()["dbname"])
    with server.connect() as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    code, output = invoke("restore", str(tmp_path / "backup"))
    assert code == 0, output
    assert "read models rebuilt" in output
    code, output = invoke("verify")
    assert code == 0, output
    proven = re.search(r"checkpoints: (\d+) proven", output)
    assert proven and int(proven.group(1)) >= 2  # the one taken before, and the backup's head
    assert before.split(":")[0] in {
        c.split("-")[0].lstrip("0") for c in _checkpoint_files(settings)
    }
    assert read_models(database) == original


def _checkpoint_files(settings: Settings) -> list[str]:
    return [p.name for p in settings.checkpoint_directory.glob("*/*.json")]


def test_verify_names_a_forged_append_and_the_doctor_passes_the_service_role(
    settings: Settings, runtime: Runtime, database: Database
) -> None:
    seed(runtime)
    assert invoke("digest", "--sign")[0] == 0
    code, output = invoke("doctor")
    assert code == 0, output
    code, output = invoke("verify")
    assert code == 0 and "signatures: 3 valid, by 1 trusted key(s)" in output
    with database.connect() as conn:
        conn.execute(
            "INSERT INTO backoffice_events (originator_id, originator_version, topic, state)"
            " SELECT originator_id, 9, topic, state FROM backoffice_events"
            " WHERE notification_id = 3"
        )
    code, output = invoke("verify")
    assert code == 1
    assert "record broken at notification id 4: event is not signed" in output


def test_the_doctor_reports_a_service_that_connects_as_a_superuser(
    settings: Settings, runtime: Runtime, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.delenv("MIGRATION_DATABASE_URL")
    get_settings.cache_clear()
    code, output = invoke("doctor")
    assert code == 1
    assert "✗" in output and "is not a superuser" in output


def test_keys_rotate_export_and_list(settings: Settings, runtime: Runtime, tmp_path: Path) -> None:
    first = runtime.keys.current_id()
    code, output = invoke("keys", "rotate")
    assert code == 0, output
    second = _key_id(output)
    assert second and second != first
    code, output = invoke("keys", "export", "--out", str(tmp_path / "keys.json"))
    assert code == 0, output
    exported = json.loads((tmp_path / "keys.json").read_text())
    assert [k["key_id"] for k in exported["keys"]] == [first, second]
    code, output = invoke("keys", "list")
    assert code == 0 and "current" in output
    seed(runtime)
    code, output = invoke("verify", "--keys", str(tmp_path / "keys.json"))
    assert code == 0, output


def _key_id(text: str) -> str | None:
    found = re.search(r"ed25519:[0-9a-f]{16}", text)
    return found.group(0) if found else None


def test_a_package_is_proven_offline_against_its_signature(
    order_id: uuid.UUID,  # noqa: F811
    settings: Settings,
    tmp_path: Path,
) -> None:
    assert invoke("digest", "--sign")[0] == 0
    assert invoke("keys", "export", "--out", str(tmp_path / "keys.json"))[0] == 0
    out = tmp_path / "pkg"
    code, output = invoke(
        "reconstruct",
        *("--order", str(order_id), "--out", str(out)),
        *("--requested-by", "王五", "--reason", "检查"),
    )
    assert code == 0, output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["checkpoint"]["notification_id"] > 0
    assert (
        manifest["signing_key"]["key_id"]
        == json.loads((out / "signature.json").read_text())["key_id"]
    )
    code, output = invoke(
        "verify-package", str(out), "--offline", "--keys", str(tmp_path / "keys.json")
    )
    assert code == 0, output
    assert "signed checkpoint" in output
    # Rewriting a file and its SHA-256 in the manifest no longer passes: the signature fails.
    package = out / "package.json"
    package.write_text(package.read_text().replace("600519.SH", "600000.SH"))
    manifest["files"]["package.json"] = hashlib.sha256(package.read_bytes()).hexdigest()
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
    )
    code, output = invoke(
        "verify-package", str(out), "--offline", "--keys", str(tmp_path / "keys.json")
    )
    assert code == 1 and "the manifest's signature does not match it" in output


def test_migrate_connects_as_the_migration_role_not_the_services(settings: Settings) -> None:
    code, output = invoke("migrate")
    assert code == 0, output
    assert "0 migration(s) applied" in output and "backoffice_service" not in output
