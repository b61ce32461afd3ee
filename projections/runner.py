"""Keeps read models current: catches up in batches, then follows LISTEN/NOTIFY.

One active runner per read model across all processes, held by a PostgreSQL advisory lock;
other runners wait as hot standbys. The runner never wedges: when PostgreSQL goes away it backs
off and comes back by itself, re-taking its locks; an event a model cannot apply stops that
model alone, at that event, recorded in ``projection_incidents`` until an operator resumes it.
An event is never skipped, and a failed batch leaves neither rows nor a tracking update behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import psycopg
from eventsourcing.persistence import Notification
from psycopg.rows import tuple_row

from domain.application import BackOffice
from projections import incidents
from projections.base import TRACKING_TABLE, PositionMoved, ReadModel, ReadModelView
from projections.supervision import Backoff, Outage, describe, is_transient

log = logging.getLogger("backoffice.projections")

EVENTS_CHANNEL = "backoffice_events"
_LOCK_CLASS = 0x0B0F  # first key of the advisory lock pair; the second is the model's name

#: Progress callback: (model name, position reached, head to reach).
Progress = Callable[[str, int, int], None]


class ProjectionFailed(RuntimeError):
    """A read model could not apply an event; it stopped at the position before it."""

    def __init__(
        self,
        model: str,
        position: int,
        cause: BaseException,
        notification_id: int | None = None,
    ) -> None:
        at = f" at notification id {notification_id}" if notification_id is not None else ""
        super().__init__(f"projection {model!r} failed after position {position}{at}: {cause!r}")
        self.model = model
        self.position = position
        self.notification_id = notification_id
        self.reason = describe(cause)


def lock_key(name: str) -> tuple[int, int]:
    """The advisory lock of one read model."""
    return _LOCK_CLASS, zlib.crc32(name.encode()) - 2**31


@dataclass(frozen=True)
class Lag:
    """How far one read model is behind the event store."""

    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        """Events recorded but not yet applied."""
        return max(self.head - self.position, 0)


class ProjectionRunner:
    """Runs a set of read models against one application's event store."""

    def __init__(
        self,
        app: BackOffice,
        models: Sequence[ReadModel],
        conninfo: str,
        *,
        batch_size: int = 500,
        rebuild_batch_size: int = 10_000,
        max_backoff: float = 15.0,
    ) -> None:
        self.app = app
        self.conninfo = conninfo
        self.batch_size = batch_size
        #: Events a rebuild reads (and applies, per model, in one transaction) at a time.
        self.rebuild_batch_size = rebuild_batch_size
        self.datastore = app.factory.datastore  # type: ignore[attr-defined]
        self.views = {m.name: ReadModelView(self.datastore, m) for m in models}
        #: The latest failure this runner met (until that model is resumed).
        self.error: ProjectionFailed | None = None
        #: Models stopped on an event, as last read from ``projection_incidents``.
        self.stopped: dict[str, incidents.Incident] = {}
        #: Set while the runner cannot work (the database is away): since when, and why.
        self.outage: Outage | None = None
        self.active: set[str] = set()
        #: How many times ``run_forever`` has (re)connected: 1 until the first outage.
        self.sessions = 0
        self.identity = f"runner {socket.gethostname()} pid {os.getpid()}"
        self._backoff = Backoff(cap=max_backoff)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one pass -------------------------------------------------------------------------

    def head(self) -> int:
        """The newest notification id in the store (0 when empty)."""
        with self.datastore.get_connection() as conn:
            return self._head(conn)

    def _head(self, conn: psycopg.Connection[Any]) -> int:
        # Our own query, not the recorder's: that one retries for seconds when the database is
        # away, which /health and the supervisor would rather hear about at once.
        table = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        with conn.cursor(row_factory=tuple_row) as curs:
            row = curs.execute(f"SELECT max(notification_id) FROM {table}").fetchone()  # noqa: S608
        return int(row[0] or 0) if row else 0

    def catch_up(self, name: str, progress: Progress | None = None) -> int:
        """Apply every event after the model's position up to the current head."""
        view = self.views[name]
        head = self.head()
        position = view.position()
        while position < head:
            notifications = self.app.recorder.select_notifications(
                start=position + 1, limit=self.batch_size, stop=head, topics=view.model.topics
            )
            # A short batch means nothing of interest is left before the head: jump to it.
            upto = notifications[-1].id if len(notifications) == self.batch_size else head
            try:
                if not self._apply(view, notifications, position, upto):
                    # Find the event that fails, outside the handler of the batch's error.
                    upto = self._one_by_one(view, notifications, position, upto)
            except PositionMoved as moved:
                position = moved.found  # someone else applied these; go on from there
                continue
            position = upto
            if progress is not None:
                progress(name, position, head)
        return position

    def _apply(
        self, view: ReadModelView, notifications: Sequence[Notification], position: int, upto: int
    ) -> bool:
        """Apply one batch; False when an event in it failed (an outage is raised)."""
        try:
            events = [(self.app.mapper.to_domain_event(n), n.id) for n in notifications]
            view.apply_batch(events, upto, expected=position)
        except PositionMoved:
            raise
        except Exception as exc:
            if is_transient(exc):
                raise
            return False
        return True

    def _one_by_one(
        self, view: ReadModelView, notifications: Sequence[Notification], position: int, upto: int
    ) -> int:
        """After a batch failed: apply its events one per transaction to find the one that
        fails, leaving the model just before it; return ``upto`` if none fails again."""
        name = view.model.name
        for n in notifications:
            try:
                view.apply_batch([(self.app.mapper.to_domain_event(n), n.id)], n.id, position)
            except Exception as exc:
                if isinstance(exc, PositionMoved) or is_transient(exc):
                    raise
                raise ProjectionFailed(name, position, exc, n.id) from exc
            position = n.id
        if position < upto:
            try:
                view.apply_batch([], upto, position)
            except Exception as exc:
                if isinstance(exc, PositionMoved) or is_transient(exc):
                    raise
                raise ProjectionFailed(name, position, exc) from exc
        return upto

    def lags(self) -> list[Lag]:
        """Position and head of every model (one pooled connection, no retries)."""
        with self.datastore.get_connection() as conn:
            head = self._head(conn)
            seen = positions(conn, list(self.views))
        return [Lag(name, seen[name], head) for name in self.views]

    def sync(self, position: int, timeout: float = 10.0) -> None:
        """Bring every model to ``position``: apply here what no runner holds, else wait.
        Raises ProjectionFailed for a model that is stopped on an event."""
        with self._connect() as conn:
            self._refuse_stopped(conn)
            for name in self.views:
                if self._lock(conn, name, 0):
                    try:
                        self.catch_up(name)
                    except ProjectionFailed as failed:
                        self._record(conn, failed)
                        raise
                    finally:
                        conn.execute("SELECT pg_advisory_unlock(%s, %s)", lock_key(name))
            seen = wait_for(self._connect, list(self.views), position, timeout)
        behind = {n: p for n, p in seen.items() if p < position}
        if behind:
            raise TimeoutError(f"read models still behind position {position}: {behind}")

    def _refuse_stopped(self, conn: psycopg.Connection[Any]) -> None:
        for name, incident in incidents.stopped(conn).items():
            if name in self.views:
                raise ProjectionFailed(
                    name, incident.position, RuntimeError(incident.error), incident.notification_id
                )

    # -- following ------------------------------------------------------------------------

    def run_forever(self, poll: float = 1.0) -> None:
        """Follow the store until ``stop()``. When the database goes away, back off (capped,
        exponential) and start over with new connections and locks; a model that cannot apply
        an event stops alone until resumed."""
        while not self._stop.is_set():
            try:
                self._follow(poll)
            except Exception as exc:
                self._note_outage(exc)
            finally:
                self.active.clear()  # the locks ended with their connection
            if self.outage is not None and self._stop.wait(self._backoff.delay()):
                break

    def _follow(self, poll: float) -> None:
        with self._connect() as lock_conn, self._connect() as listen_conn:
            listen_conn.execute(f"LISTEN {EVENTS_CHANNEL}")
            self.sessions += 1
            while not self._stop.is_set():
                # Also proves the lock connection alive, and with it the locks it holds.
                self._refresh_stopped(lock_conn)
                for name in self.views:
                    if name not in self.active and self._lock(lock_conn, name, 0):
                        log.info("projection %s: active", name)
                        self.active.add(name)
                for name in sorted(self.active - self.stopped.keys()):
                    try:
                        self.catch_up(name)
                    except ProjectionFailed as failed:
                        self._record(lock_conn, failed)
                self._recovered()
                # Woken by the next insert, or after ``poll`` to retry standby locks.
                for _ in listen_conn.notifies(timeout=poll, stop_after=1):
                    pass

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            self.conninfo,
            autocommit=True,
            connect_timeout=5,
            application_name="backoffice projections",
            # A dead peer is noticed within a minute even while nothing is sent (TCP only).
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
        )

    def _refresh_stopped(self, conn: psycopg.Connection[Any]) -> None:
        found = {n: i for n, i in incidents.stopped(conn).items() if n in self.views}
        for name in self.stopped.keys() - found.keys():
            log.info("projection %s: resumed by an operator; catching up", name)
            if self.error is not None and self.error.model == name:
                self.error = None
        self.stopped = found

    def _record(self, conn: psycopg.Connection[Any], failed: ProjectionFailed) -> None:
        incident = incidents.record_failure(
            conn, failed.model, failed.position, failed.notification_id, failed.reason,
            self.identity,
        )  # fmt: skip
        self.stopped[failed.model] = incident
        self.error = failed
        log.error(
            "projection %s stopped at notification id %s (position %s): %s [incident %s]; the"
            " other read models go on. Release a fix, then: backoffice project resume %s",
            failed.model,
            failed.notification_id,
            failed.position,
            failed.reason,
            incident.id,
            failed.model,
            exc_info=failed.__cause__ or failed,
        )

    def _note_outage(self, exc: Exception) -> None:
        """Log once when the runner loses the database (or crashes), quietly on each retry."""
        transient = is_transient(exc)
        if self.outage is None:
            self.outage = Outage(datetime.now(UTC), describe(exc), 1, transient)
            if transient:
                log.warning("projections paused, the database is unavailable: %s", describe(exc))
            else:
                log.error("projection runner failed; restarting it", exc_info=exc)
            return
        self.outage = replace(self.outage, error=describe(exc), attempts=self.outage.attempts + 1)
        log.debug("projection runner: still retrying: %s", describe(exc))

    def _recovered(self) -> None:
        if self.outage is None:
            return
        seconds = (datetime.now(UTC) - self.outage.since).total_seconds()
        log.warning(
            "projections running again after %.1f s (%d attempts)", seconds, self.outage.attempts
        )
        self.outage = None
        self._backoff.reset()

    @property
    def state(self) -> str:
        """``following``, ``reconnecting`` or ``not running`` (this process's runner)."""
        if self._thread is None or not self._thread.is_alive():
            return "not running"
        return "reconnecting" if self.outage is not None else "following"

    def start(self) -> threading.Thread:
        """Run in a daemon thread (``backoffice serve``); state is on ``outage``/``stopped``."""

        def target() -> None:
            try:
                self.run_forever()
            except BaseException as exc:  # run_forever handles every Exception; be loud anyway
                self.error = ProjectionFailed("*", 0, exc)
                log.exception("projection runner ended")

        self._stop.clear()
        self._thread = threading.Thread(target=target, name="projections", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to end and wait for it."""
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            with (
                contextlib.suppress(psycopg.Error),
                psycopg.connect(self.conninfo, autocommit=True, connect_timeout=2) as conn,
            ):
                conn.execute(f"NOTIFY {EVENTS_CHANNEL}")  # wake the loop now, not at the poll
            self._thread.join(timeout)

    @staticmethod
    def _lock(conn: psycopg.Connection[Any], name: str, wait: float) -> bool:
        deadline = time.monotonic() + wait
        while True:
            row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", lock_key(name)).fetchone()
            if row and row[0]:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)


def positions(conn: psycopg.Connection[Any], names: Sequence[str]) -> dict[str, int]:
    """The tracking positions of the named models (0 for one that has not started)."""
    with conn.cursor(row_factory=tuple_row) as curs:
        rows = curs.execute(
            f"SELECT application_name, notification_id FROM {TRACKING_TABLE}"  # noqa: S608
            " WHERE application_name = ANY(%s)",
            (list(names),),
        ).fetchall()
    found = {r[0]: int(r[1]) for r in rows}
    return {n: found.get(n, 0) for n in names}


def wait_for(
    connect: Callable[[], psycopg.Connection[Any]],
    names: Sequence[str],
    position: int,
    timeout: float,
    interval: float = 0.02,
) -> dict[str, int]:
    """Wait until every named model has reached ``position``; return the positions seen last."""
    deadline = time.monotonic() + timeout
    with connect() as conn:
        while True:
            seen = positions(conn, names)
            if all(p >= position for p in seen.values()) or time.monotonic() >= deadline:
                return seen
            time.sleep(interval)
