"""What every command-line module shares: the app, consoles, progress bars, ``--json``, and
the one place where known failures become a line or two with the fix instead of a traceback."""

from __future__ import annotations

import dataclasses
import enum
import getpass
import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import psycopg
import pydantic
import typer
from psycopg import errors as pg_errors
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from api.database import Database, DatabaseNotFound
from api.runtime import Runtime, open_runtime
from api.settings import get_settings
from api.signing import SigningKeyError


def _where() -> str:
    """The database the configuration names, password hidden (for error messages)."""
    try:
        settings = get_settings()
    except pydantic.ValidationError:
        return "the configured database"
    if not settings.database_url:
        return f"the embedded server in {settings.backoffice_home.resolve()}"
    try:
        return Database(settings.database_url).describe()
    except psycopg.Error:
        return "DATABASE_URL"


def explain(exc: BaseException) -> str | None:
    """A short message with the fix for a failure the operator can remedy (configuration,
    database, input); None for anything else, which is a bug and keeps its traceback."""
    if isinstance(exc, DatabaseNotFound | SigningKeyError):
        return str(exc)
    if isinstance(exc, pydantic.ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        return f"bad setting: {problems} (check the environment and .env)"
    if isinstance(exc, pg_errors.UndefinedTable):
        return (
            f"{_where()} has no backoffice tables (not migrated): run `backoffice migrate`, "
            "or point DATABASE_URL / BACKOFFICE_HOME at the database that holds your data"
        )
    if isinstance(exc, psycopg.ProgrammingError) and "connection info" in str(exc):
        return (
            f"DATABASE_URL is not a PostgreSQL URL ({str(exc).strip()}): write it as "
            "postgresql://USER:PASSWORD@HOST:5432/DBNAME"
        )
    if isinstance(exc, psycopg.OperationalError) and _connecting(exc):
        text = " ".join(str(exc).split())
        if "password authentication failed" in text or ("role" in text and "exist" in text):
            fix = "check the user and password in DATABASE_URL (and MIGRATION_DATABASE_URL)"
        elif "does not exist" in text:
            fix = "create the database, or fix its name in DATABASE_URL"
        elif "resolve host" in text or "refused" in text or "timeout" in text.lower():
            fix = "check the host and port in DATABASE_URL, and that PostgreSQL runs there"
        else:
            fix = "check DATABASE_URL, and that PostgreSQL runs and accepts this user"
        return f"cannot connect to {_where()}: {text[:200]}\n  fix: {fix}"
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc and _library_error(exc):
        # The library wraps psycopg's errors; its pool times out on a server that is gone.
        found = explain(cause)
        if found is None and _unavailable(exc):
            found = f"cannot use {_where()}: {exc}\n  fix: check DATABASE_URL and the server"
        return found
    return None


def _library_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith(("eventsourcing", "psycopg_pool"))


def _unavailable(exc: BaseException) -> bool:
    """The library's or the pool's "no connection" errors (not integrity or data errors)."""
    return type(exc).__name__ in (
        "OperationalError",
        "InterfaceError",
        "ConnectionUnavailableError",
        "PoolTimeout",
    )


def _connecting(exc: psycopg.OperationalError) -> bool:
    """True for a failure to connect (no server, refused login, no such database, a server
    shutting down), not for one that happens on a working connection (a cancelled query)."""
    state = exc.sqlstate
    return state is None or state.startswith(("08", "28", "3D", "57P"))


class _Handled(TyperGroup):
    """The root group: a known failure is printed as ``error: …`` with its fix, exit 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:
            message = explain(exc)
            if message is None:
                raise
            raise fail(message, 2) from None


cli = typer.Typer(
    cls=_Handled,
    help="Backoffice: the event-sourced back office of a brokerage branch.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def group(name: str, help: str, *, no_args_is_help: bool = True) -> typer.Typer:
    """A sub-command group of ``backoffice`` (e.g. ``backoffice staff …``)."""
    sub = typer.Typer(help=help, no_args_is_help=no_args_is_help)
    cli.add_typer(sub, name=name)
    return sub


def open_configured(run_migrations: bool = True, *, create: bool = False) -> Runtime:
    """The runtime on the configured database (migrated unless told otherwise). Only the
    commands that set up a store (``serve``, ``demo``, ``migrate``) may ``create`` an embedded
    server; the others refuse a home that has none."""
    try:
        return open_runtime(get_settings(), run_migrations=run_migrations, create=create)
    except SigningKeyError as exc:
        raise fail(str(exc), 2) from None


def table(*headers: str) -> Table:
    """A table whose cells wrap (fold) rather than end in "…": nothing printed is cut, so an
    id or a code can always be copied from it, whatever the terminal's width."""
    found = Table(*headers)
    for column in found.columns:
        column.overflow = "fold"
    return found


JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout instead of text.")
]


def _plain(value: Any) -> Any:
    """JSON for what the read models hold: ids, dates and times as ISO strings, money as a
    decimal string (never a float), enums by value, records as objects."""
    if isinstance(value, UUID | Path):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump()
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(data: Any) -> str:
    """``data`` as JSON text (UTF-8 characters kept, so Chinese names stay readable)."""
    return json.dumps(data, default=_plain, ensure_ascii=False, indent=2)


def emit_json(data: Any) -> None:
    """Print ``data`` as one JSON document on stdout (never wrapped, never coloured)."""
    typer.echo(to_json(data))


def progress() -> Progress:
    """A progress bar on stderr (so stdout stays parseable)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on stderr; raise the returned Exit."""
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def os_user() -> str:
    """Who runs the command, for the reason recorded with what they do."""
    try:
        return os.getlogin()
    except OSError:
        # No controlling terminal (cron, CI, containers): the effective user still names them.
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"
