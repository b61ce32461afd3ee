"""Snapshots of long-lived records: a cache that keeps loading a record flat in its length.

A snapshot is the library's (``Aggregate.Snapshot``: the aggregate's attributes at a version),
stored in ``backoffice_snapshots`` and never part of the record: the events stay the truth.
So a snapshot is used only when it is exactly what replaying the events would give —

- it must round-trip: a state the transcoder would bring back with another type (a tuple as a
  list, an enum as text) is not stored (``round_trips``), and the record loads from events;
- the store signs it and binds it to the chain hash of the event at its version, and uses it
  only when both still check (``SnapshotStore``); anything else is a cache miss;
- it never outlives an erasure request: a client whose processing is restricted is never
  snapshotted, and its snapshots are discarded when the restriction is saved
  (``may_snapshot``), so no copy of its personal data exists outside the events.

The times ``recorded_upto``/``occurred_upto`` (the latest recording and business time among the
events up to the snapshot's version) let ``asOf`` start from the newest snapshot wholly before
a moment: a record as of ``at`` is the longest prefix of its events at or before ``at``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cache
from itertools import chain
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.application import (
    Application,
    LRUCache,
    ProcessingEvent,
    ProjectorFunction,
    project_aggregate,
)
from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import EventStore, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

log = logging.getLogger(__name__)

#: The application's setting: take a snapshot every N events of a record (0: never).
SNAPSHOT_INTERVAL = "SNAPSHOT_INTERVAL"
DEFAULT_INTERVAL = 100
#: Topic of the snapshot recorder class (the edge's, which signs and checks).
SNAPSHOT_RECORDER_TOPIC = "SNAPSHOT_RECORDER_TOPIC"


@dataclass(frozen=True)
class Upto:
    """The latest recording and business time among a record's events up to a version."""

    recorded: datetime
    occurred: datetime

    def after(self, event: Any) -> Upto:
        """These times extended by one more event."""
        recorded, occurred = times_of(event)
        return Upto(max(self.recorded, recorded), max(self.occurred, occurred))


def times_of(event: Any) -> tuple[datetime, datetime]:
    """(recording time, business time) of an event (events without an envelope: recording)."""
    recorded: datetime = event.timestamp
    envelope = getattr(event, "envelope", None)
    occurred: datetime = getattr(envelope, "occurred_at", None) or recorded
    return recorded, occurred


def upto_of(events: Sequence[Any], start: Upto | None = None) -> Upto | None:
    """The times of ``events`` (after ``start``'s)."""
    upto = start
    for event in events:
        if upto is None:
            recorded, occurred = times_of(event)
            upto = Upto(recorded, occurred)
        else:
            upto = upto.after(event)
    return upto


@dataclass(frozen=True)
class Found:
    """A snapshot that checked: the stored snapshot, its times, and the notification id of the
    event at its version."""

    stored: StoredEvent
    upto: Upto
    notification_id: int


@runtime_checkable
class SnapshotStore(Protocol):
    """What the application needs of the snapshot recorder beyond the library's interface."""

    def nearest(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        recorded_by: datetime | None = None,
        occurred_by: datetime | None = None,
    ) -> Found | None:
        """The newest snapshot that checks, at or before ``version`` and whose events were
        all recorded (or given) at or before the times named."""

    def discard(self, aggregate_id: UUID) -> int:
        """Remove the record's snapshots; how many there were."""


def may_snapshot(aggregate: Any) -> bool:
    """False for a client whose processing is restricted (an erasure request): its personal
    data must exist only in the events."""
    return not getattr(aggregate, "processing_restricted", False)


def same(a: Any, b: Any) -> bool:
    """True when ``b`` is ``a`` with the same types all the way down (what a snapshot decoded
    from storage must be, for the record to behave as if replayed)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        keys = {k: k for k in b}  # b's own key objects, to compare their types
        return a.keys() == b.keys() and all(
            same(k, keys[k]) and same(v, b[k]) for k, v in a.items()
        )
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, Enum):
        return a is b
    return bool(a == b)


def differences(aggregate: Any, decoded: Any) -> list[str]:
    """The attributes of the aggregate decoded from its snapshot that differ from
    ``aggregate``'s, types too (empty: it round-trips)."""
    mine, theirs = vars(aggregate), vars(decoded)
    names = (set(mine) | set(theirs)) - {"_pending_events"}
    return sorted(
        n for n in names if n not in mine or n not in theirs or not same(mine[n], theirs[n])
    )


def round_trips(aggregate: Any, decoded: Any) -> bool:
    """True when the aggregate decoded from its snapshot equals ``aggregate``, types too."""
    return not differences(aggregate, decoded)


_PAIRS, _TUPLE, _SET, _ENUM, _VALUE = "__pairs__", "__tuple__", "__set__", "__enum__", "__value__"


def _pack(value: Any) -> Any:
    """``value`` in terms the JSON transcoder brings back with the same types: mappings with
    keys that are not text, tuples, sets, enums and value objects are tagged."""
    if isinstance(value, Enum):
        return {_ENUM: get_topic(type(value)), "value": value.value}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _pack(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {_VALUE: get_topic(type(value)), "fields": fields}
    if isinstance(value, dict):
        if all(type(k) is str for k in value):
            return {k: _pack(v) for k, v in value.items()}
        return {_PAIRS: [[_pack(k), _pack(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {_TUPLE: [_pack(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {_SET: [_pack(v) for v in value], "frozen": isinstance(value, frozenset)}
    if isinstance(value, list):
        return [_pack(v) for v in value]
    return value


def _unpack(value: Any) -> Any:
    if isinstance(value, list):
        return [_unpack(v) for v in value]
    if not isinstance(value, dict):
        return value
    if _ENUM in value:
        return resolve_topic(value[_ENUM])(value["value"])
    if _VALUE in value:
        cls = resolve_topic(value[_VALUE])
        return cls(**{k: _unpack(v) for k, v in value["fields"].items()})
    if _PAIRS in value:
        return {_unpack(k): _unpack(v) for k, v in value[_PAIRS]}
    if _TUPLE in value:
        return tuple(_unpack(v) for v in value[_TUPLE])
    if _SET in value:
        items = (_unpack(v) for v in value[_SET])
        return frozenset(items) if value["frozen"] else set(items)
    return {k: _unpack(v) for k, v in value.items()}


@dataclass(frozen=True)
class RecordSnapshot(Snapshot):
    """The library's snapshot of a record, its state packed so that it comes back from the
    JSON transcoder with the types it had (``round_trips`` checks each one anyway)."""

    @classmethod
    def take(cls, aggregate: Any) -> Any:
        """A snapshot of ``aggregate`` as it is."""
        snapshot = super().take(aggregate)
        object.__setattr__(snapshot, "state", _pack(snapshot.state))
        return snapshot

    def mutate(self, _: None) -> Any:
        """The record as it was when the snapshot was taken."""
        return Snapshot.mutate(dataclasses.replace(self, state=_unpack(self.state)), None)

    def fits(self) -> bool:
        """False when the record's class has changed since (an attribute its ``__init__``
        sets is missing, or the class is gone): the snapshot is then ignored, not loaded."""
        try:
            expected = _attributes(self.topic)
        except Exception:  # noqa: BLE001 - a class that no longer resolves or initialises
            return False
        return expected <= self.state.keys()


@cache
def _attributes(topic: str) -> frozenset[str]:
    """The attributes a fresh record of the class named ``topic`` has."""
    cls = resolve_topic(topic)
    fresh = object.__new__(cls)
    cls.__init__(fresh)
    return frozenset(vars(fresh))


def usable(snapshot: Any) -> bool:
    """True when a decoded snapshot is one of ours and fits its record's class now."""
    return isinstance(snapshot, RecordSnapshot) and snapshot.fits()


class CheckedSnapshots(EventStore[UUID]):
    """The library's snapshot store, handing the repository only snapshots that fit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Records of kinds never snapshotted (orders, complaints…), seen saved by this
        #: process: loading them skips the snapshot lookup (a record never changes kind).
        self.plain: LRUCache[UUID, bool] = LRUCache(maxsize=100_000)

    def get(self, originator_id: UUID, **kwargs: Any) -> Iterator[Any]:
        """The snapshots asked for that fit their record's class (none: load from events)."""
        try:
            self.plain.get(originator_id)
        except KeyError:
            return filter(usable, super().get(originator_id, **kwargs))
        return iter(())


def _snapshotted() -> tuple[type[Aggregate], ...]:
    """The kinds of record that grow long and are snapshotted. Orders, complaints and
    expenses are not: their length is bounded by their life, and they carry a client's data,
    which a client's erasure request must not have to hunt for in snapshots."""
    from domain.clients import Client
    from domain.complaints import ComplaintNumbering, ComplaintPolicy
    from domain.expenses import AuthorityMatrix, Budget
    from domain.instruments import Instrument
    from domain.retention import RetentionPolicy
    from domain.staff import Staff

    return (
        Client,
        Staff,
        Instrument,
        Budget,
        AuthorityMatrix,
        ComplaintNumbering,
        ComplaintPolicy,
        RetentionPolicy,
    )


class SnapshottingApplication(Application[UUID]):
    """The library's application with snapshots as this module describes: taken every
    ``SNAPSHOT_INTERVAL`` events of a snapshotted kind, checked, signed by the edge's recorder,
    and discarded for a restricted client. ``BackOffice`` is one."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        interval = int(self.env.get(SNAPSHOT_INTERVAL) or DEFAULT_INTERVAL)
        #: Every how many events a record of a snapshotted kind is snapshotted (the library's
        #: ``snapshotting_intervals``; empty when snapshotting is off).
        self.snapshot_interval = interval if self.snapshots is not None else 0
        self.snapshotting_intervals = (  # type: ignore[misc]
            dict.fromkeys(_snapshotted(), interval) if self.snapshot_interval > 0 else {}
        )

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """The library's snapshot store, on the recorder the edge names (it signs and checks)."""
        topic = self.env.get(SNAPSHOT_RECORDER_TOPIC)
        if not topic:
            return super().construct_snapshot_store()
        recorder = resolve_topic(topic)(
            datastore=self.factory.datastore,  # type: ignore[attr-defined]
        )
        return CheckedSnapshots(mapper=self.mapper, recorder=recorder)

    @property
    def snapshot_store(self) -> SnapshotStore | None:
        """The snapshot recorder, when snapshots are on and it can find and discard them."""
        recorder = self.snapshots.recorder if self.snapshots is not None else None
        return recorder if isinstance(recorder, SnapshotStore) else None

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        # Called by the library's save once the events are stored. A snapshot is a cache: its
        # failure must not turn a saved command into an error.
        store = self.snapshot_store
        if store is None:
            return
        for aggregate_id, aggregate in processing_event.aggregates.items():
            try:
                if not may_snapshot(aggregate):
                    # Erasure: no copy of the client's data outside the events. Done on every
                    # save of a restricted record, so a discard that failed is done again.
                    store.discard(aggregate_id)
                    continue
                interval = self.snapshotting_intervals.get(type(aggregate))
                if interval is None and isinstance(self.snapshots, CheckedSnapshots):
                    self.snapshots.plain.put(aggregate_id, True)
                due = [
                    e.originator_version
                    for e in processing_event.events
                    if e.originator_id == aggregate_id
                    and interval
                    and e.originator_version % interval == 0
                ]
                if due:
                    self.take_snapshot(aggregate_id, max(due))
            except Exception:
                log.exception("no snapshot of %s: it loads from its events", aggregate_id)

    def take_snapshot(
        self,
        aggregate_id: UUID,
        version: int | None = None,
        projector_func: ProjectorFunction[Any, Any] = project_aggregate,
    ) -> None:
        """Snapshot the record at ``version`` (default: its latest), from its previous snapshot
        and the events since, with the times of those events; skipped when the record may not
        be snapshotted or its state would not come back from storage exactly as it is."""
        store = self.snapshot_store
        if store is None or self.snapshots is None:
            raise AssertionError("snapshots are off (SNAPSHOT_INTERVAL=0 or no snapshot store)")
        found = store.nearest(aggregate_id, version=version)
        start = [self.mapper.to_domain_event(found.stored)] if found is not None else []
        if not all(usable(s) for s in start):
            found, start = None, []  # taken before the class changed: start from the first event
        events = list(
            self.events.get(
                aggregate_id,
                gt=found.stored.originator_version if found is not None else None,
                lte=version,
            )
        )
        aggregate = projector_func(None, chain(start, events))
        upto = upto_of(events, found.upto if found is not None else None)
        if aggregate is None or upto is None or not events or not may_snapshot(aggregate):
            return
        snapshot = RecordSnapshot.take(aggregate)
        stored = self.mapper.to_stored_event(snapshot)
        decoded: Any = self.mapper.to_domain_event(stored)
        if not round_trips(aggregate, decoded.mutate(None)):
            log.warning("a %s does not survive a snapshot intact: not snapshotted", type(aggregate))
            return
        self.snapshots.recorder.insert_events([stored], upto=upto)
