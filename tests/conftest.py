"""Real PostgreSQL for every storage test: ``DATABASE_URL`` when set, else an embedded server.

Each test gets a fresh database cloned from a template that was migrated once per session,
so tests are isolated and fast.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from psycopg import sql

from api.auth import Principal, new_token, token_hash
from api.database import Database, embedded
from api.migrate import migrate
from api.roles import grant_database, service_database
from api.runtime import Runtime, open_runtime, system_command
from api.settings import Settings, get_settings
from domain.envelope import Command


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """The PostgreSQL server the suite runs against."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return Database(url)
    return embedded(tmp_path_factory.mktemp("pg"))


def _create(server: Database, name: str, template: str | None = None) -> Database:
    with server.connect() as conn:
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(stmt)
    return server.with_dbname(name)


def _drop(server: Database, name: str) -> None:
    with server.connect() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def template(server: Database) -> Iterator[str]:
    """A migrated database that each test's database is cloned from."""
    name = f"bo_tpl_{uuid.uuid4().hex[:12]}"
    migrate(_create(server, name))
    yield name
    _drop(server, name)


@pytest.fixture
def empty_database(server: Database) -> Iterator[Database]:
    """A fresh database with no tables (for migration tests)."""
    name = f"bo_t_{uuid.uuid4().hex[:16]}"
    yield _create(server, name)
    _drop(server, name)


@pytest.fixture
def database(server: Database, template: str) -> Iterator[Database]:
    """A fresh, migrated database for one test."""
    name = f"bo_t_{uuid.uuid4().hex[:16]}"
    created = _create(server, name, template)
    grant_database(created)  # a clone does not inherit the template's database-level grants
    yield created
    _drop(server, name)


@pytest.fixture
def settings(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing at this test's database (also for the CLI, through the environment):
    the service connects as its own least-privileged role, migrations as the superuser."""
    monkeypatch.setenv("DATABASE_URL", service_database(database).url)
    monkeypatch.setenv("MIGRATION_DATABASE_URL", database.url)
    monkeypatch.setenv("BACKOFFICE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("READ_WAIT_TIMEOUT", "2")
    get_settings.cache_clear()
    yield_settings = Settings()
    return yield_settings


@pytest.fixture
def runtime(settings: Settings, database: Database) -> Iterator[Runtime]:
    """An open runtime (application + runner, runner not started) on this test's database."""
    rt = open_runtime(
        settings, database=service_database(database), admin=database, run_migrations=False
    )
    yield rt
    rt.close()
    get_settings.cache_clear()


def command(
    roles: set[str] | None = None,
    *,
    actor: uuid.UUID | None = None,
    branch: str = "SH01",
    key: str | None = None,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Command:
    """A command context as a staff member with ``roles`` (default: admin)."""
    corr = uuid.uuid4()
    return Command(
        actor=actor or uuid.uuid4(),
        actor_roles=frozenset(roles or {"admin"}),
        branch_id=branch,
        occurred_at=datetime.now(UTC),
        correlation_id=corr,
        causation_id=corr,
        idempotency_key=key,
        expected_version=expected_version,
        reason=reason,
    )


def add_staff(rt: Runtime, name: str, branch: str, roles: list[str]) -> tuple[Principal, str]:
    """Register a staff member with a token, projected; return the principal and token."""
    staff_id = uuid.uuid4()
    rt.app.register_staff(
        system_command(rt, "test"), staff_id=staff_id, name=name, branch=branch, roles=roles
    )
    token = new_token()
    r = rt.app.issue_token(
        system_command(rt, "test"), staff_id=staff_id, token_hash=token_hash(token)
    )
    rt.runner.sync(r.position or 0)
    return Principal(staff_id, name, branch, frozenset(roles)), token


VALID_ID = "11010519491231002X"


def onboard(rt: Runtime, manager: uuid.UUID, account: str = "10000001") -> uuid.UUID:
    """A client taken from prospect to an open account (risk level C3) by an account manager."""
    cid = uuid.uuid4()
    app = rt.app
    app.register_client(
        command({"account_manager"}),
        client_id=cid,
        client_type="individual",
        name="张三",
        source_channel="walk_in",
        account_manager=manager,
    )
    app.record_identity(
        command({"account_manager"}),
        client_id=cid,
        real_name="张三",
        document_type="resident_id",
        document_number=VALID_ID,
    )
    app.record_contact(
        command({"account_manager"}),
        client_id=cid,
        mobile="13812345678",
        landline=None,
        id_address="北京市朝阳区",
        mailing_address="上海市浦东新区",
    )
    app.assess_risk(command({"account_manager"}), client_id=cid, level="C3")
    app.sign_agreement(
        command({"account_manager"}),
        client_id=cid,
        agreement_type="client_agreement",
        version="2026.1",
    )
    app.open_account(command({"account_manager"}), client_id=cid, account_number=account)
    return cid
