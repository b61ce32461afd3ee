"""``backoffice migrate``, ``serve``, ``demo`` and ``schema``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TaskID

from api.cli.common import cli, err, open_configured, out, progress
from api.database import resolve
from api.demo import seed
from api.graphiql.url import serve_banner
from api.migrate import migrate as run_migrations
from api.runtime import Runtime, adopt_configured_retention
from api.settings import get_settings


@cli.command()
def migrate() -> None:
    """Apply pending migrations (idempotent; safe to run concurrently)."""
    settings = get_settings()
    database = resolve(settings.database_url, settings.backoffice_home)
    applied = run_migrations(database, lambda m: err.print(f"applying {m}"))
    out.print(f"{len(applied)} migration(s) applied to {database.describe()}")


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

    runtime = open_configured()
    out.print(f"database: {runtime.database.describe()}")
    adopt_configured_retention(runtime)
    token = None
    if demo:
        token = _seed_with_progress(runtime)
        out.print(f"demo admin token: [bold]{token}[/bold]")
        out.print("  (send it as the header  Authorization: Bearer <token>)")
    out.print(serve_banner(runtime.settings.graphiql, host, port, token), soft_wrap=True)
    try:
        uvicorn.run(create_app(runtime, run_projections=projections), host=host, port=port)
    finally:
        runtime.close()


@cli.command()
def demo() -> None:
    """Seed the demo data (once) and print the demo admin's token."""
    runtime = open_configured()
    try:
        token = _seed_with_progress(runtime)
    finally:
        runtime.close()
    out.print(token)


@cli.command()
def schema(
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("api/schema.graphql"),
) -> None:
    """Export the GraphQL schema (SDL)."""
    from api.graphql.schema import sdl

    output.write_text(sdl())
    err.print(f"wrote {output}")
