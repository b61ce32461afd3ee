"""Write path: raw PostgreSQL insert commits vs bare BackOffice.save vs a GraphQL mutation
served by uvicorn over loopback.

Each figure is printed beside its baseline from the same run, so the ratio means something on
a noisy machine. Runs on a scratch database of the server in DATABASE_URL, else the embedded
one under BACKOFFICE_HOME.  Usage: python bench/write_path.py [N] [CONCURRENCY]

With CONCURRENCY c > 1 each figure runs N operations from c threads at once (c connections for
the raw inserts, c HTTP clients for GraphQL): the figure that group commit moves.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI
from psycopg import sql

from api.app import create_app
from api.auth import new_token, token_hash
from api.database import resolve
from api.migrate import migrate
from api.runtime import open_runtime
from api.settings import get_settings
from domain.access import Role
from domain.staff import IssueToken, RegisterStaff


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port for the duration of the block."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def rate(label: str, n: int, fn: Callable[[int, int], object], concurrency: int = 1) -> float:
    """Run ``fn(i, thread)`` n times from ``concurrency`` threads; print and return operations
    per second."""
    failures: list[BaseException] = []

    def worker(thread: int) -> None:
        try:
            for i in range(thread, n, concurrency):
                fn(i, thread)
        except BaseException as exc:  # reported after the run, not lost in a thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    per_second = n / (time.perf_counter() - start)
    if failures:
        raise failures[0]
    print(f"{label:<48} {per_second:>9.0f} ops/s  (c={concurrency})")
    return per_second


def main(n: int, concurrency: int = 1) -> None:
    settings = get_settings()
    server = resolve(settings.database_url, settings.backoffice_home)
    name = f"bo_bench_{uuid.uuid4().hex[:8]}"
    with server.connect() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    database = server.with_dbname(name)
    try:
        migrate(database)
        runtime = open_runtime(settings, database=database, run_migrations=False)
        with database.connect() as conn:
            conn.execute("CREATE TABLE raw_inserts (id bigserial PRIMARY KEY, body bytea)")
        conns = [database.connect() for _ in range(concurrency)]
        raw = rate(
            "raw PostgreSQL: one-row INSERT, autocommit",
            n,
            lambda _, t: conns[t].execute(
                "INSERT INTO raw_inserts (body) VALUES (%s)", (b"x" * 300,)
            ),
            concurrency,
        )
        for conn in conns:
            conn.close()
        bare = rate(
            "BackOffice RegisterStaff (pipeline + library + chain)",
            n,
            lambda i, _: runtime.system(
                RegisterStaff(
                    staff_id=uuid.uuid4(), name=f"B{i}", branch="SH01", roles=[Role.TRADER]
                ),
                "bench",
            ),
            concurrency,
        )
        admin = uuid.uuid4()
        runtime.system(
            RegisterStaff(staff_id=admin, name="A", branch="HQ", roles=[Role.ADMIN]), "bench"
        )
        token = new_token()
        r = runtime.system(IssueToken(staff_id=admin, token_hash=token_hash(token)), "bench")
        runtime.runner.sync(r.position or 0)
        mutation = (
            'mutation($n: String!) { registerStaff(input: {name: $n, branch: "SH01",'
            " roles: [TRADER]}) { __typename } }"
        )
        with serving(create_app(runtime, run_projections=False)) as base:
            clients = [
                httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
                for _ in range(concurrency)
            ]
            api = rate(
                "GraphQL registerStaff over HTTP (uvicorn, loopback)",
                n,
                lambda i, t: _mutate(clients[t], mutation, f"G{i}"),
                concurrency,
            )
            for client in clients:
                client.close()
        print(f"\nlibrary / raw PostgreSQL  = {bare / raw:.2f}")
        print(f"GraphQL / library         = {api / bare:.2f}")
        runtime.close()
    finally:
        with server.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _mutate(client: httpx.Client, mutation: str, name: str) -> None:
    """One mutation; an error in the answer fails the run (a refused write is not a write)."""
    answer = client.post("/graphql", json={"query": mutation, "variables": {"n": name}})
    answer.raise_for_status()
    if answer.json().get("errors"):
        raise RuntimeError(answer.json()["errors"])


if __name__ == "__main__":
    # One staff member sends every mutation: the per-member rate limit would measure itself.
    os.environ.setdefault("RATE_LIMIT_PER_SECOND", "0")
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 500,
        int(sys.argv[2]) if len(sys.argv) > 2 else 1,
    )
