"""What one group commit's transaction checks and writes (``api/store.py`` runs it): the
statements, and which commands of a group can be written — those that collide neither with the
store nor with an earlier command of the group, and whose actor is still as they were decided."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from psycopg.rows import DictRow
from psycopg.sql import SQL

from api.group_commit import Job
from domain.actors import StaleActor
from domain.application import CommandRecord


@dataclass(frozen=True)
class Write:
    """One command's write: its events, its idempotency row when it carried a key, and the
    (staff id, version) of the actor's record it was decided on (None: the system)."""

    events: Sequence[StoredEvent]
    record: CommandRecord | None
    actor_at: tuple[UUID, int] | None = None


WriteJob = Job[Write, Sequence[int]]


# Under the lock nobody else can insert events (nor, through this recorder, idempotency rows),
# so what this finds taken stays taken, and what it does not find is free until COMMIT.
TAKEN = SQL(
    "SELECT e.originator_id, e.originator_version, NULL::text AS idempotency_key"
    " FROM unnest(%s::uuid[], %s::bigint[]) AS p(id, version)"
    " JOIN backoffice_events e ON e.originator_id = p.id AND e.originator_version = p.version"
    " UNION ALL"
    " SELECT NULL, NULL, idempotency_key FROM backoffice_commands"
    " WHERE idempotency_key = ANY(%s::text[])"
)
# Likewise under the lock: an actor's record at this version stays so until COMMIT.
ACTOR_VERSIONS = SQL(
    "SELECT p.id, (SELECT max(e.originator_version) FROM backoffice_events e"
    " WHERE e.originator_id = p.id) AS version FROM unnest(%s::uuid[]) AS p(id)"
)
BEGIN, COMMIT, ROLLBACK = SQL("BEGIN"), SQL("COMMIT"), SQL("ROLLBACK")
INSERT_COMMANDS = SQL(
    "INSERT INTO backoffice_commands (idempotency_key, command, actor, aggregate_id,"
    " aggregate_version, fingerprint)"
    " SELECT * FROM unnest(%s::text[], %s::text[], %s::uuid[], %s::uuid[], %s::bigint[],"
    " %s::text[])"
)
INSERT_SIGNATURES = SQL(
    "INSERT INTO backoffice_event_signatures (notification_id, key_id, signature, idempotency_key)"
    " SELECT n, %s, s, i FROM unnest(%s::bigint[], %s::bytea[], %s::text[]) AS u(n, s, i)"
)


def command_columns(records: Sequence[CommandRecord]) -> tuple[list[Any], ...]:
    return (
        [r.idempotency_key for r in records],
        [r.command for r in records],
        [r.actor for r in records],
        [r.aggregate_id for r in records],
        [r.aggregate_version for r in records],
        [r.fingerprint for r in records],
    )


def actor_ids(jobs: Sequence[WriteJob]) -> list[UUID]:
    """The staff whose records the jobs' commands were decided on."""
    return list({j.work.actor_at[0] for j in jobs if j.work.actor_at is not None})


def stale(job: WriteJob, versions: dict[Any, Any], changed: set[Any]) -> bool:
    """True when the job's actor's record is not (or no longer, after an earlier job of the
    group wrote to it) at the version the command was decided on."""
    at = job.work.actor_at
    return at is not None and (at[0] in changed or versions.get(at[0]) != at[1])


def sort(
    jobs: Sequence[WriteJob], taken_rows: Sequence[DictRow], versions: dict[Any, Any]
) -> tuple[list[WriteJob], list[tuple[WriteJob, Exception]]]:
    """The jobs that can be written and those refused: that collide — with the store, or with
    an earlier job of the group (the first comes first, as if they had been written in turn) —
    or whose actor changed since the command was decided."""
    changed: set[Any] = set()
    events = {
        (r["originator_id"], r["originator_version"])
        for r in taken_rows
        if r["idempotency_key"] is None
    }
    keys = {r["idempotency_key"] for r in taken_rows if r["idempotency_key"] is not None}
    accepted: list[WriteJob] = []
    refused: list[tuple[WriteJob, Exception]] = []
    for job in jobs:
        mine = {(e.originator_id, e.originator_version) for e in job.work.events}
        key = job.work.record.idempotency_key if job.work.record else None
        if stale(job, versions, changed):
            refused.append((job, StaleActor()))
            continue
        if mine & events or key in keys:
            refused.append((job, collision()))
            continue
        accepted.append(job)
        events |= mine
        changed |= {e.originator_id for e in job.work.events}
        if key is not None:
            keys.add(key)
    return accepted, refused


def collision() -> IntegrityError:
    """What the store's own keys would have raised, had this command been written alone."""
    return IntegrityError("a version or idempotency key of this command was taken first")
