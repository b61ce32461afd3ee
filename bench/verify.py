"""``backoffice verify`` (the hash chain and every event's signature, as the command proves
them) in events per second, beside a plain server-side cursor read of the same table in the
same run.

Row of issue 14: verify ≥ 100,000 events/s (it was 0.6 of a plain cursor read).

Usage: python -m bench.verify [--database URL | --clients N --orders N --years N]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from api.integrity import state_decoder
from api.runtime import Runtime
from api.verification import verify_record
from bench.harness import Figure, Results, generated_store, note, store_arguments


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


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    store_arguments(parser, orders=200, clients=30)
    args = parser.parse_args(argv)
    with generated_store(args, "verify") as runtime:
        count, seconds = plain_read(runtime)
        plain = count / seconds
        note(f"plain cursor read: {count:,} rows in {seconds:.1f} s = {plain:,.0f} rows/s")
        began = time.perf_counter()
        report = verify_record(
            runtime.database,
            anchors=runtime.keys.public_keys(),
            decode=state_decoder(runtime.settings.cipher_key),
            store=None,
        )
        took = time.perf_counter() - began
        if not report.intact:
            raise SystemExit(f"the generated record does not verify: {report.problems[:3]}")
        rate = report.count / took
        note(f"verify: {report.count:,} events in {took:.1f} s = {rate:,.0f} events/s")
        results = Results("verify", {"events": report.count})
        f = Figure("verify", rate, "events/s", "plain_cursor_read", plain,
                   ">= 100,000 events/s")  # fmt: skip
        f.met = rate >= 100_000
        results.add(f)
        return results.print()


if __name__ == "__main__":
    main()
