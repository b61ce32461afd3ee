"""What a read model is: a name, the tables it owns, and a handler per event class it reads
(the topics it subscribes to follow from its handlers). The runner does the rest (batching,
tracking, locking)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_type_hints
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow

from domain.envelope import topics_of
from projections.batch import apply_events, select_one, tally, upsert

__all__ = ["select_one", "tally", "upsert"]  # re-exported: what the read models write with

TRACKING_TABLE = "projection_tracking"
Row = TypeVar("Row")
Handler = Callable[[Any, Cursor[DictRow], Any, int], None]


def on(*event_classes: type[Any]) -> Callable[[Handler], Handler]:
    """Mark a read model's method as the handler of these event classes."""

    def mark(method: Handler) -> Handler:
        method.__handles__ = event_classes  # type: ignore[attr-defined]
        return method

    return mark


class ReadModel:
    """One read model: ``name``, ``tables``, and methods marked ``@on(EventClass, …)`` that
    write what an event (stored at ``position``) changes. ``reads_everything`` models (the
    audit trail) get every event through ``apply_any``."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    reads_everything: ClassVar[bool] = False
    handlers: ClassVar[dict[type[Any], list[Handler]]]
    topics: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {}
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                for event_class in getattr(value, "__handles__", ()):
                    cls.handlers.setdefault(event_class, []).append(value)
        # The log is read filtered by topic: an event class without a handler is never read.
        cls.topics = (
            ()
            if cls.reads_everything
            else tuple(topic for event_class in cls.handlers for topic in topics_of(event_class))
        )

    def apply(self, curs: Cursor[DictRow], event: DomainEventProtocol[Any], position: int) -> None:
        """Write what ``event`` (stored at ``position``) changes in this model's tables."""
        handlers = self.handlers.get(type(event))
        if handlers is not None:
            for handler in handlers:
                handler(self, curs, event, position)
        elif self.reads_everything:
            self.apply_any(curs, event, position)
        else:
            raise LookupError(f"read model {self.name} has no handler for {type(event).__name__}")

    def apply_any(
        self, curs: Cursor[DictRow], event: DomainEventProtocol[Any], position: int
    ) -> None:
        """For models that read every event: write what one event changes."""
        raise NotImplementedError


@cache
def _init_fields(cls: type[Any]) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls) if f.init)


def replace(row: Row, /, **changes: Any) -> Row:
    """``dataclasses.replace`` for read-model rows, without running ``__init__`` again (it
    runs for every event of a rebuild); rows with a ``__post_init__``, without a ``__dict__``,
    or asked for a name that is not a field take the library's way, checks and errors."""
    cls = type(row)
    if (
        hasattr(cls, "__post_init__")
        or not hasattr(row, "__dict__")
        or not changes.keys() <= _init_fields(cls)  # type: ignore[arg-type]
    ):
        return dataclasses.replace(row, **changes)  # type: ignore[type-var]
    copied: Row = object.__new__(cls)
    copied.__dict__.update(vars(row), **changes)
    return copied


class Evolver(Generic[Row]):
    """A read model's pure ``evolve(row, event, position) -> row``, one function per event
    class, so that the events a model reads follow from the functions it has."""

    def __init__(self) -> None:
        self.functions: dict[type[Any], Callable[[Row | None, Any, int], Row]] = {}

    def on(
        self, *event_classes: type[Any]
    ) -> Callable[[Callable[[Row, Any, int], Row]], Callable[[Row, Any, int], Row]]:
        """Register how these events change an existing row."""

        def register(fn: Callable[[Row, Any, int], Row]) -> Callable[[Row, Any, int], Row]:
            def existing(row: Row | None, event: Any, position: int) -> Row:
                if row is None:
                    raise LookupError(
                        f"{type(event).__name__} for unknown record {event.originator_id}"
                    )
                stamped = replace(row, version=event.originator_version, position=position)
                return fn(stamped, event, position)

            for event_class in event_classes:
                self.functions[event_class] = existing
            return fn

        return register

    def creates(
        self, event_class: type[Any]
    ) -> Callable[[Callable[[Any, int], Row]], Callable[[Any, int], Row]]:
        """Register how the creation event makes the row."""

        def register(fn: Callable[[Any, int], Row]) -> Callable[[Any, int], Row]:
            self.functions[event_class] = lambda _row, event, position: fn(event, position)
            return fn

        return register

    @property
    def events(self) -> tuple[type[Any], ...]:
        """The event classes this function handles."""
        return tuple(self.functions)

    def __call__(self, row: Row | None, event: Any, position: int) -> Row:
        """The row after ``event``; a row is a pure function of the one before it."""
        return self.functions[type(event)](row, event, position)


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
            apply_events(self.model, curs.connection, events)
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


def row_values(row: Any) -> dict[str, Any]:
    """A flat read-model row's columns and values (a shallow copy: rows are never mutated,
    and ``dataclasses.asdict`` would deep-copy every list for nothing)."""
    return dict(vars(row))


def col(doc: str, **options: Any) -> Any:
    """A read-model field with its description (the GraphQL type that mirrors the row shows
    it); ``enum=`` names the closed vocabulary of a text column."""
    metadata: dict[str, Any] = {"doc": doc}
    if "enum" in options:
        metadata["enum"] = options.pop("enum")
    return dataclasses.field(metadata=metadata, **options)


_PLAIN = (str, int, float, bool, type(None))


def to_json(value: Any) -> Any:
    """A JSON-ready copy of nested rows (dataclasses, lists, dates, decimals, ids)."""
    if isinstance(value, _PLAIN):  # the common case first: every event field goes through here
        return value
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


@cache
def _field_names(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


_CONVERT: dict[type[Any], Callable[[Any], Any]] = {
    datetime: datetime.isoformat,
    date: date.isoformat,
    Decimal: str,
    UUID: str,
}


def _json_ready(value: Any) -> Any:
    """What ``to_json`` makes of a value that JSON has no type for (the encoder's ``default``:
    it walks the plain values itself, and comes here only for the others)."""
    convert = _CONVERT.get(value.__class__)  # the usual classes, in one look-up
    if convert is not None:
        return convert(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: getattr(value, name) for name in _field_names(type(value))}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: ``json.dumps(to_json(value))`` in one pass of the C encoder (psycopg's own ``dumps`` is
#: ``json.dumps``; jsonb keeps the same value either way).
json_text = json.JSONEncoder(default=_json_ready).encode


@cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    return get_type_hints(cls)


def from_json(cls: type[Row], data: dict[str, Any]) -> Row:
    """A nested row of ``cls`` from the JSON ``to_json`` made of it."""
    hints = _hints(cls)  # type: ignore[arg-type]  # a class is hashable
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        raw = data.get(f.name)
        kind = next((t for t in get_args(hints[f.name]) if t is not type(None)), hints[f.name])
        if raw is None or not isinstance(raw, str) or kind is str:
            values[f.name] = raw
        elif kind is datetime:
            values[f.name] = datetime.fromisoformat(raw)
        elif kind is date:
            values[f.name] = date.fromisoformat(raw)
        elif kind is Decimal:
            values[f.name] = Decimal(raw)
        elif kind is UUID:
            values[f.name] = UUID(raw)
        else:
            values[f.name] = raw
    return cls(**values)
