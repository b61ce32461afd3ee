"""The library's PostgreSQL datastore, able to lend one pooled connection to a whole command."""

from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool


def _translated(error: psycopg.Error) -> Exception:
    """The library's exception for a psycopg error (as its own ``get_connection`` maps them)."""
    for source, target in _ERRORS:
        if isinstance(error, source):
            return target(str(error))
    return PersistenceError(str(error))


_ERRORS: tuple[tuple[type[psycopg.Error], type[Exception]], ...] = (
    (psycopg.InterfaceError, InterfaceError),
    (psycopg.OperationalError, OperationalError),
    (psycopg.DataError, DataError),
    (psycopg.IntegrityError, IntegrityError),
    (psycopg.InternalError, InternalError),
    (psycopg.ProgrammingError, ProgrammingError),
    (psycopg.NotSupportedError, NotSupportedError),
    (psycopg.DatabaseError, DatabaseError),
)


def quiet_check(conn: Connection[DictRow]) -> None:
    """The pool's check of a connection it hands out, without a round trip when it can: idle
    in the pool, a live connection has nothing to read — its server speaks unasked only to end
    it (FATAL at shutdown, restart or termination, then end of file) or for a notification.
    So a connection with nothing to read is handed out as is; one with anything to read, or
    closed, gets the pool's own check (a round trip), which fails on a dead one (replaced).
    What neither notices at once — a host gone without closing its sockets — the ping would
    not have noticed sooner: it would wait on that silent socket just the same."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
    if poller.poll(0):
        ConnectionPool.check_connection(conn)


class CommandDatastore(PostgresDatastore):
    """The library's datastore, able to lend one pooled connection to everything a command
    does on its thread (its reads, its idempotency lookup, its write): one checkout and one
    liveness check per command instead of one per statement."""

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Within the block, this thread's ``get_connection`` gives the same connection."""
        pins = self.__dict__.setdefault("_pins", threading.local())
        if getattr(pins, "conn", None) is not None:
            yield  # nested (a command decided again after a lost race)
            return
        with super().get_connection() as conn:
            pins.conn = conn
            try:
                yield
            finally:
                pins.conn = None

    @contextmanager
    def get_connection(self) -> Iterator[Connection[DictRow]]:
        pins = self.__dict__.get("_pins")
        conn: Connection[DictRow] | None = getattr(pins, "conn", None)
        if conn is None or conn.closed or conn.broken:
            # Not in a command, or its connection died (the pool checks the next one).
            with super().get_connection() as fresh:
                yield fresh
            return
        try:
            yield conn
        except psycopg.Error as error:
            raise _translated(error) from error


class BackOfficeFactory(PostgresFactory):
    """The library's PostgreSQL factory, with a datastore that lends a connection per command."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        # The library builds its datastore inline; this subclass adds behaviour, no state.
        self.datastore.__class__ = CommandDatastore
        # POSTGRES_PRE_PING's check, minus its round trip when the socket shows the connection
        # alive (the pool keeps its check in ``_check``; a test asserts it is ours).
        pool = self.datastore.pool
        if getattr(pool, "_check", None) is ConnectionPool.check_connection:
            pool._check = quiet_check
