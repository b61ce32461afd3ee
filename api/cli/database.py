"""``backoffice database status|stop``: the embedded PostgreSQL server of BACKOFFICE_HOME."""

from __future__ import annotations

import typer

from api.cli.common import JsonFlag, emit_json, err, group, out
from api.database import Database, embedded_status, stop_embedded
from api.settings import get_settings

database_cli = group("database", "The embedded PostgreSQL server (when DATABASE_URL is unset).")


@database_cli.command("status")
def database_status(as_json: JsonFlag = False) -> None:
    """Where the data is, and whether the embedded server runs (and for which processes);
    exit 1 when it is not running. Starts nothing."""
    settings = get_settings()
    if settings.database_url:
        described = Database(settings.database_url).describe()
        if as_json:
            emit_json({"embedded": False, "database": described})
        else:
            out.print(f"DATABASE_URL is set: {described} (no embedded server is used)")
        return
    home = settings.backoffice_home.resolve()
    status = embedded_status(home)
    if as_json:
        emit_json(
            {
                "embedded": True,
                "home": home,
                "datadir": status.datadir,
                "initialised": status.initialised,
                "running": status.running,
                "pid": status.pid,
                "socket_dir": status.socket_dir,
                "used_by": list(status.users),
                "keep_database": settings.keep_database,
            }
        )
    elif not status.initialised:
        out.print(f"no embedded database in {home} yet (`backoffice migrate` creates it)")
    elif status.running:
        out.print(f"embedded server running (pid {status.pid}) on {status.datadir}")
        if status.users:
            users = ", ".join(str(p) for p in status.users)
            then = (
                "stays running (KEEP_DATABASE)"
                if settings.keep_database
                else "stops when the last of them exits"
            )
            out.print(f"used by process(es) {users}; {then}")
        else:
            out.print("used by no process: left running; `backoffice database stop` stops it")
    else:
        out.print(f"embedded server stopped; data in {status.datadir}")
    if not status.running:
        raise typer.Exit(1)


@database_cli.command("stop")
def database_stop() -> None:
    """Stop the embedded server now (open connections are cut; its data is kept)."""
    settings = get_settings()
    if settings.database_url:
        err.print("DATABASE_URL is set: there is no embedded server to stop")
        return
    home = settings.backoffice_home.resolve()
    if stop_embedded(home):
        out.print(f"embedded server of {home} stopped")
    else:
        out.print(f"the embedded server of {home} is not running")
