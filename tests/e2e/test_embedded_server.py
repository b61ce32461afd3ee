"""The embedded PostgreSQL (no DATABASE_URL), through the ``backoffice`` command as a person
runs it: one home from any working directory, never a second empty database, and no server
left running by a command or by the test suite unless asked (issue 15)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from api.database import embedded_status, has_cluster, stop_embedded

BACKOFFICE = str(Path(sys.executable).parent / "backoffice")
ROOT = Path(__file__).resolve().parents[2]
UNSET = ("DATABASE_URL", "MIGRATION_DATABASE_URL", "BACKOFFICE_HOME", "KEEP_DATABASE")


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A directory of our own (not pytest's, whose permissions concurrent runs reset: the
    server runs as another user when the tests run as root)."""
    path = Path(tempfile.mkdtemp(prefix="backoffice-test-home-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    """This process's environment without a database, with the per-user data directory
    (where the home defaults to) inside ``tmp``."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env["XDG_DATA_HOME"] = str(tmp / "xdg")
    env.update(extra)
    return env


def _backoffice(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [BACKOFFICE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_one_home_from_any_directory_and_no_server_outlives_its_last_command(
    scratch: Path,
) -> None:
    tmp_path = scratch
    env = _env(tmp_path)
    home = tmp_path / "xdg" / "backoffice"
    try:
        done = _backoffice(tmp_path / "a", env, "migrate")
        assert done.returncode == 0, done.stderr
        assert has_cluster(home) and not (tmp_path / "a" / ".backoffice").exists()
        assert not embedded_status(home).running  # stopped when the command ended

        # From another directory: the same data, not a second empty database.
        elsewhere = tmp_path / "b"
        added = _backoffice(elsewhere, env, "staff", "add", "李娜", "--role", "trader",
                            "--branch", "SH01")  # fmt: skip
        assert added.returncode == 0, added.stderr
        listed = _backoffice(elsewhere, env, "staff", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [m["name"] for m in json.loads(listed.stdout)] == ["李娜"]
        assert not embedded_status(home).running

        # Asked to stay, it stays; `database stop` stops it.
        kept = _backoffice(elsewhere, {**env, "KEEP_DATABASE": "1"}, "staff", "list")
        assert kept.returncode == 0, kept.stderr
        assert embedded_status(home).running
        status = _backoffice(elsewhere, env, "database", "status", "--json")
        assert status.returncode == 0 and json.loads(status.stdout)["running"] is True
        assert _backoffice(elsewhere, env, "database", "stop").returncode == 0
        assert not embedded_status(home).running
        assert _backoffice(elsewhere, env, "database", "status").returncode == 1

        # A process killed while using it (no exit handler runs) does not keep it up: the
        # next command forgets it, and stops the server when it ends.
        worker = subprocess.Popen(
            [BACKOFFICE, "project"], cwd=elsewhere, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            # Killed once it is following the store, so that it is a user of the server.
            assert worker.stderr is not None
            for line in worker.stderr:
                if "following the event store" in line:
                    break
            assert worker.pid in embedded_status(home).users
        finally:
            worker.kill()
            worker.wait()
        assert embedded_status(home).running  # nobody stopped it
        listed = _backoffice(elsewhere, env, "staff", "list")
        assert listed.returncode == 0, listed.stderr
        assert not embedded_status(home).running

        # A home with no database while another holds one (here ./.backoffice, the old
        # default): refused in a line naming the setting, and nothing is created.
        legacy = tmp_path / "c"
        legacy.mkdir()
        (legacy / ".backoffice").symlink_to(home)
        empty = tmp_path / "empty"
        refused = _backoffice(legacy, {**env, "BACKOFFICE_HOME": str(empty)}, "staff", "list")
        assert refused.returncode == 2, refused
        assert f"BACKOFFICE_HOME={home.resolve()}" in refused.stderr
        assert "Traceback" not in refused.stderr and len(refused.stderr.splitlines()) <= 2
        assert not (empty / "pgdata").exists()

        # No data anywhere: a command that reads is refused, it does not start a server.
        alone = _env(tmp_path / "alone", BACKOFFICE_HOME=str(empty))
        refused = _backoffice(tmp_path / "d", alone, "verify")
        assert refused.returncode == 2, refused
        assert "no database in" in refused.stderr and "backoffice migrate" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert not (empty / "pgdata").exists()
    finally:
        stop_embedded(home)


def test_the_test_suite_leaves_no_embedded_server_running(scratch: Path) -> None:
    env = _env(scratch / "xdg", TMPDIR=str(scratch))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/integration/test_migrations.py::"
         "test_migrating_twice_applies_nothing_the_second_time"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    left = [
        p
        for p in psutil.process_iter(attrs=["pid", "cmdline"])
        if any(str(scratch) in part for part in p.info["cmdline"] or ())
    ]
    for process in left:  # a server left running: the test fails, but leaves none behind
        process.send_signal(signal.SIGINT)
    assert [p.pid for p in left] == []
    assert not list(scratch.glob("backoffice-test-pg-*"))  # its data directory is gone too
