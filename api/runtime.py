"""Everything a running service holds: settings, database, application, projection runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import DictRow, dict_row

from api.checkpoints import DirectoryStore, Scheduler, in_database, newest
from api.database import Database
from api.integrity import state_decoder
from api.migrate import migrate
from api.package_seal import Seal
from api.roles import connections
from api.settings import Settings
from api.signing import KeyStore, SigningKeyError, public_key_b64
from api.store import BackOfficeRecorder, open_application
from api.verification import Notary
from domain.application import BackOffice, CommandResult
from domain.clients import ClientPolicy, QualifiedThresholds
from domain.commands import Command
from domain.envelope import SYSTEM_ACTOR, CommandContext
from domain.errors import ConcurrencyConflict, ValidationError
from domain.keys import PublishSigningKey
from domain.policy import Policy, TimePolicy
from domain.retention import SetRetentionPresets
from projections.registry import all_models
from projections.runner import ProjectionRunner


def utc_now() -> datetime:
    """The clock injected into commands (the domain never reads one)."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """The service's long-lived parts, opened once and shared by requests."""

    settings: Settings
    database: Database
    app: BackOffice
    runner: ProjectionRunner
    #: The signing keys (outside the database) and the notary that signs checkpoints.
    keys: KeyStore
    notary: Notary
    #: Migrations and restores connect as this role (the same as ``database`` when unseparated).
    admin: Database
    clock: Callable[[], datetime] = field(default=utc_now)
    checkpoints: Scheduler | None = None

    @contextmanager
    def cursor(self) -> Iterator[psycopg.Cursor[DictRow]]:
        """A read-only cursor on the read models, from the shared pool."""
        with self.app.factory.datastore.transaction(commit=False) as curs:  # type: ignore[attr-defined]
            yield curs

    @contextmanager
    def session(self) -> Iterator[psycopg.Cursor[DictRow]]:
        """An autocommit cursor (each statement its own snapshot) on a pooled connection lent
        to this thread for the block, which the application's own reads in it share: for a
        few single-statement reads, e.g. a token's holder and then their staff record."""
        recorder = self.app.recorder
        assert isinstance(recorder, BackOfficeRecorder)
        with (
            recorder.command_scope(),
            self.app.factory.datastore.get_connection() as conn,  # type: ignore[attr-defined]
            conn.cursor() as curs,
        ):
            yield curs

    def connect(self) -> psycopg.Connection[Any]:
        """A new autocommit connection of its own (for waits and long reads)."""
        return psycopg.connect(self.database.url, autocommit=True, row_factory=dict_row)

    def business_date(self, moment: datetime) -> date:
        """The branch's calendar date at ``moment`` (BRANCH_TIMEZONE, default Asia/Shanghai)."""
        return moment.astimezone(ZoneInfo(self.settings.branch_timezone)).date()

    def context(
        self,
        actor: UUID,
        *,
        correlation_id: UUID | None = None,
        reason: str | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> CommandContext:
        """The context of one command given now by ``actor``."""
        now = self.clock()
        correlation = correlation_id or uuid4()
        return CommandContext(
            actor=actor,
            occurred_at=now,
            business_date=self.business_date(now),
            correlation_id=correlation,
            causation_id=correlation,
            reason=reason,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
        )

    def system(self, command: Command, reason: str, key: str | None = None) -> CommandResult:
        """Run a command given by the operator on the command line (not by a staff member)."""
        # A keyed command keeps its correlation id across retries; others get a fresh one.
        correlation = uuid5(NAMESPACE_URL, f"backoffice:cli:{key}") if key else None
        context = self.context(
            SYSTEM_ACTOR, correlation_id=correlation, reason=reason, idempotency_key=key
        )
        return self.app.execute(command, context)

    def seal(self) -> Seal:
        """What signs a reconstruction package: the current key and the newest checkpoint."""
        return Seal(self.keys.active(), newest(in_database(self.database)))

    def start_checkpoints(self) -> None:
        """Sign a checkpoint every CHECKPOINT_INTERVAL seconds until closed."""
        if self.checkpoints is None:
            self.checkpoints = Scheduler(self.notary.take, self.settings.checkpoint_interval)
            self.checkpoints.start()

    def close(self) -> None:
        """Stop the runner and the checkpoints, and close the pool."""
        if self.checkpoints is not None:
            self.checkpoints.stop()
        self.runner.stop()
        self.app.close()


def _signing_keys(settings: Settings, db: Database) -> KeyStore:
    """The key directory, with a first key created if it has none and the store has never
    been signed (a store whose keys are lost must not silently start over with a new one)."""
    keys = KeyStore(settings.key_directory)
    if keys.current_id() is not None:
        return keys
    if keys.key_ids():
        raise SigningKeyError(f"{keys.directory} has keys but no 'current' file naming one")
    with db.connect() as conn:
        signed = conn.execute("SELECT 1 FROM backoffice_event_signatures LIMIT 1").fetchone()
    if signed:
        raise SigningKeyError(
            f"the store is signed but {keys.directory} holds no key: restore the key directory,"
            " or, if the key is lost, run `backoffice keys rotate --lost`"
        )
    keys.set_current(keys.create())
    return keys


def publish_current_key(runtime: Runtime, reason: str) -> CommandResult | None:
    """Record the current key's public half as an event, unless it is already recorded."""
    key = runtime.keys.active()
    try:
        return runtime.system(
            PublishSigningKey(key_id=key.key_id, public_key=public_key_b64(key.public_key)),
            reason,
        )
    except (ConcurrencyConflict, ValidationError):
        return None  # another process published it at the same moment


def open_runtime(
    settings: Settings,
    *,
    database: Database | None = None,
    admin: Database | None = None,
    run_migrations: bool = True,
    create: bool = True,
) -> Runtime:
    """Resolve the database, migrate it, and open the application and runner on it.

    ``database`` is what the service connects as; ``admin`` (default: the same) migrates.
    Unless ``create``, an embedded server that does not exist yet is refused, not created.
    """
    if database is None:
        found = connections(settings, create=create)
        db, admin_db = found.service, admin or found.admin
    else:
        db, admin_db = database, admin or database
    if run_migrations:
        migrate(admin_db, service_role=None if db.user == admin_db.user else db.user)
    keys = _signing_keys(settings, db)
    app = open_application(
        db,
        keys,
        pool_size=settings.pool_size,
        pool_timeout=settings.pool_timeout,
        cipher_key=settings.cipher_key,
        snapshot_interval=settings.snapshot_interval,
    )
    app.policy = policy_from(settings)
    runner = ProjectionRunner(
        app,
        all_models(),
        db.url,
        batch_size=settings.projection_batch_size,
        max_backoff=settings.projection_retry_max,
    )
    notary = Notary(
        db,
        keys,
        DirectoryStore(settings.checkpoint_directory),
        state_decoder(settings.cipher_key),
        utc_now,
    )
    runtime = Runtime(
        settings=settings,
        database=db,
        app=app,
        runner=runner,
        keys=keys,
        notary=notary,
        admin=admin_db,
    )
    publish_current_key(runtime, "signing key in use by this service")
    return runtime


def policy_from(settings: Settings) -> Policy:
    """The domain's configurable numbers, from the settings."""
    return Policy(
        clients=ClientPolicy(
            risk_validity_months=settings.risk_validity_months,
            qualified=QualifiedThresholds(
                individual_family_financial_assets=settings.qualified_individual_assets,
                institution_net_assets=settings.qualified_institution_net_assets,
            ),
        ),
        times=TimePolicy(
            timezone=ZoneInfo(settings.branch_timezone),
            backdate_days=settings.backdate_days,
        ),
    )


def adopt_configured_retention(runtime: Runtime) -> CommandResult:
    """Record the RETENTION_PRESETS configuration as the policy in force, if it is not already
    (the policy changes only by a recorded event; configuration is what asks for the change)."""
    presets = [p for p in runtime.settings.retention_presets.split(",") if p.strip()]
    return runtime.system(
        SetRetentionPresets(presets=presets),
        f"configuration RETENTION_PRESETS={runtime.settings.retention_presets}",
    )
