"""Blue/green rebuilds: replay a read model from event 1 into shadow tables while the live ones
keep serving, then swap them in one short transaction; or compare a replay with the live model.

The shadow tables live in a schema of their own with the same names as the live ones, so the
read model's own SQL (which names its tables unqualified) writes to them when that schema is
first on the search path. A crashed rebuild resumes from the shadow's own tracking row.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import DictRow, dict_row

from projections.base import TRACKING_TABLE
from projections.runner import Progress, ProjectionRunner

_LOCK_ATTEMPTS = 200
_INDEX_NAME = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON \S+ ")


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
        return 0

    def _apply(
        self, conn: psycopg.Connection[DictRow], position: int, stop: int, progress: Progress | None
    ) -> int:
        """Replay events (position, stop] into the shadow, a batch per transaction."""
        app, batch = self.runner.app, self.runner.batch_size
        while position < stop:
            found = app.recorder.select_notifications(
                start=position + 1, limit=batch, stop=stop, topics=self.model.topics
            )
            upto = found[-1].id if len(found) == batch else stop
            with conn.transaction(), conn.cursor() as curs:
                for n in found:
                    self.model.apply(curs, app.mapper.to_domain_event(n), n.id)
                curs.execute(
                    sql.SQL(
                        "INSERT INTO {}.{} VALUES (%s, %s) ON CONFLICT (application_name)"
                        " DO UPDATE SET notification_id = EXCLUDED.notification_id"
                    ).format(sql.Identifier(self.schema), sql.Identifier(TRACKING_TABLE)),
                    (self.model.name, upto),
                )
            position = upto
            if progress is not None:
                progress(self.model.name, position, stop)
        return position

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
        app = self.runner.app
        while position < stop:
            found = app.recorder.select_notifications(
                start=position + 1,
                limit=self.runner.batch_size,
                stop=stop,
                topics=self.model.topics,
            )
            with conn.cursor() as curs:
                for n in found:
                    self.model.apply(curs, app.mapper.to_domain_event(n), n.id)
            position = found[-1].id if len(found) == self.runner.batch_size else stop
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
