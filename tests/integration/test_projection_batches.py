"""Set-based batches: a batch of events is applied in a few multi-row statements, with exactly
the rows that applying its events one statement at a time gives, and a poison event in a batch
still stops its model just before it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from api.database import Database
from api.demo import seed
from api.runtime import Runtime
from domain.access import Role
from domain.staff import RegisterStaff, Staff
from projections import incidents, order_list
from projections.base import TRACKING_TABLE, on, upsert
from projections.rebuild import BlueGreen, rebuild_together
from projections.runner import ProjectionFailed, ProjectionRunner, positions
from projections.staff import StaffModel
from tests.conftest import run


def _replay_event_by_event(runtime: Runtime, database: Database, schema: str) -> None:
    """Every model replayed the old way: one event at a time, each handler's statements run
    one by one on a plain cursor, into tables of a schema of their own."""
    app = runtime.app
    notifications = app.recorder.select_notifications(start=1, limit=10**6)
    with psycopg.connect(
        database.url,
        autocommit=True,
        row_factory=dict_row,
        options=f"-c search_path={schema},public",
    ) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        for view in runtime.runner.views.values():
            for table in view.model.tables:
                conn.execute(
                    sql.SQL("CREATE TABLE {}.{} (LIKE public.{} INCLUDING ALL)").format(
                        sql.Identifier(schema), sql.Identifier(table), sql.Identifier(table)
                    )
                )
        for view in runtime.runner.views.values():
            model = view.model
            for n in notifications:
                if model.topics and n.topic not in model.topics:
                    continue
                with conn.transaction(), conn.cursor() as curs:
                    model.apply(curs, app.mapper.to_domain_event(n), n.id)


def _differences(database: Database, schema: str, table: str) -> tuple[int, int, int]:
    with database.connect() as conn:

        def count(query: sql.Composable) -> int:
            row = conn.execute(query).fetchone()
            return int(row[0]) if row else 0

        live = sql.SQL("public.{}").format(sql.Identifier(table))
        ref = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        diff = "SELECT count(*) FROM (SELECT * FROM {} EXCEPT ALL SELECT * FROM {}) d"
        return (
            count(sql.SQL("SELECT count(*) FROM {}").format(live)),
            count(sql.SQL(diff).format(live, ref)),
            count(sql.SQL(diff).format(ref, live)),
        )


def test_a_set_based_rebuild_gives_the_rows_of_applying_each_event_on_its_own(
    runtime: Runtime, database: Database, tmp_path: Path
) -> None:
    seed(runtime, tmp_path / "token", clients=12, orders=40)
    head = runtime.runner.head()
    with database.connect() as conn:
        row = conn.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM backoffice_events"
            " GROUP BY originator_id) c"
        ).fetchone()
    assert row is not None and row[0] >= 5  # records with many events, all in one batch
    _replay_event_by_event(runtime, database, "reference")

    names = list(runtime.runner.views)
    reached = rebuild_together(runtime.runner, names, resume=False)

    assert reached == dict.fromkeys(names, head)
    written = 0
    for view in runtime.runner.views.values():
        for table in view.model.tables:
            rows, only_live, only_reference = _differences(database, "reference", table)
            assert (table, only_live, only_reference) == (table, 0, 0)
            written += rows
    assert written > head  # orders, their timelines, clients, the audit trail …


def _register(rt: Runtime, n: int) -> int:
    position = 0
    for i in range(n):
        r = run(
            rt,
            RegisterStaff(
                staff_id=uuid.uuid4(), name=f"S{i:03d}", branch="SH01", roles=[Role.TRADER]
            ),
        )
        position = r.position or 0
    return position


def test_a_poison_event_failing_the_batch_statement_is_isolated_and_recorded(
    runtime: Runtime, database: Database
) -> None:
    class Poisoned(StaffModel):
        """The staff model plus a row per member that the database refuses for the third."""

        @on(Staff.Registered)
        def poison(self, curs: Any, event: Any, position: int) -> None:
            # Gathered with the batch's other rows, so the whole multi-row statement fails.
            at = None if position == base + 3 else event.envelope.occurred_at
            row = {"token_hash": event.originator_id.bytes, "staff_id": event.originator_id}
            upsert(curs, "staff_tokens", {**row, "issued_at": at}, key="token_hash")

    base = runtime.runner.head()  # the signing key's publication comes first
    head = _register(runtime, 6)
    runner = ProjectionRunner(runtime.app, [Poisoned()], database.url, batch_size=100)
    with pytest.raises(ProjectionFailed, match=f"at notification id {base + 3}"):
        runner.sync(head)
    with database.connect() as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM staff ORDER BY name").fetchall()]
        tracked = positions(conn, ["staff"])["staff"]
        stopped = incidents.stopped(conn)
        tracking_rows = conn.execute(
            f"SELECT count(*) FROM {TRACKING_TABLE} WHERE application_name = 'staff'"  # noqa: S608
        ).fetchone()
    assert names == ["S000", "S001"]  # the events before the poison, applied
    assert tracked == base + 2
    assert tracking_rows == (1,)
    assert stopped["staff"].notification_id == base + 3
    assert "issued_at" in (stopped["staff"].error or "")


def test_several_large_batches_in_one_transaction_each_write_all_their_rows(
    runtime: Runtime, database: Database
) -> None:
    head = _register(runtime, 150)
    runtime.runner.rebuild_batch_size = 70  # pages of more rows than a batch COPYs from
    blue_green = BlueGreen(runtime.runner, "audit")
    with blue_green._connect() as conn:
        blue_green._prepare(conn, resume=False)
        with conn.transaction():  # as when a swap catches up under its locks
            assert blue_green._apply_in_transaction(conn, 0, head) == head
        row = conn.execute("SELECT count(*) AS n FROM audit_log").fetchone()
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(blue_green.schema)))
    assert row is not None and row["n"] == head


def _table(database: Database, table: str) -> list[tuple[Any, ...]]:
    with database.connect() as conn:
        return conn.execute(
            sql.SQL("SELECT * FROM {} ORDER BY 1, 2, 3").format(sql.Identifier(table))
        ).fetchall()


@pytest.mark.parametrize("page", [10_000, 13])
def test_rebuilding_orders_and_audit_gives_exactly_the_rows_of_live_projection(
    runtime: Runtime, database: Database, tmp_path: Path, page: int
) -> None:
    # Live: the runner's own small batches, so most orders' events fall in several of them.
    runtime.runner.batch_size = 7
    seed(runtime, tmp_path / "token", clients=12, orders=40)
    tables = ("orders", "order_timeline", "order_counts", "audit_log")
    live = {t: _table(database, t) for t in tables}
    assert all(live.values())
    runtime.runner.rebuild_batch_size = page  # one page for the whole log, or many small ones
    for name in ("orders", "audit"):
        assert BlueGreen(runtime.runner, name).compare() == []
        BlueGreen(runtime.runner, name).rebuild(resume=False)
    rebuilt = {t: _table(database, t) for t in tables}
    assert rebuilt == live
    rebuild_together(runtime.runner, ["orders", "audit"], resume=False)
    assert {t: _table(database, t) for t in tables} == live


def test_the_blotter_counts_by_its_counts_table_what_counting_the_orders_gives(
    runtime: Runtime, database: Database, tmp_path: Path
) -> None:
    seed(runtime, tmp_path / "token", clients=12, orders=40)
    runtime.runner.sync(runtime.runner.head())
    with database.connect() as conn, conn.cursor(row_factory=dict_row) as curs:
        combos = curs.execute("SELECT DISTINCT branch, status, flag_status FROM orders").fetchall()
        filters = [order_list.OrderFilter()]
        for c in combos:
            filters += [
                order_list.OrderFilter(branch=c["branch"]),
                order_list.OrderFilter(status=c["status"]),
                order_list.OrderFilter(branch=c["branch"], status=c["status"]),
                order_list.OrderFilter(flag_status=c["flag_status"], flagged=True),
                order_list.OrderFilter(branch=c["branch"], awaiting_risk=False),
            ]
        assert len(combos) > 3  # several branches, statuses and flags
        for flt in filters:
            counted = order_list.count(curs, flt, by_table=False)  # over the orders
            assert order_list.count(curs, flt) == counted, flt
        # A filter the table does not cover counts the orders: the same as without it.
        everything = order_list.count(curs, order_list.OrderFilter())
        assert order_list.count(curs, order_list.OrderFilter(min_quantity=0)) == everything
