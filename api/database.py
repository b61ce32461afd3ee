"""Where PostgreSQL is: ``DATABASE_URL`` when set, else an embedded server from ``pgserver``.

The embedded server is kept behind this module alone (pgserver is unmaintained since 2024), so
replacing it touches nothing else.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's POSTGRES_* settings for this database."""
        p = self.params()
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(p.get("dbname", "postgres")),
            "POSTGRES_HOST": str(p.get("host", "localhost")),
            "POSTGRES_PORT": str(p.get("port", "5432")),
            "POSTGRES_USER": str(p.get("user", os.environ.get("USER", "postgres"))),
            "POSTGRES_PASSWORD": str(p.get("password", "")),
        }

    def describe(self) -> str:
        """The URL without its password, for logs and messages."""
        p = self.params()
        if "password" in p:
            p["password"] = "***"
        return make_conninfo(**p)


def embedded(home: Path, *, keep: bool = True) -> Database:
    """Start (or reuse) the embedded PostgreSQL whose data lives in ``home/pgdata``; unless
    ``keep``, the server is stopped and its data deleted when this process exits."""
    datadir = (home / "pgdata").resolve()
    datadir.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # pgserver's platformdirs warns about XDG_RUNTIME_DIR on servers; it does not matter.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: only the embedded default needs it

        server = pgserver.get_server(  # type: ignore[attr-defined]
            datadir, cleanup_mode=None if keep else "delete"
        )
    database = Database(server.get_uri()).with_dbname(EMBEDDED_DBNAME)
    ensure_database(database)
    return database


def ensure_database(database: Database) -> None:
    """Create the database if it does not exist yet (on a server where we may)."""
    name = database.params()["dbname"]
    with database.with_dbname("postgres").connect() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def resolve(database_url: str | None, home: Path) -> Database:
    """``DATABASE_URL`` when given, else the embedded server."""
    if database_url:
        return Database(database_url)
    return embedded(home)
