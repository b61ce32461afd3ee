"""Group commit: commands that arrive while another is being written share one transaction
under the writers' lock, and each is still acknowledged or refused on its own — only after the
COMMIT that stored it — with the chain, the signatures and the idempotency rows intact."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any

import pytest

from api.database import Database
from api.runtime import Runtime
from api.store import BackOfficeRecorder
from domain import clients as c
from domain.access import Role
from domain.application import CommandResult
from domain.errors import Code, ConcurrencyConflict, ValidationError
from domain.staff import GrantRole, RegisterStaff
from tests.conftest import prospect, run, staff
from tests.integration.test_signatures import verify


def _recorder(rt: Runtime) -> BackOfficeRecorder:
    recorder = rt.app.recorder
    assert isinstance(recorder, BackOfficeRecorder)
    return recorder


@contextmanager
def one_group(rt: Runtime, size: int) -> Iterator[Callable[[Callable[[], Any]], Future[Any]]]:
    """Commands submitted in the block are decided at once but written together, as one group,
    when the block ends (the block waits until ``size`` of them are queued)."""
    group = _recorder(rt).group
    with ThreadPoolExecutor(max_workers=size) as pool:
        with group.held():
            yield pool.submit
            deadline = time.monotonic() + 30
            while group.waiting() < size:
                assert time.monotonic() < deadline, f"only {group.waiting()} of {size} queued"
                time.sleep(0.01)


def _register(rt: Runtime, key: str | None = None, staff_id: uuid.UUID | None = None) -> Any:
    command = RegisterStaff(
        staff_id=staff_id or uuid.uuid4(), name="李四", branch="SH01", roles=[Role.TRADER]
    )
    return lambda: run(rt, command, key=key)


def _transactions(database: Database, positions: list[int]) -> set[str]:
    """The ids of the transactions that wrote the events at these positions."""
    with database.connect() as conn:
        rows = conn.execute(
            "SELECT xmin::text AS x FROM backoffice_events WHERE notification_id = ANY(%s)",
            (positions,),
        ).fetchall()
    assert len(rows) == len(positions)
    return {row[0] for row in rows}


def _count(database: Database, sql: str, *params: object) -> int:
    with database.connect() as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def test_commands_that_arrive_together_are_written_in_one_transaction_and_each_acknowledged(
    runtime: Runtime, database: Database
) -> None:
    before = _recorder(runtime).group.groups
    with one_group(runtime, 8) as submit:
        futures = [submit(_register(runtime, key=f"k-{i}")) for i in range(8)]
    results: list[CommandResult] = [f.result() for f in futures]
    positions = [r.position for r in results]
    assert all(isinstance(p, int) for p in positions)
    assert len(set(positions)) == 8
    assert len(_transactions(database, positions)) == 1  # type: ignore[arg-type]
    assert _recorder(runtime).group.groups == before + 1
    assert (
        _count(
            database, "SELECT count(*) FROM backoffice_commands WHERE idempotency_key LIKE 'k-%%'"
        )
        == 8
    )
    report = verify(runtime)
    assert report.intact, report.problems


def test_many_concurrent_commands_are_all_stored_exactly_once_with_a_valid_chain(
    runtime: Runtime, database: Database
) -> None:
    ids = [uuid.uuid4() for _ in range(120)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda sid: _register(runtime, staff_id=sid)(), ids))
    assert {r.aggregate_id for r in results} == set(ids)
    assert len({r.position for r in results}) == len(ids)
    assert _count(
        database,
        "SELECT count(*) FROM backoffice_events WHERE originator_id = ANY(%s)",
        ids,
    ) == len(ids)
    assert _count(database, "SELECT count(*) FROM backoffice_event_signatures") == _count(
        database, "SELECT count(*) FROM backoffice_events"
    )
    report = verify(runtime)
    assert report.intact, report.problems


def _outcome(future: Future[Any]) -> Any:
    try:
        return future.result()
    except (ConcurrencyConflict, ValidationError) as refused:
        return refused


def test_a_conflict_a_taken_claim_and_a_replay_in_the_group_touch_nobody_else(
    runtime: Runtime, database: Database
) -> None:
    target = staff(runtime, "account_manager")
    manager = staff(runtime, "account_manager")
    first, second = prospect(runtime, manager), prospect(runtime, manager)
    same_key = _register(runtime, key="same-key", staff_id=uuid.uuid4())
    with one_group(runtime, 8) as submit:
        grants = [
            submit(partial(run, runtime, GrantRole(staff_id=target, role=role), expected=1))
            for role in (Role.RISK, Role.TRADER)
        ]
        openings = [
            submit(
                partial(
                    run, runtime, c.OpenAccount(client_id=cid, account_number="20000001"), manager
                )
            )
            for cid in (first, second)
        ]
        replays = [submit(same_key), submit(same_key)]
        plain = [submit(_register(runtime)) for _ in range(2)]
    granted = [_outcome(f) for f in grants]
    assert sum(isinstance(g, CommandResult) for g in granted) == 1
    assert sum(isinstance(g, ConcurrencyConflict) for g in granted) == 1
    opened = [_outcome(f) for f in openings]
    assert sum(isinstance(o, CommandResult) for o in opened) == 1
    duplicate = next(o for o in opened if isinstance(o, ValidationError))
    assert duplicate.reason == Code.DUPLICATE
    answers = [f.result() for f in replays]
    assert answers[0].position == answers[1].position
    assert sorted(a.replayed for a in answers) == [False, True]
    written = [f.result() for f in plain]
    assert all(w.position for w in written)
    # The winners, the first of the replays and the plain ones went in one transaction.
    positions = [
        r.position
        for r in [*granted, *opened, answers[0], *written]
        if isinstance(r, CommandResult)
    ]
    assert len(_transactions(database, positions)) == 1  # type: ignore[arg-type]
    report = verify(runtime)
    assert report.intact, report.problems


FAIL_AT_COMMIT = """
CREATE TABLE fail_at_commit (errcode text NOT NULL);
CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE code text;
BEGIN
    SELECT errcode INTO code FROM fail_at_commit;
    IF code IS NOT NULL THEN
        RAISE EXCEPTION 'simulated failure at commit' USING ERRCODE = code;
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON backoffice_event_signatures
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_at_commit();
GRANT SELECT ON fail_at_commit TO PUBLIC;
"""


def _fail_commits(database: Database, errcode: str | None) -> None:
    with database.connect() as conn:
        if errcode is None:
            conn.execute("DELETE FROM fail_at_commit")
            return
        found = conn.execute("SELECT to_regclass(%s)", ("fail_at_commit",)).fetchone()
        if not (found and found[0]):
            conn.execute(FAIL_AT_COMMIT)
        conn.execute("INSERT INTO fail_at_commit VALUES (%s)", (errcode,))


@pytest.mark.parametrize(
    "errcode",
    [
        "08006",  # the connection failed during COMMIT: whether it committed is unknown
        "P0001",  # the COMMIT itself refused the transaction
    ],
)
def test_a_group_whose_commit_fails_acknowledges_none_of_its_commands(
    runtime: Runtime, database: Database, errcode: str
) -> None:
    events_before = _count(database, "SELECT count(*) FROM backoffice_events")
    _fail_commits(database, errcode)
    ids = [uuid.uuid4() for _ in range(4)]
    with one_group(runtime, 4) as submit:
        futures = [submit(_register(runtime, key=f"f-{sid}", staff_id=sid)) for sid in ids]
    for future in futures:
        with pytest.raises(Exception, match="simulated failure at commit"):
            future.result()
    assert _count(database, "SELECT count(*) FROM backoffice_events") == events_before
    assert (
        _count(
            database, "SELECT count(*) FROM backoffice_commands WHERE idempotency_key LIKE 'f-%%'"
        )
        == 0
    )
    _fail_commits(database, None)
    # Retried, each is written once; the store proves whole.
    again = [_register(runtime, key=f"f-{sid}", staff_id=sid)() for sid in ids]
    assert all(not a.replayed and a.position for a in again)
    report = verify(runtime)
    assert report.intact, report.problems


def test_a_lone_command_is_written_at_once_by_its_own_thread(runtime: Runtime) -> None:
    group = _recorder(runtime).group
    groups, jobs = group.groups, group.jobs
    writer: list[str] = []
    real = group._write

    def spy(batch: Any) -> None:
        writer.append(threading.current_thread().name)
        real(batch)

    group._write = spy
    result = _register(runtime)()
    assert result.position
    assert (group.groups, group.jobs) == (groups + 1, jobs + 1)
    assert writer == [threading.current_thread().name]
