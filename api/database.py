"""Where PostgreSQL is: ``DATABASE_URL`` when set, else an embedded server from ``pgserver``.

The embedded server is kept behind this module alone (pgserver is unmaintained since 2024), so
replacing it touches nothing else.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

EMBEDDED_DBNAME = "backoffice"


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database, by its libpq connection string."""

    url: str

    def params(self) -> dict[str, Any]:
        """libpq parameters (host may be a socket directory)."""
        return conninfo_to_dict(self.url)

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        """A new connection (autocommit unless asked otherwise)."""
        kwargs.setdefault("autocommit", True)
        return psycopg.connect(self.url, **kwargs)

    def with_dbname(self, dbname: str) -> Database:
        """The database of that name on the same server."""
        params = self.params()
        params["dbname"] = dbname
        return Database(make_conninfo(**params))

    def with_user(self, user: str) -> Database:
        """The same database as another role (its password, if any, is not carried over)."""
        params = self.params()
        params["user"] = user
        params.pop("password", None)
        params.pop("options", None)
        return Database(make_conninfo(**params))

    def as_role(self, role: str) -> Database:
        """This connection, acting as ``role`` from the start (``SET ROLE`` at connect)."""
        params = self.params()
        params["options"] = f"-c role={role}"
        return Database(make_conninfo(**params))

    @property
    def user(self) -> str:
        """The role this URL logs in as."""
        return str(self.params().get("user") or os.environ.get("PGUSER") or _os_user())

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's POSTGRES_* settings for this database."""
        p = self.params()
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(p.get("dbname", "postgres")),
            "POSTGRES_HOST": str(p.get("host", "localhost")),
            "POSTGRES_PORT": str(p.get("port", "5432")),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": str(p.get("password", "")),
        }

    def analyze(self) -> None:
        """Gather the planner's statistics for every table this role may (run after a bulk
        load: a store of a million events with none plans a key lookup as a parallel scan,
        ~30 ms instead of ~0.1, until autovacuum gets to it, and never where it is off)."""
        with self.connect() as conn:
            conn.execute("ANALYZE")

    def describe(self) -> str:
        """The URL without its password, for logs and messages."""
        p = self.params()
        if "password" in p:
            p["password"] = "***"
        return make_conninfo(**p)


def _os_user() -> str:
    return os.environ.get("USER", "postgres")


class DatabaseNotFound(Exception):
    """No database where the configuration points, and this command may not create one; the
    message says where the data is and which setting to change."""


#: What happens to an embedded server when the last process using it exits.
WhenDone = Literal["stop", "keep", "delete"]


def _pgserver() -> Any:
    with warnings.catch_warnings():
        # pgserver's platformdirs warns about XDG_RUNTIME_DIR on servers; it does not matter.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: only the embedded default needs it

        return pgserver


def has_cluster(home: Path) -> bool:
    """True when ``home`` holds an embedded server's data directory."""
    return (home / "pgdata" / "PG_VERSION").exists()


def _handles(datadir: Path) -> Path:
    return datadir / ".handle_pids.json"


def _live_handles(datadir: Path) -> list[int]:
    """The processes that started or reused this server and are still alive."""
    try:
        pids = [int(p) for p in json.loads(_handles(datadir).read_text())]
    except (OSError, ValueError, TypeError):
        return []
    return [p for p in pids if _alive(p)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _forget_dead_handles(datadir: Path) -> None:
    """Drop the processes that died without saying so (killed, not exited) from pgserver's
    list, so that the last live process to exit still stops the server."""
    path = _handles(datadir)
    if path.exists():
        path.write_text(json.dumps(_live_handles(datadir)))


def embedded(home: Path, *, when_done: WhenDone = "stop", create: bool = True) -> Database:
    """Start (or reuse) the embedded PostgreSQL whose data lives in ``home/pgdata``.

    When the last process using it exits, the server is stopped (``"stop"``), left running
    (``"keep"``: KEEP_DATABASE) or stopped and its data deleted (``"delete"``: the tests).
    Unless ``create``, a home without a server is refused rather than initialised.
    """
    datadir = (home / "pgdata").resolve()
    if not create and not has_cluster(home):
        raise DatabaseNotFound(
            f"no database in {home.resolve()} yet: run `backoffice migrate` (or `serve`) to "
            "create it there, or set BACKOFFICE_HOME (or DATABASE_URL) to where your data is"
        )
    datadir.parent.mkdir(parents=True, exist_ok=True)
    pgserver = _pgserver()
    if datadir.exists():
        with pgserver.PostgresServer._lock:
            _forget_dead_handles(datadir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(
            datadir, cleanup_mode={"stop": "stop", "keep": None, "delete": "delete"}[when_done]
        )
    database = Database(server.get_uri()).with_dbname(EMBEDDED_DBNAME)
    ensure_database(database)
    return database


@dataclass(frozen=True)
class EmbeddedStatus:
    """What ``backoffice database status`` reports about the embedded server."""

    datadir: Path
    initialised: bool
    pid: int | None
    socket_dir: Path | None
    #: Live processes that use it (the last of them to exit stops it, unless KEEP_DATABASE).
    users: tuple[int, ...]

    @property
    def running(self) -> bool:
        """True while a postmaster serves this data directory."""
        return self.pid is not None


def embedded_status(home: Path) -> EmbeddedStatus:
    """Whether the embedded server of ``home`` exists and runs, without starting it."""
    datadir = (home / "pgdata").resolve()
    pid: int | None = None
    socket_dir: Path | None = None
    try:
        lines = (datadir / "postmaster.pid").read_text().splitlines()
        if lines and _alive(int(lines[0])):
            pid = int(lines[0])
            socket_dir = Path(lines[4]) if len(lines) > 4 and lines[4] else None
    except (OSError, ValueError):
        pass
    return EmbeddedStatus(
        datadir, has_cluster(home), pid, socket_dir, tuple(_live_handles(datadir))
    )


def stop_embedded(home: Path) -> bool:
    """Stop the embedded server of ``home`` now (fast: open connections are cut); False when
    it was not running."""
    status = embedded_status(home)
    if not status.running:
        return False
    pgserver = _pgserver()
    pg_ctl = pgserver._commands.pg_ctl
    user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    with pgserver.PostgresServer._lock:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=status.datadir, user=user, timeout=60)
        if _handles(status.datadir).exists():
            _handles(status.datadir).write_text("[]")
    return True


def ensure_database(database: Database) -> None:
    """Create the database if it does not exist yet (on a server where we may)."""
    name = database.params()["dbname"]
    with database.with_dbname("postgres").connect() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def resolve(database_url: str | None, home: Path, when_done: WhenDone = "stop") -> Database:
    """``DATABASE_URL`` when given, else the embedded server."""
    if database_url:
        return Database(database_url)
    return embedded(home, when_done=when_done)
