"""Keeps read models current: catches up in batches, then follows LISTEN/NOTIFY.

One active runner per read model across all processes, held by a PostgreSQL advisory lock;
other runners wait as hot standbys. Any error stops the runner loudly: an event is never
skipped, and the failed batch leaves neither rows nor a tracking update behind.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from domain.application import BackOffice
from projections.base import TRACKING_TABLE, ReadModel, ReadModelView

log = logging.getLogger("backoffice.projections")

EVENTS_CHANNEL = "backoffice_events"
_LOCK_CLASS = 0x0B0F  # first key of the advisory lock pair; the second is the model's name

#: Progress callback: (model name, position reached, head to reach).
Progress = Callable[[str, int, int], None]


class ProjectionFailed(RuntimeError):
    """A read model could not apply an event; the runner stopped at that position."""

    def __init__(self, model: str, position: int, cause: BaseException) -> None:
        super().__init__(f"projection {model!r} failed after position {position}: {cause!r}")
        self.model = model
        self.position = position


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
    ) -> None:
        self.app = app
        self.conninfo = conninfo
        self.batch_size = batch_size
        datastore = app.factory.datastore  # type: ignore[attr-defined]
        self.views = {m.name: ReadModelView(datastore, m) for m in models}
        self.error: ProjectionFailed | None = None
        self.active: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one pass -------------------------------------------------------------------------

    def head(self) -> int:
        """The newest notification id in the store (0 when empty)."""
        return self.app.recorder.max_notification_id() or 0

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
                events = [(self.app.mapper.to_domain_event(n), n.id) for n in notifications]
                view.apply_batch(events, upto)
            except Exception as exc:
                raise ProjectionFailed(name, position, exc) from exc
            position = upto
            if progress is not None:
                progress(name, position, head)
        return position

    def lags(self) -> list[Lag]:
        """Position and head of every model."""
        head = self.head()
        return [Lag(name, view.position(), head) for name, view in self.views.items()]

    def sync(self, position: int, timeout: float = 10.0) -> None:
        """Bring every model to ``position``: apply here what no runner holds, else wait."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            for name in self.views:
                if self._lock(conn, name, 0):
                    try:
                        self.catch_up(name)
                    finally:
                        conn.execute("SELECT pg_advisory_unlock(%s, %s)", lock_key(name))
            seen = wait_for(
                lambda: psycopg.connect(self.conninfo, autocommit=True),
                list(self.views),
                position,
                timeout,
            )
        behind = {n: p for n, p in seen.items() if p < position}
        if behind:
            raise TimeoutError(f"read models still behind position {position}: {behind}")

    # -- following ------------------------------------------------------------------------

    def run_forever(self, poll: float = 1.0) -> None:
        """Hold what locks it can, catch up, then follow new events until ``stop``."""
        with (
            psycopg.connect(self.conninfo, autocommit=True) as lock_conn,
            psycopg.connect(self.conninfo, autocommit=True) as listen_conn,
        ):
            listen_conn.execute(f"LISTEN {EVENTS_CHANNEL}")
            try:
                while not self._stop.is_set():
                    for name in self.views:
                        if name not in self.active and self._lock(lock_conn, name, 0):
                            log.info("projection %s: active", name)
                            self.active.add(name)
                    for name in sorted(self.active):
                        self.catch_up(name)
                    # Woken by the next insert, or after ``poll`` to retry standby locks.
                    for _ in listen_conn.notifies(timeout=poll, stop_after=1):
                        pass
            except ProjectionFailed as exc:
                self.error = exc
                log.exception("projection runner stopped")
                raise
            finally:
                self.active.clear()

    def start(self) -> threading.Thread:
        """Run in a daemon thread (``backoffice serve``); errors end up in ``self.error``."""

        def target() -> None:
            try:
                self.run_forever()
            except ProjectionFailed:
                pass  # already logged and kept in self.error for /health
            except Exception as exc:  # the connection went away, say
                self.error = ProjectionFailed("*", 0, exc)
                log.exception("projection runner crashed")

        self._thread = threading.Thread(target=target, name="projections", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to end and wait for it."""
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            with (
                contextlib.suppress(psycopg.Error),
                psycopg.connect(self.conninfo, autocommit=True) as conn,
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
