"""Apply ``migrations/`` with yoyo, serialised by a PostgreSQL advisory lock, as the owner
role; then apply the service role's grants (``api.roles``)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from psycopg.conninfo import conninfo_to_dict
from yoyo import get_backend, read_migrations
from yoyo.migrations import MigrationList

from api import roles
from api.database import Database
from migrations import DIRECTORY

# Any constant will do; it only has to be the same in every process that migrates.
MIGRATION_LOCK = 0x0B0FF1CE


def _yoyo_url(database: Database) -> str:
    p = conninfo_to_dict(database.url)
    # yoyo takes a URL; libpq keywords it does not model go in the query string.
    query = "&".join(
        f"{k}={quote(str(v), safe='/')}"
        for k, v in p.items()
        if k not in ("user", "password", "dbname")
    )
    user = quote(str(p.get("user") or ""), safe="")
    password = f":{quote(str(p['password']), safe='')}" if p.get("password") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgresql+psycopg://{auth}/{p.get('dbname', '')}" + (f"?{query}" if query else "")


def _migrations() -> MigrationList:
    # The folder is also a Python package (so it installs); only its .sql files migrate.
    found = read_migrations(str(DIRECTORY))
    return MigrationList([m for m in found if m.path.endswith(".sql")])


def pending(database: Database) -> list[str]:
    """Ids of the migrations not yet applied."""
    backend = get_backend(_yoyo_url(database))
    try:
        return [m.id for m in backend.to_apply(_migrations())]
    finally:
        backend.connection.close()


def migrate(
    database: Database,
    report: Callable[[str], None] = lambda _: None,
    *,
    service_role: str | None = roles.SERVICE_ROLE,
) -> list[str]:
    """Apply every pending migration; safe to run from several processes at once.

    With a ``service_role`` (None: the service logs in as this same role, so there is nothing
    to separate), a superuser migrates as the owner role, creating the roles if needed; then
    the service role is granted what it needs and no more.
    """
    with database.connect() as lock_conn:
        lock_conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            owner = roles.migration_role(lock_conn, service_role)
            target = database.as_role(owner) if owner else database
            backend = get_backend(_yoyo_url(target))
            try:
                migrations = _migrations()
                # Under our advisory lock no other migration of ours is running, so a row
                # in yoyo's own lock table is one a killed migration left behind: without
                # this, every later migration would wait for it and fail ("yoyo break-lock").
                backend.break_lock()
                with backend.lock():
                    todo = backend.to_apply(migrations)
                    for migration in todo:
                        report(migration.id)
                    backend.apply_migrations(todo)
            finally:
                backend.connection.close()
            if service_role is not None and roles.role_exists(lock_conn, service_role):
                roles.apply_grants(lock_conn, service_role)
            return [m.id for m in todo]
        finally:
            lock_conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
