"""Round trips per command: how many request/response exchanges with PostgreSQL one command
takes, counted by a TCP proxy in front of the server (every ReadyForQuery the server sends
ends one exchange: a simple query, an extended-protocol Sync, a pipeline sync).

Counted on warm connections (each pooled connection has prepared its statements), on a scratch
database of the server in DATABASE_URL.  Usage: python bench/round_trips.py
"""

from __future__ import annotations

import json
import socket
import struct
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from psycopg import sql

from api.app import create_app
from api.auth import new_token, token_hash
from api.database import Database
from api.migrate import migrate
from api.runtime import Runtime, open_runtime
from api.settings import Settings
from domain.access import Role
from domain.staff import GrantRole, IssueToken, RegisterStaff


class Proxy:
    """Forwards loopback connections to PostgreSQL and counts the server's ReadyForQuery."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.ready = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(self.target)
            threading.Thread(target=self._forward, args=(client, server), daemon=True).start()
            threading.Thread(target=self._count, args=(server, client), daemon=True).start()

    @staticmethod
    def _forward(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def _count(self, source: socket.socket, sink: socket.socket) -> None:
        buffer, first = b"", True
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                buffer += data
                if first and buffer[:1] == b"N":  # "no TLS" answer: one byte, untyped
                    buffer = buffer[1:]
                first = False
                while len(buffer) >= 5:
                    size = struct.unpack("!I", buffer[1:5])[0]
                    if len(buffer) < 1 + size:
                        break
                    if buffer[:1] == b"Z":
                        with self.lock:
                            self.ready += 1
                    buffer = buffer[1 + size :]
        except OSError:
            pass


def main() -> None:
    name = f"bo_rt_{uuid.uuid4().hex[:8]}"
    settings = Settings(backoffice_home=Path(tempfile.mkdtemp(prefix=name)))
    direct = Database(settings.database_url or "postgresql://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(direct.url)
    with direct.connect() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        migrate(direct.with_dbname(name))
        proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        user = f"{parts.username}@" if parts.username else ""
        via = Database(f"postgresql://{user}127.0.0.1:{proxy.port}/{name}?sslmode=disable")
        runtime = open_runtime(settings, database=via, run_migrations=False)
        try:
            counts = measure(runtime, proxy)
        finally:
            runtime.close()
    finally:
        with direct.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    for label, n in counts.items():
        print(f"{label:<52} {n:>3} round trips")
    print(json.dumps({"round_trips": counts}))


def measure(runtime: Runtime, proxy: Proxy) -> dict[str, int]:
    """Round trips of each kind of command, after every pooled connection is warm."""
    admin = uuid.uuid4()
    runtime.system(RegisterStaff(staff_id=admin, name="A", branch="HQ", roles=[Role.ADMIN]), "b")

    def register() -> object:
        command = RegisterStaff(staff_id=uuid.uuid4(), name="C", branch="SH01", roles=[Role.TRADER])
        return runtime.system(command, "bench")

    def grant() -> object:
        target = uuid.uuid4()
        runtime.system(
            RegisterStaff(staff_id=target, name="B", branch="HQ", roles=[Role.TRADER]), "b"
        )
        before = proxy.ready
        runtime.app.execute(
            GrantRole(staff_id=target, role=Role.RISK),
            runtime.context(admin, idempotency_key=str(uuid.uuid4())),
        )
        return proxy.ready - before

    token = new_token()
    issued = runtime.system(IssueToken(staff_id=admin, token_hash=token_hash(token)), "b")
    runtime.runner.sync(issued.position or 0)
    http = TestClient(create_app(runtime, run_projections=False))
    mutation = (
        'mutation($n: String!) { registerStaff(input: {name: $n, branch: "SH01",'
        " roles: [TRADER]}) { __typename } }"
    )

    def graphql() -> object:
        answer = http.post(
            "/graphql",
            json={"query": mutation, "variables": {"n": "G"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.json()["data"]["registerStaff"]["__typename"] == "CommandSuccess"
        return answer

    cases: dict[str, Callable[[], object]] = {
        "RegisterStaff by the operator (is the id free?)": register,
        "GrantRole by an admin, keyed (actor, key, target)": grant,
        "registerStaff over GraphQL (token, staff, command)": graphql,
    }
    for _ in range(20):  # every pooled connection prepares its statements
        for fn in cases.values():
            fn()
    counts = {}
    for label, fn in cases.items():
        before = proxy.ready
        found = fn()
        counts[label] = found if isinstance(found, int) else proxy.ready - before
    return counts


if __name__ == "__main__":
    main()
