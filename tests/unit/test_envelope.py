"""Every event carries the envelope; an aggregate cannot be written without it."""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from datetime import datetime

import pytest
from eventsourcing.domain import event

import domain
from domain.access import Role
from domain.clients import Client, FreezeClient
from domain.envelope import (
    SYSTEM_ACTOR,
    BackofficeAggregate,
    Envelope,
    EnvelopeMissing,
    event_classes,
)
from domain.errors import Code, ValidationError
from domain.instruments import Instrument
from domain.orders import Order
from domain.retention import LegalHold
from domain.staff import GrantRole, Staff
from tests.harness import NOW, TODAY, Domain


def _aggregates() -> list[type[BackofficeAggregate]]:
    for info in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"domain.{info.name}")

    def walk(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *walk(sub))]

    return [c for c in walk(BackofficeAggregate) if c.__module__.startswith("domain.")]


def envelope() -> Envelope:
    return Envelope(uuid.uuid4(), "admin", "SH01", uuid.uuid4(), uuid.uuid4(), NOW)


def test_every_event_class_of_every_aggregate_has_the_envelope_field() -> None:
    aggregates = _aggregates()
    assert {Staff, Client, Order, Instrument, LegalHold} <= set(aggregates)
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
    d = Domain()
    staff = d.app.get(Staff, d.staff("trader"))
    with pytest.raises(EnvelopeMissing):
        staff.trigger_event(Staff.RoleGranted, envelope=None, role="risk")


def test_a_record_created_without_an_envelope_is_refused() -> None:
    fields = {"staff_id": uuid.uuid4(), "name": "A", "branch": "SH01", "roles": ["trader"]}
    with pytest.raises(EnvelopeMissing):
        Staff._create(Staff.Registered, envelope=None, **fields)
    assert Staff._create(Staff.Registered, envelope=envelope(), **fields).roles == ["trader"]


def test_an_envelope_needs_a_time_zone_aware_business_time() -> None:
    with pytest.raises(ValidationError) as caught:
        Envelope(uuid.uuid4(), "admin", "SH01", uuid.uuid4(), uuid.uuid4(), datetime(2026, 1, 1))
    assert caught.value.reason is Code.TIME_ZONE_REQUIRED


def test_the_events_of_a_command_carry_who_gave_it_in_which_role_and_branch_and_why() -> None:
    d = Domain()
    manager, supervisor = d.staff("account_manager"), d.staff("branch_manager", "auditor")
    cid = d.onboard(manager)
    d.run(FreezeClient(client_id=cid), supervisor, reason="court order")
    stamped = d.last(cid).envelope
    assert (stamped.actor, stamped.actor_role, stamped.branch_id, stamped.reason) == (
        supervisor,
        "branch_manager",
        "SH01",
        "court order",
    )
    assert (stamped.occurred_at, stamped.business_date) == (NOW, TODAY)


def test_the_events_of_the_operator_carry_the_system_actor() -> None:
    d = Domain()
    sid = d.staff("trader")
    d.run(GrantRole(staff_id=sid, role=Role.RISK))
    stamped = d.last(sid).envelope
    assert (stamped.actor, stamped.actor_role, stamped.branch_id) == (SYSTEM_ACTOR, "system", "HQ")
