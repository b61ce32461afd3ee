"""Configuration from the environment (and a ``.env`` file), read once at the edge."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """The per-user data directory (``~/.local/share/backoffice`` on Linux): the same from
    every working directory, so no command starts a second, empty database by accident."""
    return platformdirs.user_data_path("backoffice")


class Settings(BaseSettings):
    """Every knob of the service; each is an environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="libpq URL of PostgreSQL; unset: the embedded server in BACKOFFICE_HOME",
    )
    migration_database_url: str | None = Field(
        default=None,
        description="libpq URL of the owner role that migrates and restores; unset: DATABASE_URL",
    )
    backoffice_home: Path = Field(
        default_factory=default_home,
        description="the embedded server's data, keys, checkpoints; unset: per-user data dir",
    )
    keep_database: bool = Field(
        default=False,
        description="leave the embedded server running when the last command using it ends",
    )
    signing_key_dir: Path | None = Field(
        default=None, description="private signing keys (0600 files); unset: BACKOFFICE_HOME/keys"
    )
    checkpoint_dir: Path | None = Field(
        default=None,
        description="append-only copies of signed checkpoints; unset: BACKOFFICE_HOME/checkpoints",
    )
    checkpoint_interval: float = Field(
        default=300.0, ge=0, description="seconds between scheduled checkpoints (0: none)"
    )
    branch_timezone: str = "Asia/Shanghai"
    read_wait_timeout: float = Field(
        default=5.0, description="seconds a query with minPosition waits for the projections"
    )
    projection_batch_size: int = 500
    projection_retry_max: float = Field(
        default=15.0,
        gt=0,
        description="longest wait (s) between the projection runner's reconnection attempts",
    )
    pool_size: int = 5
    pool_timeout: int = Field(
        default=5,
        ge=1,
        description="seconds a request waits for a database connection before answering 503",
    )
    backdate_days: int = Field(
        default=0,
        ge=0,
        le=30,
        description="business days an order, fill or signature may be back-dated (0: same day)",
    )
    risk_validity_months: int = Field(default=24, ge=1, description="risk assessment validity")
    qualified_individual_assets: Decimal = Field(
        default=Decimal("1000000"), description="qualified investor: family financial assets"
    )
    qualified_institution_net_assets: Decimal = Field(
        default=Decimal("10000000"), description="qualified investor: institution net assets"
    )
    retention_presets: str = Field(
        default="pboc-2007",
        description="comma-separated: pboc-2007, cn-2025, us-17a-4, eu-mifid (longest wins)",
    )
    budget_deviation: Decimal = Field(
        default=Decimal("0.10"),
        ge=0,
        le=10,
        description="report budget lines spent above budget by more than this share (0.10: 10%)",
    )
    max_request_bytes: int = Field(
        default=1_048_576, ge=1024, description="largest request body accepted (bytes)"
    )
    rate_limit_per_second: float = Field(
        default=50.0, ge=0, description="requests per second per staff member (0: no limit)"
    )
    rate_limit_burst: int = Field(default=200, ge=1, description="burst above the rate")
    graphql_introspection: bool = Field(
        default=True,
        description="answer GraphQL introspection (switch off in production)",
    )
    cipher_key: str | None = Field(default=None, description="base64 AES key: encrypt events")
    snapshot_interval: int = Field(
        default=100,
        ge=0,
        description="snapshot long-lived records every N events (0: off); a signed cache",
    )
    graphiql: bool = Field(
        default=True, description="serve GraphiQL at GET /graphql; set false in production"
    )
    firm_name: str | None = Field(default=None, description="the firm, in report letterheads")
    branch_names: str = Field(
        default="", description="branch names for reports: SH01=上海某路证券营业部,BJ02=…"
    )
    report_locale: str = Field(default="zh-CN", description="default report language: zh-CN|en")

    @property
    def key_directory(self) -> Path:
        """Where the signing keys are."""
        return self.signing_key_dir or self.backoffice_home / "keys"

    @property
    def checkpoint_directory(self) -> Path:
        """Where checkpoints are copied outside the database."""
        return self.checkpoint_dir or self.backoffice_home / "checkpoints"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process."""
    return Settings()
