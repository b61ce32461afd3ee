"""The library's PostgreSQL datastore, able to lend one pooled connection to a whole command."""

from __future__ import annotations

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
