"""Least privilege: migrations run as an owner role, the service as a role that may only read
and append the record (events, idempotency rows, signatures, checkpoints) and that owns its
read models. ``backoffice migrate`` creates the roles where it may (the embedded server, or
any server when the migration URL is a superuser's) and applies ownership and grants after
every migration; ``backoffice doctor`` reports a service role that can do more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from api.database import Database, DatabaseNotFound, embedded, has_cluster
from api.settings import Settings, default_home

SERVICE_ROLE = "backoffice_service"
OWNER_ROLE = "backoffice_owner"

#: The record: the service may SELECT and INSERT these, and nothing else.
RECORD_TABLES = (
    "backoffice_events",
    "backoffice_commands",
    "backoffice_event_signatures",
    "backoffice_checkpoints",
    # Which read models stopped and who resumed them: appended, never rewritten.
    "projection_incidents",
)
#: Caches of the record (snapshots): SELECT, INSERT and DELETE (an erasure request discards a
#: client's), never UPDATE; rows are signed, so one the service did not write is ignored.
CACHE_TABLES = ("backoffice_snapshots",)
EVENTS_SEQUENCE = "backoffice_events_notification_id_seq"
#: Sequences the service draws from when it appends to the record.
RECORD_SEQUENCES = (EVENTS_SEQUENCE, "projection_incidents_id_seq")

#: Triggers that must exist and fire on the record, by table.
GUARDS: dict[str, tuple[str, ...]] = {
    "backoffice_events": (
        "backoffice_events_chain",
        "backoffice_events_no_update_delete",
        "backoffice_events_no_truncate",
    ),
    "backoffice_commands": (
        "backoffice_commands_no_update_delete",
        "backoffice_commands_no_truncate",
    ),
    "backoffice_event_signatures": (
        "backoffice_event_signatures_no_update_delete",
        "backoffice_event_signatures_no_truncate",
    ),
    "backoffice_checkpoints": (
        "backoffice_checkpoints_no_update_delete",
        "backoffice_checkpoints_no_truncate",
    ),
}

_FORBIDDEN = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")


@dataclass(frozen=True)
class Connections:
    """Who connects for what: the service, and migrations (and restores)."""

    service: Database
    admin: Database

    @property
    def service_role(self) -> str | None:
        """The service's own role, or None when both URLs log in as the same role."""
        user = self.service.user
        return None if user == self.admin.user else user


def connections(settings: Settings, *, create: bool = True) -> Connections:
    """``DATABASE_URL`` for the service and ``MIGRATION_DATABASE_URL`` (default: the same) for
    migrations; unset, the embedded server, migrated as its superuser and served as
    ``backoffice_service`` (created in BACKOFFICE_HOME only if ``create``, and never while
    another home holds the data)."""
    if settings.database_url:
        service = Database(settings.database_url)
        admin = Database(settings.migration_database_url or settings.database_url)
        return Connections(service, admin)
    refuse_second_home(settings.backoffice_home)
    admin = embedded(
        settings.backoffice_home,
        when_done="keep" if settings.keep_database else "stop",
        create=create,
    )
    with admin.connect() as conn:
        ensure_roles(conn, SERVICE_ROLE)
    return Connections(service_database(admin), admin)


def refuse_second_home(home: Path) -> None:
    """Refuse to start an empty embedded server in ``home`` while another home holds one:
    ``./.backoffice`` (the default before the per-user data directory) or the default home."""
    if has_cluster(home):
        return
    for other in (Path.cwd() / ".backoffice", default_home()):
        if other.resolve() != home.resolve() and has_cluster(other):
            raise DatabaseNotFound(
                f"no database in {home.resolve()}, but {other.resolve()} holds one: set "
                f"BACKOFFICE_HOME={other.resolve()} (or move that directory to {home.resolve()})"
            )


def service_database(database: Database, role: str = SERVICE_ROLE) -> Database:
    """The same database as the service's role (for a server that lets it in by trust)."""
    return database.with_user(role)


def _one(conn: psycopg.Connection[Any], query: str, *params: Any) -> Any:
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def _may_create_roles(conn: psycopg.Connection[Any]) -> bool:
    return bool(
        _one(conn, "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    )


def current(conn: psycopg.Connection[Any]) -> str:
    """The connection's current role."""
    return str(_one(conn, "SELECT current_user"))


def _is_superuser(conn: psycopg.Connection[Any]) -> bool:
    return bool(_one(conn, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))


def role_exists(conn: psycopg.Connection[Any], role: str) -> bool:
    """True when the cluster has a role of that name."""
    return _one(conn, "SELECT 1 FROM pg_roles WHERE rolname = %s", role) is not None


def _create_role(conn: psycopg.Connection[Any], role: str, login: bool) -> None:
    if role_exists(conn, role):
        return
    try:
        conn.execute(
            sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(
                sql.Identifier(role)
            )
        )
    except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
        pass  # roles are cluster-wide: another database's migration created it first


def ensure_roles(conn: psycopg.Connection[Any], service_role: str) -> bool:
    """Create the owner and service roles if missing and if we may; True when both exist."""
    if _may_create_roles(conn):
        _create_role(conn, OWNER_ROLE, login=False)
        _create_role(conn, service_role, login=True)
        # The owner may then alter the read-model tables the service owns (later migrations).
        if not _one(conn, "SELECT pg_has_role(%s, %s, 'MEMBER')", OWNER_ROLE, service_role):
            conn.execute(
                sql.SQL("GRANT {} TO {}").format(
                    sql.Identifier(service_role), sql.Identifier(OWNER_ROLE)
                )
            )
    return role_exists(conn, OWNER_ROLE) and role_exists(conn, service_role)


def _public_objects(conn: psycopg.Connection[Any]) -> list[tuple[str, str, str]]:
    """(kind, name, owner) of tables, standalone sequences, composite types and functions."""
    rows = conn.execute(
        "SELECT CASE c.relkind WHEN 'c' THEN 'TYPE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,"
        " quote_ident(c.relname), pg_get_userbyid(c.relowner)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'c', 'S')"
        " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
        "   AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))"
        " UNION ALL"
        " SELECT 'FUNCTION', p.oid::regprocedure::text, pg_get_userbyid(p.proowner)"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_depend d"
        "   WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
    ).fetchall()
    return [(str(k), str(n), str(o)) for k, n, o in rows]


def _is_read_model(kind: str, name: str) -> bool:
    bare = name.strip('"')
    return (
        kind == "TABLE"
        and bare not in RECORD_TABLES
        and bare not in CACHE_TABLES
        and not bare.startswith("_yoyo")
        and bare != "yoyo_lock"
    )


def _set_owner(conn: psycopg.Connection[Any], kind: str, name: str, role: str) -> None:
    # Names come from the catalogue already quoted (quote_ident / regprocedure).
    conn.execute(
        sql.SQL("ALTER " + kind + " " + name + " OWNER TO {}").format(sql.Identifier(role))
    )


def take_ownership(conn: psycopg.Connection[Any], service_role: str) -> None:
    """As a superuser: give the owner role every object it does not own yet, except the read
    models the service already owns (a database migrated before the roles existed belongs to
    whoever ran its migrations)."""
    for kind, name, owner in _public_objects(conn):
        if owner == OWNER_ROLE or (owner == service_role and _is_read_model(kind, name)):
            continue
        _set_owner(conn, kind, name, OWNER_ROLE)


def migration_role(conn: psycopg.Connection[Any], service_role: str | None) -> str | None:
    """The role migrations should run as on this connection: the owner role when we are a
    superuser and the roles exist (creating them if needed), else None (as we are)."""
    if service_role is None or not _is_superuser(conn):
        return None
    if not ensure_roles(conn, service_role):
        return None
    # Since PostgreSQL 15 only the database owner may create in schema public by default.
    conn.execute(
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(sql.Identifier(OWNER_ROLE))
    )
    take_ownership(conn, service_role)
    return OWNER_ROLE


def apply_grants(conn: psycopg.Connection[Any], service_role: str) -> None:
    """The service reads and appends the record and owns the read models; nothing more."""
    service = sql.Identifier(service_role)
    dbname = sql.Identifier(str(_one(conn, "SELECT current_database()")))
    conn.execute(sql.SQL("GRANT CONNECT, CREATE ON DATABASE {} TO {}").format(dbname, service))
    conn.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(service))
    for table in RECORD_TABLES:
        name = sql.Identifier(table)
        conn.execute(sql.SQL("REVOKE ALL ON TABLE {} FROM PUBLIC, {}").format(name, service))
        conn.execute(sql.SQL("GRANT SELECT, INSERT ON TABLE {} TO {}").format(name, service))
    for table in CACHE_TABLES:
        name = sql.Identifier(table)
        if _one(conn, "SELECT to_regclass(%s) IS NOT NULL", table):
            conn.execute(sql.SQL("REVOKE ALL ON TABLE {} FROM PUBLIC, {}").format(name, service))
            conn.execute(
                sql.SQL("GRANT SELECT, INSERT, DELETE ON TABLE {} TO {}").format(name, service)
            )
    for sequence in RECORD_SEQUENCES:
        conn.execute(
            sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(sql.Identifier(sequence), service)
        )
    conn.execute("REVOKE ALL ON FUNCTION backoffice_lock_events() FROM PUBLIC")
    conn.execute(
        sql.SQL("GRANT EXECUTE ON FUNCTION backoffice_lock_events() TO {}").format(service)
    )
    for kind, object_name, owner in _public_objects(conn):
        if _is_read_model(kind, object_name) and owner != service_role:
            _set_owner(conn, kind, object_name, service_role)


def grant_database(database: Database, service_role: str = SERVICE_ROLE) -> None:
    """Database-level grants, which a database cloned from a template does not inherit."""
    with database.connect() as conn:
        dbname = sql.Identifier(str(_one(conn, "SELECT current_database()")))
        conn.execute(
            sql.SQL("GRANT CONNECT, CREATE ON DATABASE {} TO {}").format(
                dbname, sql.Identifier(service_role)
            )
        )


# -- what `doctor` reports ------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, whether it holds, and the detail."""

    name: str
    ok: bool
    detail: str = ""


def guard_problems(conn: psycopg.Connection[Any]) -> list[str]:
    """Protective triggers of the record that are missing or do not fire."""
    rows = conn.execute(
        "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t"
        " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND NOT t.tgisinternal AND c.relname = ANY(%s)",
        (list(GUARDS),),
    ).fetchall()
    state = {(str(r[0]), str(r[1])): str(r[2]) for r in rows}
    problems = []
    for table, triggers in GUARDS.items():
        for trigger in triggers:
            enabled = state.get((table, trigger))
            if enabled is None:
                problems.append(f"trigger {trigger} on {table} is missing")
            elif enabled not in ("O", "A"):
                problems.append(f"trigger {trigger} on {table} is disabled")
    return problems


def inspect_service_role(service: Database) -> list[Check]:
    """What the service's role may do to the record, as findings (``ok`` False: too much)."""
    with service.connect() as conn:
        role = current(conn)
        attrs = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolbypassrls, rolreplication"
            " FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        superuser, createrole, bypassrls, replication = attrs or (False, False, False, False)
        checks = [
            Check(f"role {role} is not a superuser", not superuser),
            Check(
                "no CREATEROLE, BYPASSRLS or REPLICATION",
                not (createrole or bypassrls or replication),
            ),
        ]
        owns, extra, missing = [], [], []
        for table in RECORD_TABLES:
            if not _one(conn, "SELECT to_regclass(%s) IS NOT NULL", table):
                missing.append(table)
                continue
            if _one(
                conn,
                "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c"
                " WHERE c.oid = %s::regclass",
                table,
            ):
                owns.append(table)
            for privilege in _FORBIDDEN:
                if _one(conn, "SELECT has_table_privilege(%s, %s)", table, privilege):
                    extra.append(f"{privilege} on {table}")
            for privilege in ("SELECT", "INSERT"):
                if not _one(conn, "SELECT has_table_privilege(%s, %s)", table, privilege):
                    missing.append(f"{privilege} on {table}")
        checks.append(
            Check("owns no record table (nor is a member of its owner)", not owns, ", ".join(owns))
        )
        checks.append(Check("no UPDATE, DELETE, TRUNCATE, TRIGGER", not extra, ", ".join(extra)))
        checks.append(Check("may SELECT and INSERT the record", not missing, ", ".join(missing)))
        may_replica = bool(superuser)
        if int(_one(conn, "SHOW server_version_num")) >= 150000:
            may_replica = may_replica or bool(
                _one(conn, "SELECT has_parameter_privilege('session_replication_role', 'SET')")
            )
        checks.append(Check("may not set session_replication_role", not may_replica))
        guards = guard_problems(conn)
        checks.append(
            Check("protective triggers present and enabled", not guards, "; ".join(guards))
        )
    return checks
