"""Every event carries the envelope; an aggregate cannot be written without it."""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from datetime import UTC, datetime

import pytest
from eventsourcing.domain import event

import domain
from domain.envelope import BackofficeAggregate, Envelope, EnvelopeMissing, event_classes
from domain.errors import ValidationError
from domain.staff import Staff


def _aggregates() -> list[type[BackofficeAggregate]]:
    for info in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"domain.{info.name}")

    def walk(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *walk(sub))]

    return [c for c in walk(BackofficeAggregate) if c.__module__.startswith("domain.")]


def envelope() -> Envelope:
    return Envelope(uuid.uuid4(), "admin", "SH01", uuid.uuid4(), uuid.uuid4(), datetime.now(UTC))


def test_every_event_class_of_every_aggregate_has_the_envelope_field() -> None:
    aggregates = _aggregates()
    assert Staff in aggregates
    for aggregate in aggregates:
        classes = event_classes(aggregate)
        assert classes, aggregate
        for cls in classes:
            assert "envelope" in cls.__dataclass_fields__, cls.__qualname__


def test_an_aggregate_whose_event_lacks_the_envelope_cannot_be_defined() -> None:
    with pytest.raises(EnvelopeMissing, match="Opened"):

        class Careless(BackofficeAggregate):
            @event("Opened")
            def __init__(self, name: str) -> None:
                self.name = name


def test_an_event_triggered_without_an_envelope_is_refused() -> None:
    staff = Staff.register(envelope(), uuid.uuid4(), "A", "SH01", ["trader"])
    with pytest.raises(EnvelopeMissing):
        staff._role_granted(envelope=None, role="risk")  # type: ignore[arg-type]


def test_an_envelope_needs_a_time_zone_aware_business_time() -> None:
    with pytest.raises(ValidationError):
        Envelope(uuid.uuid4(), "admin", "SH01", uuid.uuid4(), uuid.uuid4(), datetime(2026, 1, 1))
