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


class ReadModelView(PostgresTrackingRecorder):
    """Writes a batch of a model's rows and its tracking position in one transaction."""

    def __init__(self, datastore: PostgresDatastore, model: ReadModel) -> None:
        super().__init__(datastore, tracking_table_name=TRACKING_TABLE)
        self.model = model

    def position(self) -> int:
        """The last notification id this model has processed (0 before the first)."""
        return self.max_tracking_id(self.model.name) or 0

    def apply_batch(self, events: list[tuple[DomainEventProtocol[Any], int]], upto: int) -> None:
        """Apply ``events`` and move the position to ``upto``, all or nothing."""
        with self.datastore.transaction(commit=True) as curs:
            for event, position in events:
                self.model.apply(curs, event, position)
            self._insert_tracking(curs, Tracking(self.model.name, upto))


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
