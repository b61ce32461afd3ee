"""What a read model is: a name, the event topics it reads, the tables it owns, and how one
event changes its rows. The runner does the rest (batching, tracking, locking)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow

TRACKING_TABLE = "projection_tracking"


class ReadModel(ABC):
    """One read model. Subclasses name their ``topics`` and ``tables`` and write in ``apply``."""

    name: ClassVar[str]
    topics: ClassVar[tuple[str, ...]]
    tables: ClassVar[tuple[str, ...]]

    @abstractmethod
    def apply(self, curs: Cursor[DictRow], event: DomainEventProtocol[Any], position: int) -> None:
        """Write what ``event`` (stored at ``position``) changes in this model's tables."""


class PositionMoved(RuntimeError):
    """Another writer moved a model's position while a batch was being applied."""

    def __init__(self, name: str, expected: int, found: int) -> None:
        super().__init__(f"{name}: expected position {expected}, found {found}")
        self.found = found


class ReadModelView(PostgresTrackingRecorder):
    """Writes a batch of a model's rows and its tracking position in one transaction."""

    def __init__(self, datastore: PostgresDatastore, model: ReadModel) -> None:
        super().__init__(datastore, tracking_table_name=TRACKING_TABLE)
        self.model = model

    def position(self) -> int:
        """The last notification id this model has processed (0 before the first)."""
        return self.max_tracking_id(self.model.name) or 0

    def apply_batch(
        self,
        events: list[tuple[DomainEventProtocol[Any], int]],
        upto: int,
        expected: int | None = None,
    ) -> None:
        """Apply ``events`` and move the position to ``upto``, all or nothing; with
        ``expected``, only if the position is still that (else PositionMoved)."""
        with self.datastore.transaction(commit=True) as curs:
            for event, position in events:
                self.model.apply(curs, event, position)
            if expected is not None:
                self._check_position(curs, expected)
            self._insert_tracking(curs, Tracking(self.model.name, upto))

    def _check_position(self, curs: Cursor[DictRow], expected: int) -> None:
        # A fence that does not trust the advisory lock: if another runner (one that took the
        # lock after ours was lost with its connection, or a rebuild's swap) moved the position
        # since this batch was read, the batch is rolled back instead of applied twice. Taken
        # after the model's rows, in the order a rebuild's swap locks, so the two cannot
        # deadlock; the row is created first so that two runners starting at 0 also collide.
        if expected == 0:
            curs.execute(
                f"INSERT INTO {TRACKING_TABLE} VALUES (%s, 0)"  # noqa: S608 - a constant
                " ON CONFLICT (application_name) DO NOTHING",
                (self.model.name,),
            )
        row = curs.execute(
            f"SELECT notification_id FROM {TRACKING_TABLE}"  # noqa: S608 - a constant
            " WHERE application_name = %s FOR UPDATE",
            (self.model.name,),
        ).fetchone()
        found = int(row["notification_id"]) if row else 0
        if found != expected:
            raise PositionMoved(self.model.name, expected, found)


def upsert(curs: Cursor[DictRow], table: str, values: dict[str, Any], key: str = "id") -> None:
    """Insert a read-model row, or replace every column of the row with the same key."""
    columns = list(values)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != key)
    curs.execute(
        f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608 - names are code constants
        f" VALUES ({', '.join(['%s'] * len(columns))})"
        f" ON CONFLICT ({key}) DO UPDATE SET {updates}",
        list(values.values()),
    )


def select_one(
    curs: Cursor[DictRow], table: str, columns: tuple[str, ...], where: str, *params: Any
) -> DictRow | None:
    """The one row of ``table`` matching ``where`` (a SQL condition with %s placeholders)."""
    curs.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}", params)  # noqa: S608
    return curs.fetchone()
