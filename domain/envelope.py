"""The envelope every event carries: who did it, in which role and branch, why, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import ValidationError

#: The actor of commands given on the operator's command line, not by a staff member.
SYSTEM_ACTOR = UUID(int=0)
SYSTEM_ROLE = "system"


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
            raise ValidationError("occurred_at must carry a time zone", "occurred_at")

    @property
    def today(self) -> date:
        """The business date of the event: the branch's date, else the UTC date."""
        return self.business_date or self.occurred_at.date()


@dataclass(frozen=True)
class Command:
    """What the edge knows of one request: the principal, the ids, the clock reading."""

    actor: UUID
    actor_roles: frozenset[str]
    branch_id: str
    occurred_at: datetime
    correlation_id: UUID
    causation_id: UUID
    reason: str | None = None
    idempotency_key: str | None = None
    expected_version: int | None = None
    business_date: date | None = None

    def envelope(self, role: str) -> Envelope:
        """The envelope for events this command emits while acting in ``role``."""
        return Envelope(
            actor=self.actor,
            actor_role=role,
            branch_id=self.branch_id,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            occurred_at=self.occurred_at,
            reason=self.reason,
            business_date=self.business_date,
        )


class EnvelopeMissing(TypeError):
    """An event class was declared without the ``envelope`` field."""


class BackofficeAggregate(Aggregate):
    """Base of every aggregate: refuses to define or trigger an event without an envelope."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]
        for event_class in event_classes(cls):
            if "envelope" not in getattr(event_class, "__dataclass_fields__", {}):
                raise EnvelopeMissing(
                    f"{event_class.__qualname__} has no 'envelope' field: every event of "
                    f"{cls.__name__} must take 'envelope: Envelope'"
                )

    def trigger_event(self, event_class: type[object], **kwargs: object) -> None:
        if not isinstance(kwargs.get("envelope"), Envelope):
            raise EnvelopeMissing(f"{event_class.__qualname__} triggered without an Envelope")
        super().trigger_event(event_class, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def _create(cls, event_class: type[object], **kwargs: object) -> BackofficeAggregate:
        if not isinstance(kwargs.get("envelope"), Envelope):
            raise EnvelopeMissing(f"{event_class.__qualname__} created without an Envelope")
        return super()._create(event_class, **kwargs)  # type: ignore[arg-type]


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
