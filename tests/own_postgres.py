"""A PostgreSQL server that one test starts, stops, starts again and removes.

Built from the binaries the pgserver wheel ships (initdb as pgserver does it, including running
as an unprivileged user when the tests run as root), then driven with that wheel's ``pg_ctl`` so
the restarted server listens on the same socket and keeps its data.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

from api.database import Database, ensure_database
from api.migrate import migrate


class OwnPostgres:
    """One server in ``datadir``, reachable on a unix socket only."""

    def __init__(self, datadir: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
            from pgserver import _commands

        server = pgserver.get_server(datadir, cleanup_mode=None)
        info = server.get_postmaster_info()
        self.datadir = info.pgdata
        self.socket_dir = info.socket_dir
        self.log = server.log
        self.user: str | None = server.system_user
        self.pg_ctl = Path(_commands.POSTGRES_BIN_PATH) / "pg_ctl"
        self.server = Database(server.get_uri())
        self.running = True

    def database(self, name: str = "backoffice") -> Database:
        """A migrated database on this server."""
        database = self.server.with_dbname(name)
        ensure_database(database)
        migrate(database)
        return database

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [str(self.pg_ctl), "-D", str(self.datadir), *args],
            check=True,
            capture_output=True,
            timeout=60,
            user=self.user,
        )

    def stop(self) -> None:
        """Shut the server down now: every open connection is cut."""
        self._ctl("-w", "-m", "fast", "stop")
        self.running = False

    def start(self) -> None:
        """Start it again on the same socket, with the same data."""
        self._ctl(
            "-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.log), "start"
        )  # fmt: skip
        self.running = True

    def remove(self) -> None:
        """Stop it (if running) and delete its data."""
        if self.running:
            self.stop()
        shutil.rmtree(self.datadir, ignore_errors=True)
