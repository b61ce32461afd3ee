"""The envelope every event carries (who did it, in which role and branch, why, and when), the
context a command is given in, and the base class of every aggregate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, register_topic

from domain.errors import Code, ValidationError

#: The actor of commands given on the operator's command line, not by a staff member.
SYSTEM_ACTOR = UUID(int=0)
SYSTEM_ROLE = "system"
SYSTEM_BRANCH = "HQ"


@dataclass(frozen=True)
class Envelope:
    """Metadata of one event: the library stores no metadata column, so it is a field."""

    actor: UUID
    actor_role: str
    branch_id: str
    correlation_id: UUID
    causation_id: UUID
    occurred_at: datetime
    reason: str | None = None
    #: The branch's calendar date at occurred_at (the edge knows the branch's time zone).
    business_date: date | None = None

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValidationError(
                "occurred_at must carry a time zone", "occurred_at", Code.TIME_ZONE_REQUIRED
            )

    @property
    def today(self) -> date:
        """The business date of the event: the branch's date, else the UTC date."""
        return self.business_date or self.occurred_at.date()


@dataclass(frozen=True)
class CommandContext:
    """What the edge knows of one command besides its value: who gives it, when (the clock
    is read at the edge), the ids that tie it to a request, and the caller's options."""

    actor: UUID
    occurred_at: datetime
    correlation_id: UUID
    causation_id: UUID
    business_date: date | None = None
    reason: str | None = None
    idempotency_key: str | None = None
    expected_version: int | None = None

    @property
    def is_system(self) -> bool:
        """True for the operator on the command line."""
        return self.actor == SYSTEM_ACTOR

    def envelope(self, role: str, branch: str) -> Envelope:
        """The envelope of events this command emits while acting in ``role`` for ``branch``."""
        return Envelope(
            actor=self.actor,
            actor_role=role,
            branch_id=branch,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            occurred_at=self.occurred_at,
            reason=self.reason,
            business_date=self.business_date,
        )


class EnvelopeMissing(TypeError):
    """An event class was declared without the ``envelope`` field."""


#: Topics under which events of moved classes were stored before (old topic per class).
LEGACY_TOPICS: dict[type[Any], str] = {}


class BackofficeAggregate(Aggregate):
    """Base of every aggregate: refuses to define or trigger an event without an envelope.

    An aggregate whose module moved names its old module with ``formerly``: events stored under
    the old topics keep resolving to the classes (stored events are never reinterpreted), and
    ``topics_of`` gives both topics to read models that filter the log by topic.
    """

    def __init_subclass__(cls, formerly: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for event_class in event_classes(cls):
            if "envelope" not in getattr(event_class, "__dataclass_fields__", {}):
                raise EnvelopeMissing(
                    f"{event_class.__qualname__} has no 'envelope' field: every event of "
                    f"{cls.__name__} must take 'envelope: Envelope'"
                )
        if formerly is not None:
            for moved in (cls, *event_classes(cls)):
                old = f"{formerly}:{moved.__qualname__}"
                if old != get_topic(moved):
                    register_topic(old, moved)
                    LEGACY_TOPICS[moved] = old

    def trigger_event(self, event_class: type[object], **kwargs: object) -> None:
        if not isinstance(kwargs.get("envelope"), Envelope):
            raise EnvelopeMissing(f"{event_class.__qualname__} triggered without an Envelope")
        super().trigger_event(event_class, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def _create(cls, event_class: type[object], **kwargs: object) -> BackofficeAggregate:
        if not isinstance(kwargs.get("envelope"), Envelope):
            raise EnvelopeMissing(f"{event_class.__qualname__} created without an Envelope")
        return super()._create(event_class, **kwargs)  # type: ignore[arg-type]


def topics_of(event_class: type[Any]) -> tuple[str, ...]:
    """Every topic events of this class are stored under (the current one first)."""
    legacy = LEGACY_TOPICS.get(event_class)
    return (get_topic(event_class),) if legacy is None else (get_topic(event_class), legacy)


def event_classes(aggregate_class: type[Aggregate]) -> list[type[Aggregate.Event]]:
    """The concrete event classes an aggregate class defines (declared or generated)."""
    found: list[type[Aggregate.Event]] = []
    for name in dir(aggregate_class):
        value = getattr(aggregate_class, name, None)
        if (
            isinstance(value, type)
            and issubclass(value, Aggregate.Event)
            and name not in ("Event", "Created")
            and value.__module__ == aggregate_class.__module__
        ):
            found.append(value)
    return found


def aggregate_classes() -> list[type[BackofficeAggregate]]:
    """Every aggregate class defined so far (import ``domain.application`` for all of them)."""
    found: list[type[BackofficeAggregate]] = []
    todo = list(BackofficeAggregate.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__qualname__)


def event_type_names() -> dict[str, list[str]]:
    """Aggregate type → the names of its event types (e.g. "Order" → ["Order.Reviewed", …]),
    as the audit trail names them."""
    return {
        cls.__qualname__: sorted(e.__qualname__ for e in event_classes(cls))
        for cls in aggregate_classes()
    }
