"""Migrations: applied once, in order, safely from several processes at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from api.database import Database
from api.migrate import migrate, pending


def test_migrating_twice_applies_nothing_the_second_time(empty_database: Database) -> None:
    first = migrate(empty_database)
    assert first and first == sorted(first)
    assert migrate(empty_database) == []
    assert pending(empty_database) == []


def test_concurrent_migrations_apply_each_migration_exactly_once(empty_database: Database) -> None:
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: migrate(empty_database), range(4)))
    applied = [m for r in results for m in r]
    assert sorted(applied) == sorted(set(applied))
    assert pending(empty_database) == []


def test_the_library_tables_are_created_by_migrations_not_by_the_library(
    empty_database: Database,
) -> None:
    migrate(empty_database)
    with empty_database.connect() as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
    assert {"backoffice_events", "projection_tracking", "staff", "backoffice_commands"} <= tables


def test_a_lock_left_by_a_killed_migration_does_not_block_the_next(
    empty_database: Database,
) -> None:
    migrate(empty_database)
    with empty_database.connect() as conn:  # what a migration killed mid-way leaves behind
        conn.execute("INSERT INTO yoyo_lock (locked, ctime, pid) VALUES (1, now(), 999999)")
    assert migrate(empty_database) == []  # no LockTimeout after yoyo's 10 s wait
    with empty_database.connect() as conn:
        assert conn.execute("SELECT count(*) FROM yoyo_lock").fetchone() == (0,)
