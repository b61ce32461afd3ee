"""Write path, at 1 and at 8 concurrent writers, each figure beside its same-run baseline:

- raw PostgreSQL: one-row INSERT commits (autocommit), one connection per writer;
- the bare ``eventsourcing`` library: ``Application.save`` of a one-event aggregate into its
  own table (no chain, no signature, no pipeline);
- a BackOffice command (``RegisterStaff`` through ``BackOffice.execute``: intake,
  authorisation, the chained and signed save);
- the same command as a GraphQL mutation served by uvicorn over loopback.

Rows of issue 14: GraphQL ÷ bare save at c=1 and c=8 (target ≥ 0.40), BackOffice command ÷
bare save (≥ 0.80), the command at c=8 ÷ raw INSERT commits at c=8 (≥ 0.50).

Runs on a scratch database of the server in DATABASE_URL, else the embedded one under
BACKOFFICE_HOME.  Usage: python -m bench.write_path [--n N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import uvicorn
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from fastapi import FastAPI

from api.app import create_app
from api.auth import new_token, token_hash
from api.runtime import open_runtime
from bench.harness import Figure, Results, bench_settings, note, scratch_database
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


def rate(label: str, n: int, fn: Callable[[int], object], concurrency: int = 1) -> float:
    """Run ``fn(i)`` for i < n on ``concurrency`` threads; print and return operations/s."""
    start = time.perf_counter()
    if concurrency == 1:
        for i in range(n):
            fn(i)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            for _ in pool.map(fn, range(n)):
                pass
    per_second = n / (time.perf_counter() - start)
    note(f"{label:<58} c={concurrency:<2} {per_second:>9.0f} ops/s")
    return per_second


class Bare(Aggregate):
    """The smallest aggregate: one event on creation."""

    def __init__(self, name: str) -> None:
        self.name = name


class BareApplication(Application[uuid.UUID]):
    """The library on its own: its own table, no chain, no signatures, no pipeline."""

    env = {"IS_SNAPSHOTTING_ENABLED": "n"}  # noqa: RUF012


def raw_inserts(url: str, n: int, concurrency: int) -> float:
    """One-row INSERT commits, one connection per writer."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS raw_inserts (id bigserial PRIMARY KEY, body bytea)"
        )
    local = threading.local()
    conns: list[psycopg.Connection[Any]] = []

    def insert(_: int) -> None:
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(url, autocommit=True)
            conns.append(local.conn)
        local.conn.execute("INSERT INTO raw_inserts (body) VALUES (%s)", (b"x" * 300,))

    try:
        return rate("raw PostgreSQL: one-row INSERT, autocommit", n, insert, concurrency)
    finally:
        for conn in conns:
            conn.close()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="operations per measurement")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    n, c = args.n, args.concurrency
    results = Results("write_path", {"n": n, "concurrency": c})
    settings = bench_settings(pool_size=c + 2)
    with scratch_database("write") as database:
        runtime = open_runtime(settings, database=database, run_migrations=False)
        env = database.eventsourcing_env()
        env.update({"CREATE_TABLE": "y", "POSTGRES_POOL_SIZE": str(c + 2)})
        bare_app = BareApplication(env=env)
        try:
            raw = {k: raw_inserts(database.url, n, k) for k in (1, c)}
            bare = {
                k: rate(
                    "bare eventsourcing Application.save",
                    n,
                    lambda i: bare_app.save(Bare(f"b{i}")),
                    k,
                )
                for k in (1, c)
            }

            def command(i: int) -> object:
                staff = RegisterStaff(
                    staff_id=uuid.uuid4(), name=f"B{i}", branch="SH01", roles=[Role.TRADER]
                )
                return runtime.system(staff, "bench")

            ours = {k: rate("BackOffice RegisterStaff (pipeline + chain + sign)", n, command, k)
                    for k in (1, c)}  # fmt: skip
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
            api: dict[int, float] = {}
            with serving(create_app(runtime, run_projections=False)) as base:
                local = threading.local()

                def post(i: int) -> None:
                    if not hasattr(local, "client"):
                        local.client = httpx.Client(
                            base_url=base, headers={"Authorization": f"Bearer {token}"}
                        )
                    answer = local.client.post(
                        "/graphql", json={"query": mutation, "variables": {"n": f"G{i}"}}
                    ).raise_for_status()
                    if answer.json().get("errors"):
                        raise RuntimeError(answer.json()["errors"])

                for k in (1, c):
                    api[k] = rate("GraphQL registerStaff over HTTP (uvicorn)", n, post, k)
        finally:
            bare_app.close()
            runtime.close()
    for k in (1, c):
        f = Figure(f"graphql_mutation_c{k}", api[k], "mutations/s",
                   f"bare_library_save_c{k}", bare[k], ">= 0.40 of baseline")  # fmt: skip
        f.met = (f.ratio or 0) >= 0.40
        results.add(f)
    f = Figure("backoffice_command_c1", ours[1], "commands/s", "bare_library_save_c1", bare[1],
               ">= 0.80 of baseline")  # fmt: skip
    f.met = (f.ratio or 0) >= 0.80
    results.add(f)
    f = Figure(f"backoffice_command_c{c}", ours[c], "commands/s", f"raw_insert_commits_c{c}",
               raw[c], ">= 0.50 of baseline")  # fmt: skip
    f.met = (f.ratio or 0) >= 0.50
    results.add(f)
    f = Figure(f"bare_library_save_c{c}", bare[c], "saves/s", f"raw_insert_commits_c{c}",
               raw[c], "(context)")  # fmt: skip
    results.add(f)
    return results.print()


if __name__ == "__main__":
    main()
