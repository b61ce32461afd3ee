"""Which database errors are an outage (retry) and which are a bad event (stop the model)."""

from __future__ import annotations

import psycopg
import pytest
from eventsourcing import persistence
from psycopg import errors
from psycopg_pool import PoolTimeout

from projections.supervision import Backoff, is_transient


def _wrapped(cause: BaseException) -> persistence.OperationalError:
    try:
        raise persistence.OperationalError(str(cause)) from cause
    except persistence.OperationalError as exc:
        return exc


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("connection failed: No such file or directory"),
        psycopg.InterfaceError("the connection is closed"),
        PoolTimeout("couldn't get a connection after 5.00 sec"),
        errors.AdminShutdown("terminating connection due to administrator command"),
        errors.DeadlockDetected("deadlock detected"),
        errors.CannotConnectNow("the database system is starting up"),
        _wrapped(PoolTimeout("couldn't get a connection")),
    ],
)
def test_lost_connections_shutdowns_and_deadlocks_are_transient(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
        errors.ProgramLimitExceeded("index row size 2712 exceeds btree version 4 maximum"),
        errors.UndefinedColumn('column "x" does not exist'),
        errors.NumericValueOutOfRange("numeric field overflow"),
        ValueError("bad event"),
        None,
    ],
)
def test_bad_data_and_bugs_are_not_transient(error: Exception | None) -> None:
    assert not is_transient(error)


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_a_reset() -> None:
    backoff = Backoff(initial=1.0, cap=4.0)
    delays = [backoff.delay() for _ in range(5)]
    assert all(0.8 <= d / e <= 1.2 for d, e in zip(delays, [1, 2, 4, 4, 4], strict=True))
    assert max(delays) <= 4.0
    backoff.reset()
    assert backoff.delay() <= 1.2
