"""Complaints on real PostgreSQL: gapless monthly numbers under concurrent receipt, the queue,
and a rebuilt read model equal to the live one."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

from api.runtime import Runtime
from domain import complaints as k
from domain.complaints import Complaint, ComplaintNumbering, numbering_id
from projections import complaint_queries as queries
from projections import retention
from projections.rebuild import BlueGreen
from tests.conftest import run, staff

#: 10:00 in Shanghai on 23 November 2026.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def receipt(cid: uuid.UUID) -> k.ReceiveComplaint:
    return k.ReceiveComplaint(
        complaint_id=cid,
        channel=k.ComplaintChannel.ONLINE,
        category=k.ComplaintCategory.SERVICE,
        content="网上营业厅无法登录。",
        complainant_contact="someone@example.com",
    )


def test_fifty_complaints_received_at_once_are_numbered_one_to_fifty_without_gaps(
    runtime: Runtime,
) -> None:
    runtime.clock = lambda: NOW
    receivers = [staff(runtime, "customer_service") for _ in range(5)]
    ids = [uuid.uuid4() for _ in range(50)]
    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(
            pool.map(lambda n: run(runtime, receipt(ids[n]), receivers[n % 5]), range(50))
        )
    assert all(r.version == 1 for r in results)
    numbers = sorted(runtime.app.get(Complaint, cid).number for cid in ids)
    assert numbers == [f"CP-202611-{n:04d}" for n in range(1, 51)]
    counter = runtime.app.get(ComplaintNumbering, numbering_id("SH01", "202611"))
    assert counter.issued == 50
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        curs.execute("SELECT sequence FROM complaints ORDER BY sequence")
        assert [r["sequence"] for r in curs.fetchall()] == list(range(1, 51))


def test_a_receipt_retried_with_its_key_takes_no_second_number(runtime: Runtime) -> None:
    runtime.clock = lambda: NOW
    receiver = staff(runtime, "customer_service")
    cid = uuid.uuid4()
    first = run(runtime, receipt(cid), receiver, key="phone-call-0930")
    again = run(runtime, receipt(cid), receiver, key="phone-call-0930")
    assert again.replayed and again.aggregate_id == first.aggregate_id
    second = uuid.uuid4()
    run(runtime, receipt(second), receiver)
    assert runtime.app.get(Complaint, second).number == "CP-202611-0002"


def test_the_queue_finds_a_complaint_by_number_and_pages_by_receipt(runtime: Runtime) -> None:
    runtime.clock = lambda: NOW
    receiver = staff(runtime, "customer_service")
    ids = [uuid.uuid4() for _ in range(3)]
    for n, cid in enumerate(ids):
        runtime.clock = lambda n=n: NOW + timedelta(minutes=n)  # type: ignore[misc]
        run(runtime, receipt(cid), receiver)
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        found = queries.by_number(curs, "SH01", "cp-202611-0002")
        first = queries.page(curs, queries.ComplaintFilter(branch="SH01"), 2, None, NOW.date())
        rest = queries.page(
            curs, queries.ComplaintFilter(branch="SH01"), 2, first.end_cursor, NOW.date()
        )
    assert found is not None and found.id == ids[1]
    assert [r.id for r in first.items + rest.items] == ids
    assert first.has_next_page and not rest.has_next_page


def test_a_rebuilt_complaint_model_equals_the_live_one(runtime: Runtime) -> None:
    runtime.clock = lambda: NOW
    receiver = staff(runtime, "customer_service")
    cid = uuid.uuid4()
    run(runtime, receipt(cid), receiver)
    run(runtime, k.TakeComplaintIntoHandling(complaint_id=cid), receiver)
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        before = queries.timeline(curs, cid), queries.by_number(curs, "SH01", "CP-202611-0001")
    BlueGreen(runtime.runner, "complaints").rebuild()
    with runtime.cursor() as curs:
        after = queries.timeline(curs, cid), queries.by_number(curs, "SH01", "CP-202611-0001")
    assert after == before


def test_a_complaint_is_kept_five_years_from_the_end_of_its_year_under_pboc_2007(
    runtime: Runtime,
) -> None:
    runtime.clock = lambda: NOW
    cid = uuid.uuid4()
    run(runtime, receipt(cid), staff(runtime, "customer_service"))
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        lines = [
            line
            for line in retention.report(curs, ["pboc-2007"], "Asia/Shanghai")
            if line.record_id == cid
        ]
    assert [(x.record_class, x.earliest_removal) for x in lines] == [
        ("complaints", date(2032, 1, 1))
    ]
