"""Telling a database that is away from an event that is bad, and how long to wait for it.

A lost connection, a refused one, a pool timeout, a server shutting down, a deadlock: PostgreSQL
(or the way to it) will answer again, so the work is retried and nothing is recorded against a
read model. Anything else (bad data, a bug, a value a column cannot hold) fails the same way
every time, so retrying cannot help: that stops the one model that met it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from eventsourcing import persistence

# SQLSTATE classes that say "not now" rather than "not this": connection exception (08),
# transaction rollback (40: serialization failure, deadlock), insufficient resources (53),
# operator intervention (57: shutdown, cancel, cannot connect now), system error (58).
# Class 54 (program limit exceeded, e.g. an index row too large) is deliberately absent:
# psycopg calls it an OperationalError, but the same event will exceed the limit every time.
_TRANSIENT_CLASSES = frozenset({"08", "40", "53", "57", "58"})
_TRANSIENT_STATES = frozenset({"55P03"})  # lock_not_available (lock_timeout)


def _chain(exc: BaseException | None) -> list[BaseException]:
    found: list[BaseException] = []
    while exc is not None and exc not in found:
        found.append(exc)
        exc = exc.__cause__
    return found


def is_transient(exc: BaseException | None) -> bool:
    """True when ``exc`` (or the error it was raised from) means the database is unavailable
    for now, so the same work should be tried again later."""
    chain = _chain(exc)
    for error in chain:
        if isinstance(error, psycopg.Error):
            state = error.sqlstate
            if state is None:  # failed to connect, pool timeout, connection closed
                return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
            return state[:2] in _TRANSIENT_CLASSES or state in _TRANSIENT_STATES
    # The library's own wrappers, raised without a psycopg error behind them.
    return any(
        isinstance(e, persistence.OperationalError | persistence.InterfaceError) for e in chain
    )


def describe(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line of the message``, short enough for /health and a log line."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Backoff:
    """Capped exponential delays with jitter (so replicas do not retry in step)."""

    initial: float = 0.5
    cap: float = 15.0
    _next: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._next = self.initial

    def delay(self) -> float:
        """The next wait, doubling up to the cap."""
        current = self._next
        self._next = min(self._next * 2, self.cap)
        return min(current * random.uniform(0.8, 1.2), self.cap)

    def reset(self) -> None:
        """Start again from the initial delay (after a success)."""
        self._next = self.initial


@dataclass(frozen=True)
class Outage:
    """Since when a runner has been unable to work, and why (last seen)."""

    since: datetime
    error: str
    attempts: int
    transient: bool
