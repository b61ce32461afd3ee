"""The service's own database role can read and append the record, and nothing else: every
rewrite a rogue operator could try with the service's credentials is refused."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from api.database import Database
from api.migrate import migrate
from api.roles import OWNER_ROLE, SERVICE_ROLE, inspect_service_role, service_database
from api.runtime import Runtime
from domain.access import Role
from domain.staff import RegisterStaff
from tests.conftest import run


def _seed(rt: Runtime) -> None:
    run(
        rt,
        RegisterStaff(staff_id=uuid.uuid4(), name="S", branch="SH01", roles=[Role.TRADER]),
        key=f"k-{uuid.uuid4()}",
    )


REFUSED = [
    "DROP TRIGGER backoffice_events_chain ON backoffice_events",
    "DROP TRIGGER backoffice_events_no_update_delete ON backoffice_events",
    "ALTER TABLE backoffice_events DISABLE TRIGGER backoffice_events_chain",
    "ALTER TABLE backoffice_events DISABLE TRIGGER ALL",
    "ALTER TABLE backoffice_commands DISABLE TRIGGER backoffice_commands_no_truncate",
    "DROP TRIGGER backoffice_commands_no_update_delete ON backoffice_commands",
    "ALTER TABLE backoffice_events ADD COLUMN note text",
    "ALTER TABLE backoffice_events OWNER TO backoffice_service",
    "ALTER TABLE backoffice_event_signatures DISABLE TRIGGER ALL",
    "TRUNCATE backoffice_events",
    "TRUNCATE backoffice_commands",
    "TRUNCATE backoffice_event_signatures",
    "TRUNCATE backoffice_checkpoints",
    "UPDATE backoffice_events SET topic = topic",
    "DELETE FROM backoffice_events",
    "UPDATE backoffice_commands SET command = 'x'",
    "DELETE FROM backoffice_commands",
    "DELETE FROM backoffice_event_signatures",
    "SET session_replication_role = replica",
    "CREATE TRIGGER t BEFORE INSERT ON backoffice_events"
    " FOR EACH ROW EXECUTE FUNCTION backoffice_events_immutable()",
    "CREATE OR REPLACE FUNCTION backoffice_events_chain() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "SELECT setval('backoffice_events_notification_id_seq', 1)",
    "DROP TABLE backoffice_events",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_service_role_may_not_rewrite_or_unguard_the_record(
    runtime: Runtime, database: Database, statement: str
) -> None:
    _seed(runtime)
    with service_database(database).connect() as conn:
        assert conn.execute("SELECT current_user").fetchone() == (SERVICE_ROLE,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_the_service_runs_as_its_own_role(runtime: Runtime) -> None:
    with runtime.app.factory.datastore.transaction(commit=False) as curs:  # type: ignore[attr-defined]
        curs.execute("SELECT current_user")
        assert curs.fetchone() == {"current_user": SERVICE_ROLE}


def test_migrations_leave_the_record_to_the_owner_and_the_read_models_to_the_service(
    database: Database,
) -> None:
    with database.connect() as conn:
        owners = dict(
            conn.execute("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'")
        )
    assert owners["backoffice_events"] == OWNER_ROLE
    assert owners["backoffice_commands"] == OWNER_ROLE
    assert owners["backoffice_event_signatures"] == OWNER_ROLE
    assert owners["staff"] == SERVICE_ROLE
    assert owners["projection_tracking"] == SERVICE_ROLE


def test_a_database_migrated_before_the_roles_existed_is_taken_over(
    empty_database: Database,
) -> None:
    migrate(empty_database, service_role=None)  # as the superuser, as before this change
    with empty_database.connect() as conn:
        before = conn.execute(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'backoffice_events'"
        ).fetchone()
    assert before != (OWNER_ROLE,)
    migrate(empty_database)
    checks = inspect_service_role(service_database(empty_database))
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]


def test_inspection_passes_the_service_role(runtime: Runtime, database: Database) -> None:
    checks = inspect_service_role(service_database(database))
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]


def test_inspection_reports_a_superuser_as_too_powerful(database: Database) -> None:
    failed = {c.name for c in inspect_service_role(database) if not c.ok}
    assert any("not a superuser" in name for name in failed)
    assert "may not set session_replication_role" in failed
    assert any("owns no record table" in name for name in failed)


def test_inspection_reports_a_disabled_protective_trigger(database: Database) -> None:
    with database.connect() as conn:
        conn.execute(
            "ALTER TABLE backoffice_commands DISABLE TRIGGER backoffice_commands_no_truncate"
        )
    checks = {c.name: c for c in inspect_service_role(service_database(database))}
    guard = checks["protective triggers present and enabled"]
    assert not guard.ok and "backoffice_commands_no_truncate" in guard.detail
