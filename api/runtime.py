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

from api.database import Database, resolve
from api.migrate import migrate
from api.settings import Settings
from api.store import open_application
from domain.application import BackOffice, CommandResult
from domain.clients import ClientPolicy, QualifiedThresholds
from domain.commands import Command
from domain.envelope import SYSTEM_ACTOR, CommandContext
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
    clock: Callable[[], datetime] = field(default=utc_now)

    @contextmanager
    def cursor(self) -> Iterator[psycopg.Cursor[DictRow]]:
        """A read-only cursor on the read models, from the shared pool."""
        with self.app.factory.datastore.transaction(commit=False) as curs:  # type: ignore[attr-defined]
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

    def close(self) -> None:
        """Stop the runner and close the pool."""
        self.runner.stop()
        self.app.close()


def open_runtime(
    settings: Settings, *, database: Database | None = None, run_migrations: bool = True
) -> Runtime:
    """Resolve the database, migrate it, and open the application and runner on it."""
    db = database or resolve(settings.database_url, settings.backoffice_home)
    if run_migrations:
        migrate(db)
    app = open_application(
        db,
        pool_size=settings.pool_size,
        pool_timeout=settings.pool_timeout,
        cipher_key=settings.cipher_key,
    )
    app.policy = policy_from(settings)
    runner = ProjectionRunner(
        app,
        all_models(),
        db.url,
        batch_size=settings.projection_batch_size,
        max_backoff=settings.projection_retry_max,
    )
    return Runtime(settings=settings, database=db, app=app, runner=runner)


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
