"""Loading a long-lived record and ``asOf`` on it, with and without snapshots, beside loading a
10-event record in the same run (the flat cost the snapshots aim for).

A client gets EVENTS events through the application (contact changes); then, each timed
``ROUNDS`` times: ``find`` (what every command on it does first) on the short client, on the
long one with snapshots (``SNAPSHOT_INTERVAL``, default 100) and on the long one replayed from
its first event; a command on each (a contact change: load, decide, save, and every
``SNAPSHOT_INTERVAL`` events a snapshot); ``asOf`` at the latest moment and at the middle of
its life, from the nearest snapshot and from scratch. Prints a table and one JSON line with
every figure beside its baseline (p50/p99 in milliseconds; the ratio column divides by the
10-event load). Run with PYTHONPATH=. from the repository's root.

Runs on a scratch database of the server in DATABASE_URL, else the embedded one under
BACKOFFICE_HOME.  Usage: python bench/long_records.py [EVENTS] [ROUNDS]   (default 1000 200)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from eventsourcing.application import project_aggregate
from psycopg.rows import dict_row

from api.audit import as_of
from api.clocks import Clock
from api.migrate import migrate
from api.roles import connections
from api.runtime import open_runtime
from api.settings import get_settings
from bench.backup_restore import scratch
from domain import clients as c
from domain.clients.identity import DocumentType
from domain.staff import RegisterStaff

VALID_ID = "11010519491231002X"


def percentiles(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """(p50, p99) of ``fn`` in milliseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def main(events: int, rounds: int) -> None:
    """Build the records, time the loads, print the table and the JSON line."""
    settings = get_settings()
    server = connections(settings).admin
    with scratch(server, "long") as db, TemporaryDirectory() as home:
        migrate(db, service_role=None)
        rt = open_runtime(
            settings.model_copy(update={"backoffice_home": Path(home)}),
            database=db,
            run_migrations=False,
        )
        try:
            manager = uuid.uuid4()
            ctx = rt.context
            rt.app.execute(
                RegisterStaff(
                    staff_id=manager, name="经理", branch="SH01", roles=["account_manager"]
                ),  # type: ignore[arg-type]
                ctx(uuid.UUID(int=0)),
            )

            def client(changes: int) -> uuid.UUID:
                cid = uuid.uuid4()
                rt.app.execute(
                    c.RegisterClient(
                        client_id=cid,
                        client_type=c.ClientType.INDIVIDUAL,
                        name="张三",
                        source_channel=c.SourceChannel.WALK_IN,
                        account_manager=manager,
                    ),
                    ctx(manager),
                )
                rt.app.execute(
                    c.RecordIdentity(
                        client_id=cid,
                        real_name="张三",
                        document_type=DocumentType.RESIDENT_ID,
                        document_number=VALID_ID,
                    ),
                    ctx(manager),
                )
                for i in range(changes):
                    rt.app.execute(
                        c.RecordContact(
                            client_id=cid,
                            mobile=f"139{i:08d}",
                            id_address="北京市朝阳区",
                            mailing_address="上海市浦东新区",
                        ),
                        ctx(manager),
                    )
                return cid

            short = client(8)
            long = client(events - 2)
            middle = list(rt.app.events.get(long))[events // 2].timestamp
            app = rt.app

            def replay(record: uuid.UUID) -> object:
                return project_aggregate(None, app.events.get(record))

            conn = db.connect(autocommit=True)  # as the API's pool: one connection, reused
            curs = conn.cursor(row_factory=dict_row)

            def asof(at: datetime, snapshots: bool) -> Callable[[], object]:
                def run() -> object:
                    return as_of(app, curs, long, at, Clock.RECORDED, snapshots=snapshots)

                return run

            counter = iter(range(10**9))

            def command(record: uuid.UUID) -> Callable[[], object]:
                def run() -> object:
                    i = next(counter)
                    change = c.RecordContact(
                        client_id=record,
                        mobile=f"137{i:08d}",
                        id_address="北京市朝阳区",
                        mailing_address="上海市浦东新区",
                    )
                    return app.execute(change, ctx(manager))

                return run

            now = datetime.now(UTC)
            figures = {
                "command_10_events": percentiles(command(short), rounds),
                f"command_{events}_events_snapshots": percentiles(command(long), rounds),
                "load_10_events": percentiles(lambda: app.find(short), rounds),
                f"load_{events}_events_snapshots": percentiles(lambda: app.find(long), rounds),
                f"load_{events}_events_replay": percentiles(lambda: replay(long), rounds),
                "asof_latest_snapshots": percentiles(asof(now, True), rounds),
                "asof_latest_replay": percentiles(asof(now, False), rounds),
                "asof_middle_snapshots": percentiles(asof(middle, True), rounds),
                "asof_middle_replay": percentiles(asof(middle, False), rounds),
            }
            conn.close()
        finally:
            rt.close()
    base = figures["load_10_events"][0]
    print(f"{'figure':<40} {'p50 ms':>8} {'p99 ms':>8} {'p50 ÷ 10-event load':>20}")
    for name, (p50, p99) in figures.items():
        print(f"{name:<40} {p50:>8.2f} {p99:>8.2f} {p50 / base:>20.2f}")
    print(
        json.dumps(
            {
                "bench": "long_records",
                "events": events,
                "snapshot_interval": settings.snapshot_interval,
                **{f"{k}_p50_ms": round(v[0], 3) for k, v in figures.items()},
                **{f"{k}_p99_ms": round(v[1], 3) for k, v in figures.items()},
                "baseline": "load_10_events",
            }
        )
    )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 200,
    )
