"""Which failures the command line answers in a line with the fix, and which keep their
traceback (a bug must not be hidden behind a friendly message)."""

from __future__ import annotations

import psycopg
from eventsourcing import persistence
from psycopg import errors as pg_errors

from api.cli.common import explain
from api.database import DatabaseNotFound


def _wrapped(outer: Exception, inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except Exception as caught:
        return caught


def test_connection_failures_are_explained_with_the_fix_even_when_the_library_wraps_them() -> None:
    refused = psycopg.OperationalError('connection to server at "db", port 5432 failed: refused')
    assert "host and port" in (explain(refused) or "")
    wrapped = _wrapped(persistence.OperationalError("pool"), refused)
    assert "host and port" in (explain(wrapped) or "")
    assert "BACKOFFICE_HOME" in (explain(DatabaseNotFound("no database; BACKOFFICE_HOME")) or "")


def test_bugs_and_failures_on_a_working_connection_keep_their_traceback() -> None:
    assert explain(RuntimeError("a bug")) is None
    assert explain(KeyError("x")) is None
    assert explain(pg_errors.QueryCanceled("canceling statement due to user request")) is None
    assert explain(pg_errors.UniqueViolation("duplicate key")) is None
    assert explain(_wrapped(persistence.IntegrityError("dup"), RuntimeError("bug"))) is None
    assert explain(_wrapped(persistence.OperationalError("gone"), RuntimeError("x"))) is not None
