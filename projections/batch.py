"""Set-based batches: a batch of events applied through a cursor that gathers each table's
rows and writes them in a few statements (see ``BatchCursor``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import DomainEventProtocol
from psycopg import Connection, Cursor
from psycopg.abc import Params, Query
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Json, Jsonb

if TYPE_CHECKING:
    from projections.base import ReadModel

#: Rows per multi-row statement: PostgreSQL takes at most 65,535 parameters in one.
_MAX_PARAMS = 65_535
_MAX_ROWS = 1_000
#: From this many rows of a table on, a batch writes them through a COPY into a staging table.
_COPY_AT = 64
_WRITES = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([\w.]+)", re.IGNORECASE)
_BY_KEY = re.compile(r"^\s*(\w+)\s*=\s*%s\s*$")


class BatchCursor(Cursor[DictRow]):
    """The cursor a batch of events is applied through, so that a batch costs a few
    set-based statements instead of several per event.

    ``upsert`` only gathers rows here (a later row of the same key replaces the earlier one:
    later events of a record win) and ``flush`` writes each table's rows in multi-row
    ``INSERT … ON CONFLICT`` statements. ``select_one`` by key answers from the rows gathered,
    else from one statement that fetched every row the batch's records have in that table.
    Any other statement first flushes what was gathered (so statements still see every
    earlier event's effect, in order) and forgets what it may have changed.
    """

    def __init__(self, connection: Connection[Any], ids: Iterable[Any] = ()) -> None:
        super().__init__(connection, row_factory=dict_row)
        #: The records the batch's events belong to: the keys worth fetching in one go.
        self.ids = set(ids)
        #: (table, key columns) -> key values -> the row to write.
        self.pending: dict[tuple[str, str], dict[tuple[Any, ...], dict[str, Any]]] = {}
        #: (table, key column) -> key value -> the row as stored (None: no such row).
        self.known: dict[tuple[str, str], dict[Any, dict[str, Any] | None]] = {}
        #: Tables whose staging table exists in this transaction.
        self.staged: set[str] = set()
        #: (table, key value) -> the row object a handler built from the row it last gathered
        #: there (see ``remember``); dropped as soon as anything else may have changed the row.
        self.memo: dict[tuple[str, Any], Any] = {}
        #: (table, key columns) -> key values -> how much to add to the row's count.
        self.tallies: dict[tuple[str, tuple[str, ...]], dict[tuple[Any, ...], int]] = {}

    def execute(
        self,
        query: Query,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> BatchCursor:
        """Run a handler's own statement after everything gathered so far is written."""
        self.flush()
        text = query if isinstance(query, str) else None
        written = _WRITES.match(text) if text is not None else None
        if written is None and not (text or "").lstrip()[:6].upper() == "SELECT":
            self.known.clear()
        elif written is not None:
            table = written.group(1)
            for cached in [k for k in self.known if k[0] == table]:
                del self.known[cached]
        if written is not None or text is None or text.lstrip()[:6].upper() != "SELECT":
            self.memo.clear()
        statement: Any = query  # one of psycopg's query types, passed on as given
        super().execute(statement, params, prepare=prepare, binary=binary)
        return self

    def gather(self, table: str, values: dict[str, Any], key: str) -> None:
        """Keep ``values`` as the row of its key in ``table``, to be written by ``flush``."""
        rows = self.pending.setdefault((table, key), {})
        ident = tuple([values[c] for c in _key_columns(key)])
        if self.memo:
            self.memo.pop((table, ident[0]), None)
        # Moved to the end: rows are written in the order last changed. An upsert naming only
        # some columns changes only those, as two statements in a row would.
        earlier = rows.pop(ident, None)
        if earlier is None or len(earlier) == len(values) and earlier.keys() == values.keys():
            rows[ident] = values
        else:
            rows[ident] = {**earlier, **values}

    def remember(self, table: str, key: Any, row: Any) -> None:
        """Keep ``row``, the object a handler made of the values it just gathered for ``key``
        in ``table``, so that the batch's next event of the same record starts from it
        instead of reading the gathered values back into a new object (``recall``)."""
        self.memo[(table, key)] = row

    def recall(self, table: str, key: Any) -> Any:
        """The object ``remember`` kept for ``key`` in ``table``, or None."""
        return self.memo.get((table, key))

    def lookup(
        self, table: str, columns: tuple[str, ...], where: str, params: tuple[Any, ...]
    ) -> tuple[bool, dict[str, Any] | None]:
        """(True, row or None) when a lookup by key can be answered without a statement."""
        by_key = _BY_KEY.match(where)
        if by_key is None or len(params) != 1:
            return False, None
        column, value = by_key.group(1), params[0]
        gathered = self.pending.get((table, column), {}).get((value,))
        if gathered is not None:
            if not gathered.keys() >= _column_set(columns):
                return False, None
            return True, _read(gathered, columns)
        cache = self.known.get((table, column))
        if cache is None or value not in cache:
            if value not in self.ids:
                return False, None
            cache = self._fetch(table, column, columns)
        if value not in cache:
            return False, None
        found = cache[value]
        if found is None:
            return True, None
        if not found.keys() >= _column_set(columns):
            return False, None
        return True, _read(found, columns)

    def _fetch(
        self, table: str, column: str, columns: tuple[str, ...]
    ) -> dict[Any, dict[str, Any] | None]:
        # Every row of the batch's records in one statement (rows written by this batch are
        # answered from ``pending``, which is looked at first).
        wanted = columns if column in columns else (column, *columns)
        super().execute(
            f"SELECT {', '.join(wanted)} FROM {table} WHERE {column} = ANY(%s)",  # noqa: S608
            (list(self.ids),),
        )
        cache: dict[Any, dict[str, Any] | None] = dict.fromkeys(self.ids)
        for row in self.fetchall():
            cache[row[column]] = dict(row)
        self.known[(table, column)] = cache
        return cache

    def stage(self, table: str) -> str:
        """An empty temporary table shaped like ``table``, dropped when the transaction ends."""
        name = f"stage_{table}"
        if table not in self.staged:
            # Made anew in each transaction, so it always has the table's current columns (an
            # earlier batch of the same transaction may have made it already).
            Cursor.execute(
                self,
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} (LIKE {table}) ON COMMIT DROP",
            )
            self.staged.add(table)
        Cursor.execute(self, f"TRUNCATE {name}")
        return name

    def flush(self) -> None:
        """Write every gathered row: per table, multi-row upserts in the order rows were last
        changed."""
        while self.pending:
            (table, key), rows = next(iter(self.pending.items()))
            del self.pending[(table, key)]
            _upsert_many(self, table, list(rows.values()), key)
            # What was just written is what the table now holds for those keys.
            columns = _key_columns(key)
            if len(columns) == 1 and (table, columns[0]) in self.known:
                cache = self.known[(table, columns[0])]
                for (ident,), values in rows.items():
                    cache[ident] = values
        while self.tallies:
            (table, columns), deltas = self.tallies.popitem()
            _add_many(self, table, columns, list(deltas.items()))


_JSON = (Json, Jsonb)


@cache
def _key_columns(key: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in key.split(","))


@cache
def _column_set(columns: tuple[str, ...]) -> frozenset[str]:
    return frozenset(columns)


def _read(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """``columns`` of a row as they read back from the table (a gathered row may hold JSON
    wrapped for writing: it comes back as the plain structure)."""
    found = {c: row[c] for c in columns}
    for c, v in found.items():
        if v.__class__ in _JSON:
            found[c] = v.obj
    return found


def _upsert_many(curs: Cursor[DictRow], table: str, rows: list[dict[str, Any]], key: str) -> None:
    # Rows of one table may name different columns (a handler may write only some): one
    # statement per column set, rows of a key never twice in one statement.
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in rows:
        by_columns.setdefault(tuple(values), []).append(values)
    for columns, group in by_columns.items():
        keys = set(_key_columns(key))
        names = ", ".join(columns)
        conflict = f" ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(
            f"{c} = EXCLUDED.{c}" for c in columns if c not in keys
        )
        if len(group) >= _COPY_AT and isinstance(curs, BatchCursor):
            # Many rows: COPY into a staging table, then one INSERT … SELECT. (A statement
            # with a placeholder per value costs more to build than to run.)
            stage = curs.stage(table)
            with curs.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
                for values in group:
                    copy.write_row(tuple(values.values()))
            Cursor.execute(
                curs,
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage}{conflict}",  # noqa: S608
            )
            continue
        row_sql = f"({', '.join(['%s'] * len(columns))})"
        size = max(1, min(_MAX_ROWS, _MAX_PARAMS // len(columns)))
        for start in range(0, len(group), size):
            chunk = group[start : start + size]
            Cursor.execute(
                curs,
                f"INSERT INTO {table} ({names})"  # noqa: S608 - names are code constants
                f" VALUES {', '.join([row_sql] * len(chunk))}{conflict}",
                [v for values in chunk for v in values.values()],
            )


def _add_many(
    curs: Cursor[DictRow], table: str, columns: tuple[str, ...], deltas: list[tuple[Any, ...]]
) -> None:
    # One statement for every key's delta (each key once); a new key starts from its delta.
    names = ", ".join(columns)
    row_sql = f"({', '.join(['%s'] * (len(columns) + 1))})"
    for start in range(0, len(deltas), _MAX_ROWS):
        chunk = deltas[start : start + _MAX_ROWS]
        Cursor.execute(
            curs,
            f"INSERT INTO {table} AS t ({names}, n)"  # noqa: S608 - names are code constants
            f" VALUES {', '.join([row_sql] * len(chunk))}"
            f" ON CONFLICT ({names}) DO UPDATE SET n = t.n + EXCLUDED.n",
            [v for key, delta in chunk for v in (*key, delta)],
        )


def tally(
    curs: Cursor[DictRow], table: str, columns: tuple[str, ...], key: tuple[Any, ...], delta: int
) -> None:
    """Add ``delta`` to the count ``n`` of the row ``key`` (values of ``columns``) of a counts
    table, in the same transaction as the rows it counts (in a batch: once it is flushed, the
    deltas of each key summed)."""
    if isinstance(curs, BatchCursor):
        deltas = curs.tallies.setdefault((table, columns), {})
        deltas[key] = deltas.get(key, 0) + delta
        return
    _add_many(curs, table, columns, [(key, delta)])


def apply_events(
    model: ReadModel,
    connection: Connection[Any],
    events: list[tuple[DomainEventProtocol[Any], int]],
) -> None:
    """Apply ``events`` to ``model`` in the connection's open transaction, set-based."""
    with BatchCursor(connection, (e.originator_id for e, _ in events)) as batch:
        for event, position in events:
            model.apply(batch, event, position)
        batch.flush()


def upsert(curs: Cursor[DictRow], table: str, values: dict[str, Any], key: str = "id") -> None:
    """Insert a read-model row, or replace every column of the row with the same key (in a
    batch: once the batch is flushed)."""
    if isinstance(curs, BatchCursor):
        curs.gather(table, values, key)
        return
    _upsert_many(curs, table, [values], key)


def select_one(
    curs: Cursor[DictRow], table: str, columns: tuple[str, ...], where: str, *params: Any
) -> DictRow | None:
    """The one row of ``table`` matching ``where`` (a SQL condition with %s placeholders)."""
    if isinstance(curs, BatchCursor):
        answered, row = curs.lookup(table, columns, where, params)
        if answered:
            return row
        curs.flush()
        Cursor.execute(
            curs,
            f"SELECT {', '.join(columns)} FROM {table} WHERE {where}",  # noqa: S608
            params,
        )
        return curs.fetchone()
    curs.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}", params)  # noqa: S608
    return curs.fetchone()
