"""Blue/green rebuilds: replay a read model from event 1 into shadow tables while the live ones
keep serving, then swap them in one short transaction; or compare a replay with the live model.

The shadow tables live in a schema of their own with the same names as the live ones, so the
read model's own SQL (which names its tables unqualified) writes to them when that schema is
first on the search path. A crashed rebuild resumes from the shadow's own tracking row.
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from psycopg import sql
from psycopg.rows import DictRow, dict_row

from projections.base import TRACKING_TABLE
from projections.batch import apply_events
from projections.decoding import quick_mapper
from projections.runner import Progress, ProjectionRunner

_LOCK_ATTEMPTS = 200
_INDEX_NAME = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON \S+ ")
# The indexes of a table that no constraint needs (not unique, not a constraint's).
_SECONDARY = (
    "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
    " JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
    " WHERE n.nspname = %s AND t.relname = %s AND NOT x.indisunique"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
)


def shadow_schema(name: str) -> str:
    """The schema a read model is rebuilt into."""
    return f"shadow_{re.sub(r'[^a-z0-9_]', '_', name.lower())}"


@dataclass(frozen=True)
class Difference:
    """Rows of one table that differ between the live model and a fresh replay."""

    table: str
    only_live: int
    only_replayed: int
    examples: list[dict[str, Any]]


class BlueGreen:
    """Rebuild or compare one read model of a runner."""

    def __init__(self, runner: ProjectionRunner, name: str) -> None:
        if name not in runner.views:
            known = ", ".join(runner.views)
            raise KeyError(f"no read model named {name!r}; known: {known}")
        self.runner = runner
        self.model = runner.views[name].model
        self.schema = shadow_schema(name)

    def _connect(self) -> psycopg.Connection[DictRow]:
        return psycopg.connect(
            self.runner.conninfo,
            autocommit=True,
            row_factory=dict_row,
            options=f"-c search_path={self.schema},public",
        )

    def _prepare(self, conn: psycopg.Connection[DictRow], resume: bool) -> int:
        """Create the shadow tables (or keep them, to resume); return the shadow's position."""
        schema = sql.Identifier(self.schema)
        exists = conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
        ).fetchone()
        if exists and resume:
            row = conn.execute(
                sql.SQL("SELECT notification_id FROM {}.{} WHERE application_name = %s").format(
                    schema, sql.Identifier(TRACKING_TABLE)
                ),
                (self.model.name,),
            ).fetchone()
            return int(row["notification_id"]) if row else 0
        with conn.transaction():
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
            for table in (*self.model.tables, TRACKING_TABLE):
                conn.execute(
                    sql.SQL("CREATE TABLE {}.{} (LIKE public.{} INCLUDING ALL)").format(
                        schema, sql.Identifier(table), sql.Identifier(table)
                    )
                )
                # Built once at the end (_index) rather than kept up to date row by row; the
                # unique ones stay: upserts find their rows through them.
                for r in conn.execute(_SECONDARY, (self.schema, table)).fetchall():
                    index = sql.Identifier(r["relname"])
                    conn.execute(sql.SQL("DROP INDEX {}.{}").format(schema, index))
        return 0

    def _index(self, conn: psycopg.Connection[DictRow]) -> None:
        """Give the shadow tables the live tables' other indexes, built in one go each, and
        the planner's statistics: swapped in without them, the first queries are planned
        blind (a key lookup planned as a parallel scan) until autovacuum gets to the table,
        which on a server with autovacuum off is never."""
        for table in self.model.tables:
            self._index_like_live(conn, table)
            conn.execute(
                sql.SQL("ANALYZE {}.{}").format(sql.Identifier(self.schema), sql.Identifier(table))
            )

    def _index_like_live(self, conn: psycopg.Connection[DictRow], table: str) -> None:
        """Build on the shadow ``table`` the indexes of the live one that it lacks."""
        have = {
            _INDEX_NAME.sub("", r["indexdef"])
            for r in conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
                (self.schema, table),
            ).fetchall()
        }
        for r in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' AND tablename = %s",
            (table,),
        ).fetchall():
            found = _INDEX_NAME.match(r["indexdef"])
            rest = _INDEX_NAME.sub("", r["indexdef"])
            if found is None or found.group(1) or rest in have:
                continue
            conn.execute(
                sql.SQL("CREATE INDEX {} ON {}.{} ").format(
                    sql.Identifier(r["indexname"]),
                    sql.Identifier(self.schema),
                    sql.Identifier(table),
                )
                + sql.SQL(rest)  # the live index's own definition, from the catalog
            )

    def _apply(
        self, conn: psycopg.Connection[DictRow], position: int, stop: int, progress: Progress | None
    ) -> int:
        """Replay events (position, stop] into the shadow, a batch per transaction."""
        return replay(self.runner, [(self, conn, position)], stop, progress)[0]

    def _apply_page(
        self,
        conn: psycopg.Connection[DictRow],
        events: list[tuple[DomainEventProtocol[Any], int]],
        upto: int,
    ) -> None:
        """Apply one page of (already decoded) events to the shadow and move its position."""
        with conn.transaction():
            apply_events(self.model, conn, events)
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.{} VALUES (%s, %s) ON CONFLICT (application_name)"
                    " DO UPDATE SET notification_id = EXCLUDED.notification_id"
                ).format(sql.Identifier(self.schema), sql.Identifier(TRACKING_TABLE)),
                (self.model.name, upto),
            )

    def _lock_live(self, conn: psycopg.Connection[DictRow], mode: str) -> int:
        # Never wait for a lock while holding another: a reader joining the tables in another
        # order (staff_tokens, then staff) would deadlock with us, and the reader would be the
        # one PostgreSQL aborts. So only the first lock waits; the others are taken NOWAIT, and
        # a refusal gives back everything (the savepoint) and tries again a moment later.
        for attempt in range(_LOCK_ATTEMPTS):
            try:
                with conn.transaction():
                    for i, table in enumerate(self.model.tables):
                        conn.execute(
                            sql.SQL(
                                "LOCK TABLE public.{} IN "
                                + mode
                                + " MODE"
                                + (" NOWAIT" if i else "")
                            ).format(sql.Identifier(table))
                        )
                break
            except psycopg.errors.LockNotAvailable:
                if attempt == _LOCK_ATTEMPTS - 1:
                    raise
                time.sleep(min(0.002 * 2**attempt, 0.1))
        row = conn.execute(
            sql.SQL("SELECT notification_id FROM public.{} WHERE application_name = %s").format(
                sql.Identifier(TRACKING_TABLE)
            ),
            (self.model.name,),
        ).fetchone()
        return int(row["notification_id"]) if row else 0

    def rebuild(self, progress: Progress | None = None, resume: bool = True) -> int:
        """Replay into the shadow, then swap it in; return the position now live."""
        with self._connect() as conn:
            position = self._prepare(conn, resume)
            position = self._apply(conn, position, self.runner.head(), progress)
            self._index(conn)
            return self._swap_in(conn, position)

    def _swap_in(self, conn: psycopg.Connection[DictRow], position: int) -> int:
        """Bring the shadow to the live position and swap it in, in one short transaction."""
        with conn.transaction():
            # Readers and the live runner wait here for a moment, not for the rebuild.
            live = self._lock_live(conn, "ACCESS EXCLUSIVE")
            position = self._apply_in_transaction(conn, position, max(live, position))
            for table in self.model.tables:
                self._swap(conn, table)
            conn.execute(
                sql.SQL(
                    "INSERT INTO public.{} VALUES (%s, %s) ON CONFLICT (application_name)"
                    " DO UPDATE SET notification_id = EXCLUDED.notification_id"
                ).format(sql.Identifier(TRACKING_TABLE)),
                (self.model.name, position),
            )
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(self.schema)))
        return position

    def _apply_in_transaction(
        self, conn: psycopg.Connection[DictRow], position: int, stop: int
    ) -> int:
        app, size = self.runner.app, self.runner.rebuild_batch_size
        decode = quick_mapper(app.mapper).to_domain_event
        while position < stop:
            found = app.recorder.select_notifications(
                start=position + 1, limit=size, stop=stop, topics=self.model.topics
            )
            apply_events(self.model, conn, [(decode(n), n.id) for n in found])
            position = found[-1].id if len(found) == size else stop
        return position

    def _swap(self, conn: psycopg.Connection[DictRow], table: str) -> None:
        """Replace public.<table> by the shadow's, keeping the live index names."""
        names = {
            _INDEX_NAME.sub("", r["indexdef"]): r["indexname"]
            for r in conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = 'public' AND tablename = %s",
                (table,),
            ).fetchall()
        }
        conn.execute(sql.SQL("DROP TABLE public.{}").format(sql.Identifier(table)))
        conn.execute(
            sql.SQL("ALTER TABLE {}.{} SET SCHEMA public").format(
                sql.Identifier(self.schema), sql.Identifier(table)
            )
        )
        for r in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' AND tablename = %s",
            (table,),
        ).fetchall():
            wanted = names.get(_INDEX_NAME.sub("", r["indexdef"]))
            if wanted and wanted != r["indexname"]:
                conn.execute(
                    sql.SQL("ALTER INDEX public.{} RENAME TO {}").format(
                        sql.Identifier(r["indexname"]), sql.Identifier(wanted)
                    )
                )

    def compare(self, progress: Progress | None = None, examples: int = 5) -> list[Difference]:
        """Replay into a shadow and list the rows that differ from the live model."""
        with self._connect() as conn:
            position = self._prepare(conn, resume=False)
            position = self._apply(conn, position, self.runner.head(), progress)
            differences = []
            try:
                with conn.transaction():
                    # The live runner waits while both sides are brought to the same position.
                    live = self._lock_live(conn, "SHARE")
                    self._apply_in_transaction(conn, position, live)
                    for table in self.model.tables:
                        differences.append(self._diff(conn, table, examples))
            finally:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(self.schema)))
        return [d for d in differences if d.only_live or d.only_replayed]

    def _diff(self, conn: psycopg.Connection[DictRow], table: str, limit: int) -> Difference:
        live = sql.SQL("public.{}").format(sql.Identifier(table))
        shadow = sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(table))

        def count(a: sql.Composable, b: sql.Composable) -> int:
            row = conn.execute(
                sql.SQL(
                    "SELECT count(*) AS n FROM (SELECT * FROM {} EXCEPT ALL SELECT * FROM {}) d"
                ).format(a, b)
            ).fetchone()
            return int(row["n"]) if row else 0

        sample = conn.execute(
            sql.SQL("SELECT * FROM {} EXCEPT ALL SELECT * FROM {} LIMIT %s").format(live, shadow),
            (limit,),
        ).fetchall()
        return Difference(
            table, count(live, shadow), count(shadow, live), [dict(r) for r in sample]
        )


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Let the cyclic garbage collector run less often while a rebuild holds a page of tens of
    thousands of decoded events and rows: at the default threshold it scans them again every
    700 allocations, about a third of a rebuild's time (and none of it frees anything)."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 100_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def replay(
    runner: ProjectionRunner,
    parts: list[tuple[BlueGreen, psycopg.Connection[DictRow], int]],
    stop: int,
    progress: Progress | None = None,
) -> list[int]:
    """Bring each shadow ``(blue_green, its connection, its position)`` to ``stop`` in one
    pass over the log: each page is read once (a large fetch of every topic any of them
    reads), each event decoded once, and applied set-based to every model that reads it.
    Returns the new positions."""
    app = runner.app
    size = runner.rebuild_batch_size
    everything = any(not bg.model.topics for bg, _, _ in parts)
    topics = () if everything else tuple({t for bg, _, _ in parts for t in bg.model.topics})
    reads = [None if not bg.model.topics else frozenset(bg.model.topics) for bg, _, _ in parts]
    positions = [p for _, _, p in parts]
    position = min(positions, default=stop)

    decode = quick_mapper(app.mapper).to_domain_event  # the same events, decoded faster

    def read(start: int) -> Sequence[Notification]:
        return app.recorder.select_notifications(start=start, limit=size, stop=stop, topics=topics)

    # The next page is read (by the server, and received) while this one is applied.
    with _fewer_collections(), ThreadPoolExecutor(1, "rebuild-read") as reader:
        ahead = reader.submit(read, position + 1) if position < stop else None
        while ahead is not None:
            found = ahead.result()
            upto = found[-1].id if len(found) == size else stop
            ahead = reader.submit(read, upto + 1) if upto < stop else None
            decoded = [(n.topic, decode(n), n.id) for n in found]
            for i, (bg, conn, at) in enumerate(parts):
                if at >= upto:
                    continue
                wanted = reads[i]
                events = [
                    (e, nid)
                    for t, e, nid in decoded
                    if nid > at and (wanted is None or t in wanted)
                ]
                bg._apply_page(conn, events, upto)
                positions[i] = upto
                if progress is not None:
                    progress(bg.model.name, upto, stop)
            position = upto
    return positions


def rebuild_together(
    runner: ProjectionRunner,
    names: list[str],
    progress: Progress | None = None,
    resume: bool = True,
) -> dict[str, int]:
    """Rebuild several read models blue/green in one pass over the log (each event read and
    decoded once for all of them), then swap each in; return the positions now live."""
    parts = [BlueGreen(runner, name) for name in names]
    with ExitStack() as stack:
        conns = [stack.enter_context(bg._connect()) for bg in parts]
        starts = [bg._prepare(conn, resume) for bg, conn in zip(parts, conns, strict=True)]
        reached = replay(
            runner, list(zip(parts, conns, starts, strict=True)), runner.head(), progress
        )
        for bg, conn in zip(parts, conns, strict=True):
            bg._index(conn)
        return {
            bg.model.name: bg._swap_in(conn, position)
            for bg, conn, position in zip(parts, conns, reached, strict=True)
        }
