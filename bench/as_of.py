"""``asOf`` of a long-lived record over HTTP (uvicorn, loopback), p50 and p99, beside the same
query on a short record in the same run; and a command on the long record beside the same
command on the short one (the record is loaded to decide it).

The records are clients whose contact details were recorded again and again through the
commands (RecordContact), so each event is a real one.

Row of issue 14: asOf of a 1,000-event record p99 ≤ 30 ms; a command's cost flat in the
record's length.

Usage: python -m bench.as_of [--events 1000] [--short 10] [--requests N]
       [--database URL | --clients N --orders N ...]
"""

from __future__ import annotations

import argparse
import statistics
import uuid
from typing import Any

from api.app import create_app
from api.runtime import Runtime
from bench.harness import (
    Figure,
    Results,
    generated_store,
    http_latencies,
    note,
    percentile,
    staff_token,
    store_arguments,
    timings,
)
from bench.write_path import serving
from domain import clients as c

QUERY = """query($id: UUID!, $at: DateTime!) { asOf(aggregateId: $id, at: $at) {
  aggregateType version position state } }"""


def long_record(runtime: Runtime, manager: uuid.UUID, events: int) -> uuid.UUID:
    """A client with ``events`` events: registered, then its contact recorded again and again."""
    cid = uuid.uuid4()
    context = runtime.context(manager, reason="bench")
    runtime.app.execute(
        c.RegisterClient(
            client_id=cid,
            client_type=c.ClientType.INDIVIDUAL,
            name="长青",
            source_channel=c.SourceChannel.WALK_IN,
            account_manager=manager,
        ),
        context,
    )
    for i in range(events - 1):
        contact(runtime, manager, cid, i)
    return cid


def contact(runtime: Runtime, manager: uuid.UUID, cid: uuid.UUID, i: int) -> None:
    """One RecordContact on client ``cid`` (a new mobile number each time)."""
    runtime.app.execute(
        c.RecordContact(
            client_id=cid,
            mobile=f"139{i % 100_000_000:08d}",
            id_address="上海市某路1号",
            mailing_address="上海市某街1号",
        ),
        runtime.context(manager, reason="bench"),
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    store_arguments(parser, orders=20, clients=5)
    parser.add_argument("--events", type=int, default=1000, help="events of the long record")
    parser.add_argument("--short", type=int, default=10, help="events of the short record")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    n = args.requests
    with generated_store(args, "asof") as runtime:
        manager, _ = staff_token(runtime, ["account_manager", "marketing"], branch="SH01")
        _, token = staff_token(runtime, ["head_office"])
        note(f"recording a {args.events}-event record through the commands")
        long_id = long_record(runtime, manager, args.events)
        short_id = long_record(runtime, manager, args.short)
        at = runtime.clock().isoformat()
        results = Results("as_of", {"events": args.events, "short": args.short, "requests": n})
        with serving(create_app(runtime, run_projections=False)) as base:
            samples = {}
            for name, record in (("long", long_id), ("short", short_id)):
                body = {"query": QUERY, "variables": {"id": str(record), "at": at}}
                http_latencies(base, token, body, 3)  # warm up
                samples[name], _ = http_latencies(base, token, body, n)
        for p in (50, 99):
            long_p, short_p = percentile(samples["long"], p), percentile(samples["short"], p)
            f = Figure(f"as_of_{args.events}_events_p{p}", long_p, "ms",
                       f"as_of_{args.short}_events_p{p}", short_p,
                       "<= 30 ms" if p == 99 else "(context)")  # fmt: skip
            f.met = long_p <= 30 if p == 99 else None
            results.add(f)
        commands = max(5, n // 4)
        offset = args.events
        on_long = statistics.median(
            timings(commands, lambda i: contact(runtime, manager, long_id, offset + i))
        )
        on_short = statistics.median(
            timings(commands, lambda i: contact(runtime, manager, short_id, offset + i))
        )
        f = Figure(f"command_on_{args.events}_events", on_long, "ms (median)",
                   f"command_on_{args.short}_events", on_short,
                   "flat (<= 1.2 of baseline)")  # fmt: skip
        f.met = (f.ratio or 0) <= 1.2
        results.add(f)
        return results.print()


if __name__ == "__main__":
    main()
