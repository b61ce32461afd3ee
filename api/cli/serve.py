"""``backoffice migrate``, ``serve``, ``demo`` and ``schema``."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TaskID

from api.cli.common import cli, err, fail, open_configured, out, progress
from api.demo import seed
from api.graphiql.url import serve_banner
from api.migrate import migrate as run_migrations
from api.roles import connections
from api.runtime import Runtime, adopt_configured_retention
from api.settings import get_settings


@cli.command()
def migrate() -> None:
    """Apply pending migrations (idempotent; safe to run concurrently)."""
    found = connections(get_settings())
    applied = run_migrations(
        found.admin, lambda m: err.print(f"applying {m}"), service_role=found.service_role
    )
    out.print(f"{len(applied)} migration(s) applied to {found.admin.describe()}")


def _seed_with_progress(runtime: Runtime) -> str | None:
    """Seed the demo data (once) with a progress bar per stage."""
    with progress() as bars:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done)

        return seed(runtime, runtime.settings.backoffice_home / "demo-token", report)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Seed demo data into an empty store.")] = False,
    projections: Annotated[
        bool, typer.Option(help="Run the projection runner in this process.")
    ] = True,
) -> None:
    """Migrate, then serve GraphQL at /graphql, /health and /metrics."""
    import uvicorn

    from api.app import create_app

    listener = _listen(host, port)  # before anything is printed: a busy port fails first
    runtime = open_configured(create=True)
    out.print(f"database: {runtime.database.describe()}")
    runtime.start_checkpoints()  # a signed checkpoint every CHECKPOINT_INTERVAL seconds
    adopt_configured_retention(runtime)
    token = None
    if demo:
        token = _seed_with_progress(runtime)
        out.print(f"demo admin token: [bold]{token}[/bold]")
        out.print("  (send it as the header  Authorization: Bearer <token>)")
    out.print(serve_banner(runtime.settings.graphiql, host, port, token), soft_wrap=True)
    try:
        config = uvicorn.Config(
            create_app(runtime, run_projections=projections), host=host, port=port
        )
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        listener.close()
        runtime.close()


def _listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound now (then handed to uvicorn), so that a port in use or a
    host that is not ours is refused before the URL is printed."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listener = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        why = exc.strerror or exc
        raise fail(f"cannot listen on {host}:{port}: {why}; check --host", 2) from None
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        busy = exc.errno == errno.EADDRINUSE
        fix = "choose another --port, or stop what uses it" if busy else "check --host"
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}; {fix}", 2) from None
    return listener


@cli.command()
def demo() -> None:
    """Seed the demo data (once) and print the demo admin's token."""
    runtime = open_configured(create=True)
    try:
        token = _seed_with_progress(runtime)
    finally:
        runtime.close()
    out.print(token)


@cli.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write, or - for stdout (default: the package's api/schema.graphql).",
        ),
    ] = None,
) -> None:
    """Export the GraphQL schema (SDL), from any working directory."""
    from api.graphql.schema import SCHEMA_FILE, sdl

    text = sdl()
    if output is not None and str(output) == "-":
        typer.echo(text, nl=False)
        return
    target = output or SCHEMA_FILE
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(
            f"cannot write {target}: {exc.strerror or exc}; give -o FILE (or -o - for stdout)", 2
        ) from None
    err.print(f"wrote {target}")
