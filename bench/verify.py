"""``backoffice verify`` (the hash chain and every event's signature, as the command proves
them) in events per second, beside a plain server-side cursor read of the same table in the
same run; with ``--jobs`` worker processes checking signatures (default: one per CPU), and
in line (``--jobs 1``) in the same run; and what one Ed25519 check costs here, by the
libsodium verify checks with (PyNaCl) beside OpenSSL's (``cryptography``).

Row of issue 14: verify ≥ 100,000 events/s (it was 0.6 of a plain cursor read).

Usage: python -m bench.verify [--jobs N] [--database URL | --clients N --orders N --years N]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.integrity import Report, state_decoder
from api.runtime import Runtime
from api.signature_pool import SignaturePool, default_jobs
from api.signing import ActiveKey, verifies
from api.verification import verify_record
from bench.harness import Figure, Results, generated_store, note, store_arguments

TARGET = 100_000


def plain_read(runtime: Runtime) -> tuple[int, float]:
    """Every row of the events table through a named (server-side) cursor: (rows, seconds)."""
    began, count = time.perf_counter(), 0
    with runtime.database.connect() as conn, conn.transaction():
        with conn.cursor("plain_read") as curs:
            curs.itersize = 10_000
            curs.execute("SELECT * FROM backoffice_events ORDER BY notification_id")
            for _ in curs:
                count += 1
    return count, time.perf_counter() - began


def timed_verify(runtime: Runtime, pool: SignaturePool) -> tuple[Report, float, float]:
    """The report, its wall seconds, and this process's CPU seconds (the sequential part:
    reading, the chain, building each signed message, handing it to a worker)."""
    began, cpu = time.perf_counter(), time.process_time()
    report = verify_record(
        runtime.database,
        anchors=runtime.keys.public_keys(),
        decode=state_decoder(runtime.settings.cipher_key),
        store=None,
        pool=pool,
    )
    took, cpu = time.perf_counter() - began, time.process_time() - cpu
    if not report.intact:
        raise SystemExit(f"the generated record does not verify: {report.problems[:3]}")
    return report, took, cpu


def ed25519_us(rounds: int = 10, n: int = 200) -> tuple[float, float]:
    """µs per verification of an event-sized message, (libsodium, OpenSSL): the fastest of
    ``rounds`` alternating rounds, so that a busy machine slows neither side alone."""
    signer = ActiveKey("ed25519:0123456789abcdef", Ed25519PrivateKey.generate())
    message = bytes(range(256)) * 3
    signature = signer.sign(message)
    public = signer.private.public_key()
    sodium = openssl = float("inf")
    for _ in range(rounds):
        began = time.process_time()
        for _ in range(n):
            verifies(signer.public_key, signature, message)
        sodium = min(sodium, time.process_time() - began)
        began = time.process_time()
        for _ in range(n):
            public.verify(signature, message)
        openssl = min(openssl, time.process_time() - began)
    return sodium / n * 1e6, openssl / n * 1e6


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    store_arguments(parser, orders=200, clients=30)
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="signature workers")
    args = parser.parse_args(argv)
    # The pool before the store: its workers are forked before the connection pool's threads.
    with SignaturePool(args.jobs) as pool, generated_store(args, "verify") as runtime:
        count, seconds = plain_read(runtime)
        plain = count / seconds
        note(f"plain cursor read: {count:,} rows in {seconds:.1f} s = {plain:,.0f} rows/s")
        report, took, cpu = timed_verify(runtime, pool)
        rate = report.count / took
        note(f"verify --jobs {pool.jobs}: {report.count:,} events in {took:.1f} s = {rate:,.0f}/s")
        note(f"  its own process: {cpu / report.count * 1e6:.1f} µs CPU per event")
        results = Results("verify", {"events": report.count, "jobs": pool.jobs})
        f = Figure("verify", rate, "events/s", "plain_cursor_read", plain,
                   f">= {TARGET:,} events/s")  # fmt: skip
        f.met = rate >= TARGET
        results.add(f)
        if pool.jobs > 1:
            with SignaturePool(1) as in_line:
                _, took_1, cpu_1 = timed_verify(runtime, in_line)
            rate_1 = report.count / took_1
            note(f"verify --jobs 1: {report.count:,} events in {took_1:.1f} s = {rate_1:,.0f}/s")
            results.add(Figure("verify_jobs_1", rate_1, "events/s", "plain_cursor_read", plain,
                               "(in line, for comparison)"))  # fmt: skip
            # What stays sequential: with enough workers, 10^6 / this µs is the ceiling.
            reader, whole = cpu / report.count * 1e6, cpu_1 / report.count * 1e6
            results.add(Figure("verify_reader_cpu_us_per_event", reader, "µs",
                               "verify_jobs_1_cpu_us_per_event", whole,
                               "(the sequential part)"))  # fmt: skip
        sodium, openssl = ed25519_us()
        note(f"Ed25519 verify: {sodium:.1f} µs (libsodium), {openssl:.1f} µs (OpenSSL)")
        results.add(Figure("ed25519_verify_us", sodium, "µs", "openssl_verify_us", openssl,
                           "(what bounds verify)", ratio=openssl / sodium))  # fmt: skip
        return results.print()


if __name__ == "__main__":
    main()
