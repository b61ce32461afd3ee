"""What auditors and regulators read straight from the event store: a record's history with
chain hashes, and any record as it stood at a moment (replayed, not read from a projection)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from psycopg import Cursor
from psycopg.rows import DictRow

from api.clocks import Clock, event_time
from api.snapshots import SnapshotRecorder
from domain.application import BackOffice
from domain.envelope import Envelope
from domain.privacy import Visibility, mask, visibility
from domain.snapshots import usable
from projections.audit import AuditFilter, entries
from projections.clients import is_restricted, restricted_clients

_SKIP = frozenset({"originator_id", "originator_version", "timestamp", "envelope"})


def plain(value: Any) -> Any:
    """A JSON-ready copy of ``value``."""
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class RecordedEvent:
    """One stored event, decoded, with its position and chain hash."""

    notification_id: int
    event: Any
    chain_hash: str

    @property
    def envelope(self) -> Envelope:
        """The event's envelope."""
        envelope: Envelope = self.event.envelope
        return envelope

    @property
    def type_name(self) -> str:
        """Aggregate.Event, e.g. Client.Registered."""
        return type(self.event).__qualname__

    def fields(self, seen: Visibility) -> dict[str, Any]:
        """The event's own fields (not the envelope), JSON-ready, masked as ``seen`` says."""
        return {
            k: plain(mask(v, seen, k)) for k, v in self.event.__dict__.items() if k not in _SKIP
        }


def recorded_events(
    app: BackOffice,
    curs: Cursor[DictRow],
    aggregate_id: UUID,
    *,
    after_version: int = 0,
    limit: int | None = None,
    recorded_until: datetime | None = None,
) -> list[RecordedEvent]:
    """A record's events in version order, decoded, straight from the event store."""
    sql = (
        "SELECT originator_id, originator_version, topic, state, notification_id, chain_hash"
        " FROM backoffice_events WHERE originator_id = %s AND originator_version > %s"
        " ORDER BY originator_version"
    )
    params: list[Any] = [aggregate_id, after_version]
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    curs.execute(sql, params)
    out = []
    for row in curs.fetchall():
        event: Any = app.mapper.to_domain_event(
            StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
        )
        if recorded_until is not None and event.timestamp > recorded_until:
            break
        out.append(RecordedEvent(row["notification_id"], event, bytes(row["chain_hash"]).hex()))
    return out


def replay(events: list[RecordedEvent]) -> Aggregate | None:
    """The aggregate the events make, exactly as the application would load it."""
    aggregate: Aggregate | None = None
    for recorded in events:
        aggregate = recorded.event.mutate(aggregate)
    return aggregate


_AS_OF_PAGE = 128


@dataclass(frozen=True)
class AsOf:
    """A record as it stood at a moment: the aggregate, its last event by then, and how many
    events were read to make it (from the nearest snapshot, or from the first event)."""

    aggregate: Aggregate
    last: RecordedEvent
    events_read: int
    from_snapshot: bool


def as_of(
    app: BackOffice,
    curs: Cursor[DictRow],
    aggregate_id: UUID,
    at: datetime,
    clock: Clock,
    *,
    snapshots: bool = True,
) -> AsOf | None:
    """The record as replaying its events up to ``at`` (by ``clock``) makes it, starting from
    the newest snapshot whose events all lie at or before ``at`` when one checks: the same
    state, reading only the events after that snapshot. None if it did not exist yet."""
    store = app.snapshot_store if snapshots else None
    found = None
    if isinstance(store, SnapshotRecorder):
        found = store.nearest(
            aggregate_id,
            recorded_by=at if clock is Clock.RECORDED else None,
            occurred_by=at if clock is Clock.BUSINESS else None,
            curs=curs,
        )
    # From the snapshot's own event (for its position and times) onwards, or from the first.
    start = found.stored.originator_version - 1 if found is not None else 0
    events: list[RecordedEvent] = []
    page, more = _AS_OF_PAGE, True
    while more:  # in pages: a moment early in a long record reads little past it
        curs.execute(
            "SELECT originator_id, originator_version, topic, state, notification_id, chain_hash"
            " FROM backoffice_events WHERE originator_id = %s AND originator_version > %s"
            " ORDER BY originator_version LIMIT %s",
            (aggregate_id, start, page),
        )
        rows = curs.fetchall()
        more = len(rows) == page
        for row in rows:
            event: Any = app.mapper.to_domain_event(
                StoredEvent(
                    row["originator_id"],
                    row["originator_version"],
                    row["topic"],
                    bytes(row["state"]),
                )
            )
            if event_time(event, clock) > at:
                more = False  # a record replays from a prefix only (api.clocks.up_to)
                break
            chain_hash = bytes(row["chain_hash"]).hex()
            events.append(RecordedEvent(row["notification_id"], event, chain_hash))
            start = row["originator_version"]
        page = min(page * 4, 4096)
    if not events:
        return None
    snapshot: Any = None if found is None else app.mapper.to_domain_event(found.stored)
    if (
        found is None
        or not usable(snapshot)
        or events[0].event.originator_version != found.stored.originator_version
    ):
        if found is not None:  # a snapshot of the class before it changed: from the start
            return as_of(app, curs, aggregate_id, at, clock, snapshots=False)
        aggregate = replay(events)
        assert aggregate is not None
        return AsOf(aggregate, events[-1], len(events), False)
    aggregate = snapshot.mutate(None)
    for recorded in events[1:]:
        aggregate = recorded.event.mutate(aggregate)
    return AsOf(aggregate, events[-1], len(events), True)


def replay_rows(events: list[RecordedEvent], evolve: Callable[[Any, Any, int], Any]) -> Any:
    """A read-model row built from the events by its projection's own pure function."""
    row = None
    for recorded in events:
        row = evolve(row, recorded.event, recorded.notification_id)
    return row


def state_of(aggregate: Aggregate, seen: Visibility) -> dict[str, Any]:
    """The public attributes of a replayed aggregate, JSON-ready, masked as ``seen`` says."""
    return {
        k.lstrip("_"): plain(mask(v, seen, k.lstrip("_")))
        for k, v in vars(aggregate).items()
        if not k.startswith("_pending")
    }


def seen_by(curs: Cursor[DictRow], record_id: UUID, roles: frozenset[str]) -> Visibility:
    """What holders of ``roles`` may see of one record (a client whose processing is
    restricted, or any record of such a client, shows less)."""
    return visibility(roles, is_restricted(curs, record_id))


def export_lines(
    app: BackOffice,
    curs: Cursor[DictRow],
    flt: AuditFilter,
    roles: frozenset[str],
    *,
    batch: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The audit trail as JSON Lines: each entry with its event's data and chain hash."""
    after, done = 0, 0
    restricted = restricted_clients(curs)
    while True:
        page = entries(curs, flt, after, batch)
        if not page:
            return
        curs.execute(
            "SELECT originator_id, originator_version, topic, state, notification_id, chain_hash"
            " FROM backoffice_events WHERE notification_id = ANY(%s) ORDER BY notification_id",
            ([e.notification_id for e in page],),
        )
        stored = {r["notification_id"]: r for r in curs.fetchall()}
        for entry in page:
            row = stored[entry.notification_id]
            event: Any = app.mapper.to_domain_event(
                StoredEvent(
                    row["originator_id"],
                    row["originator_version"],
                    row["topic"],
                    bytes(row["state"]),
                )
            )
            recorded = RecordedEvent(entry.notification_id, event, bytes(row["chain_hash"]).hex())
            seen = visibility(roles, entry.originator_id in restricted)
            line = {
                **{k: plain(v) for k, v in entry.__dict__.items()},
                "fields": recorded.fields(seen),
                "chain_hash": recorded.chain_hash,
            }
            yield json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"
            done += 1
        if progress is not None:
            progress(done)
        after = page[-1].notification_id
