"""A read-model table whose rows are one dataclass: its columns, how a stored row reads back
(nested rows are kept as JSON), fetching one or many by id, and writing what an event made
of the row. Each record kind's read model (clients, complaints, expenses, budgets) is one of
these plus its ``Evolver``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from projections.base import Evolver, Row, from_json, row_values, select_one, to_json, upsert
from projections.paging import Key, Ordering, Page, count, keyset


class RowTable(Generic[Row]):
    """The table ``name`` of ``cls`` rows, keyed by ``id``; ``nested`` names the columns that
    hold a nested row (or a list of them) as JSON, with the nested row's class."""

    def __init__(
        self, name: str, cls: type[Row], nested: Mapping[str, type[Any]] | None = None
    ) -> None:
        self.name = name
        self.cls = cls
        self.columns: tuple[str, ...] = tuple(cls.__dataclass_fields__)  # type: ignore[attr-defined]
        self.nested = dict(nested or {})
        #: ``SELECT <every column> FROM <table>``, for the queries to add their conditions to.
        self.select = f"SELECT {', '.join(self.columns)} FROM {name}"  # noqa: S608

    def decode(self, found: Mapping[str, Any]) -> Row:
        """The row as read back from the table."""
        values = dict(found)
        for column, cls in self.nested.items():
            data = values[column]
            if isinstance(data, list):
                values[column] = [from_json(cls, item) for item in data]
            elif data is not None:
                values[column] = from_json(cls, data)
        return self.cls(**values)

    def get(self, curs: Cursor[DictRow], key: UUID) -> Row | None:
        """The row with id ``key`` (in a projection batch: as the batch has it)."""
        found = select_one(curs, self.name, self.columns, "id = %s", key)
        return None if found is None else self.decode(found)

    def get_many(self, curs: Cursor[DictRow], ids: Sequence[UUID]) -> dict[UUID, Row]:
        """The rows with these ids (those that exist), in one statement."""
        curs.execute(f"{self.select} WHERE id = ANY(%s)", (list(ids),))
        return {r["id"]: self.decode(r) for r in curs.fetchall()}

    def page(
        self,
        curs: Cursor[DictRow],
        where: Sequence[tuple[str, Any]],
        order: Sequence[Key] | Ordering,
        first: int,
        after: str | None,
    ) -> Page[Row]:
        """One page of the rows matching ``where`` (SQL conditions and their values; None
        values are left out) in ``order``, ``first`` at a time after the cursor ``after``."""
        found = keyset(
            curs,
            table=self.name,
            columns=self.columns,
            where=where,
            order=order,
            first=first,
            after=after,
        )
        return Page([self.decode(r) for r in found.items], found.end_cursor, found.has_next_page)

    def count(self, curs: Cursor[DictRow], where: Sequence[tuple[str, Any]]) -> int:
        """How many rows match ``where``, over every page."""
        return count(curs, self.name, where)

    def save(self, curs: Cursor[DictRow], row: Row) -> None:
        """Insert the row or replace it whole."""
        values = row_values(row)
        for column in self.nested:
            if values[column] is not None:
                values[column] = Jsonb(to_json(values[column]))
        upsert(curs, self.name, values)

    def evolve(self, curs: Cursor[DictRow], evolve: Evolver[Row], event: Any, position: int) -> Row:
        """Apply ``event`` (stored at ``position``) to its record's row and save the result."""
        row = evolve(self.get(curs, event.originator_id), event, position)
        self.save(curs, row)
        return row
