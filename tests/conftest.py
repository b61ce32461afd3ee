"""Real PostgreSQL for every storage test: ``DATABASE_URL`` when set, else an embedded server.

Each test gets a fresh database cloned from a template that was migrated once per session,
so tests are isolated and fast.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from psycopg import sql

from api.auth import Principal, new_token, token_hash
from api.database import Database, embedded, stop_embedded
from api.migrate import migrate
from api.roles import grant_database, service_database
from api.runtime import Runtime, open_runtime
from api.settings import Settings, get_settings
from domain import clients as c
from domain.application import CommandResult
from domain.clients.identity import DocumentType
from domain.commands import Command
from domain.envelope import SYSTEM_ACTOR
from domain.staff import IssueToken, RegisterStaff
from tests.harness import VALID_ID

pytest_plugins = ["tests.reliability"]


@pytest.fixture(scope="session")
def server() -> Iterator[Database]:
    """The PostgreSQL server the suite runs against: DATABASE_URL, else an embedded server in
    a directory of its own (not pytest's shared temp folder, which concurrent runs rotate),
    stopped and deleted when the suite ends — by this fixture's teardown, and failing that
    (an interrupted run) by the exit handlers, so that no server outlives pytest."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield Database(url)
        return
    home = Path(tempfile.mkdtemp(prefix="backoffice-test-pg-"))
    home.chmod(0o755)  # run as root, pgserver's postgres runs as its own user
    # Registered before the server's own exit handler, so it runs after the server stopped.
    atexit.register(shutil.rmtree, home, True)
    try:
        yield embedded(home, when_done="delete")
    finally:
        stop_embedded(home)
        shutil.rmtree(home, ignore_errors=True)


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


@contextmanager
def service_runtime(settings: Settings, database: Database) -> Iterator[Runtime]:
    """A runtime (application + runner, runner not started) as a service process has it, on
    ``database`` as the service role: its own pool and its own memory."""
    rt = open_runtime(
        settings, database=service_database(database), admin=database, run_migrations=False
    )
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def runtime(settings: Settings, database: Database) -> Iterator[Runtime]:
    """An open runtime on this test's database."""
    with service_runtime(settings, database) as rt:
        yield rt
    get_settings.cache_clear()


def run(
    rt: Runtime,
    command: Command,
    actor: uuid.UUID = SYSTEM_ACTOR,
    *,
    reason: str | None = None,
    key: str | None = None,
    expected: int | None = None,
) -> CommandResult:
    """Execute ``command`` as ``actor`` (default: the operator) on the runtime's store."""
    return rt.app.execute(
        command,
        rt.context(actor, reason=reason, idempotency_key=key, expected_version=expected),
    )


def add_staff(rt: Runtime, name: str, branch: str, roles: list[str]) -> tuple[Principal, str]:
    """Register a staff member with a token, projected; return the principal and token."""
    staff_id = uuid.uuid4()
    run(rt, RegisterStaff(staff_id=staff_id, name=name, branch=branch, roles=roles))  # type: ignore[arg-type]
    token = new_token()
    r = run(rt, IssueToken(staff_id=staff_id, token_hash=token_hash(token)))
    rt.runner.sync(r.position or 0)
    return Principal(staff_id, name, branch, frozenset(roles)), token


def staff(rt: Runtime, *roles: str, branch: str = "SH01", name: str = "职员") -> uuid.UUID:
    """A registered staff member's id (no token)."""
    sid = uuid.uuid4()
    run(rt, RegisterStaff(staff_id=sid, name=name, branch=branch, roles=list(roles)))  # type: ignore[arg-type]
    return sid


def prospect(rt: Runtime, manager: uuid.UUID) -> uuid.UUID:
    """A client with everything an account needs (identity, contact, risk level C3, the
    agreement) but no account yet, taken there by an account manager."""
    cid = uuid.uuid4()
    for command in (
        c.RegisterClient(
            client_id=cid,
            client_type=c.ClientType.INDIVIDUAL,
            name="张三",
            source_channel=c.SourceChannel.WALK_IN,
            account_manager=manager,
        ),
        c.RecordIdentity(
            client_id=cid,
            real_name="张三",
            document_type=DocumentType.RESIDENT_ID,
            document_number=VALID_ID,
        ),
        c.RecordContact(
            client_id=cid,
            mobile="13812345678",
            id_address="北京市朝阳区",
            mailing_address="上海市浦东新区",
        ),
        c.AssessRisk(client_id=cid, level=c.RiskLevel.C3),
        c.SignAgreement(
            client_id=cid, agreement_type=c.AgreementType.CLIENT_AGREEMENT, version="2026.1"
        ),
    ):
        run(rt, command, manager)
    return cid


def onboard(rt: Runtime, manager: uuid.UUID, account: str = "10000001") -> uuid.UUID:
    """A client taken from prospect to an open account (risk level C3) by an account manager."""
    cid = prospect(rt, manager)
    run(rt, c.OpenAccount(client_id=cid, account_number=account), manager)
    return cid
