"""What every command-line module shares: the app, consoles, progress bars, failure."""

from __future__ import annotations

import getpass
import os

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.runtime import Runtime, open_runtime
from api.settings import get_settings

cli = typer.Typer(
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


def open_configured(run_migrations: bool = True) -> Runtime:
    """The runtime on the configured database (migrated unless told otherwise)."""
    return open_runtime(get_settings(), run_migrations=run_migrations)


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
    err.print(f"[red]error:[/red] {message}")
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
