"""Commands through BackOffice on real PostgreSQL: idempotency, concurrency, permissions."""

from __future__ import annotations

import uuid

import pytest

from api.database import Database
from api.runtime import Runtime
from domain import errors
from tests.conftest import command


def _count(database: Database) -> int:
    with database.connect() as conn:
        row = conn.execute(
            "SELECT count(*) FROM backoffice_events WHERE topic NOT LIKE 'domain.keys:%'"
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_retried_command_with_the_same_key_records_nothing_new(
    runtime: Runtime, database: Database
) -> None:
    actor = uuid.uuid4()
    sid = uuid.uuid4()
    first = runtime.app.register_staff(
        command(actor=actor, key="k-1"), staff_id=sid, name="A", branch="SH01", roles=["trader"]
    )
    again = runtime.app.register_staff(
        command(actor=actor, key="k-1"), staff_id=sid, name="A", branch="SH01", roles=["trader"]
    )
    assert (again.aggregate_id, again.version, again.position) == (
        first.aggregate_id,
        first.version,
        first.position,
    )
    assert again.replayed and not first.replayed
    assert _count(database) == 1


def test_an_idempotency_key_cannot_be_reused_for_another_command(runtime: Runtime) -> None:
    actor = uuid.uuid4()
    sid = uuid.uuid4()
    runtime.app.register_staff(
        command(actor=actor, key="k-2"), staff_id=sid, name="A", branch="SH01", roles=["trader"]
    )
    with pytest.raises(errors.ValidationError) as caught:
        runtime.app.grant_role(command(actor=actor, key="k-2"), staff_id=sid, role="risk")
    assert caught.value.field == "idempotencyKey"


def test_a_stale_expected_version_is_a_conflict_and_records_nothing(
    runtime: Runtime, database: Database
) -> None:
    sid = uuid.uuid4()
    runtime.app.register_staff(command(), staff_id=sid, name="A", branch="SH01", roles=["trader"])
    runtime.app.grant_role(command(expected_version=1), staff_id=sid, role="risk")
    with pytest.raises(errors.ConcurrencyConflict) as caught:
        runtime.app.grant_role(command(expected_version=1), staff_id=sid, role="finance")
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert _count(database) == 2


def test_a_role_without_the_permission_is_not_allowed_and_records_nothing(
    runtime: Runtime, database: Database
) -> None:
    with pytest.raises(errors.NotAllowed, match="admin"):
        runtime.app.register_staff(
            command({"trader"}), staff_id=uuid.uuid4(), name="A", branch="SH01", roles=["trader"]
        )
    assert _count(database) == 0


def test_an_unknown_staff_member_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(errors.NotFound):
        runtime.app.grant_role(command(), staff_id=uuid.uuid4(), role="risk")


def test_registering_the_same_staff_id_twice_is_refused(runtime: Runtime) -> None:
    sid = uuid.uuid4()
    runtime.app.register_staff(command(), staff_id=sid, name="A", branch="SH01", roles=["trader"])
    with pytest.raises(errors.ValidationError, match="already exists"):
        runtime.app.register_staff(command(), staff_id=sid, name="B", branch="SH01", roles=["risk"])


def test_events_carry_the_envelope_of_the_command(runtime: Runtime) -> None:
    sid = uuid.uuid4()
    cmd = command({"admin", "auditor"})
    runtime.app.register_staff(cmd, staff_id=sid, name="A", branch="SH01", roles=["trader"])
    (stored,) = runtime.app.repository.event_store.get(sid)
    envelope = stored.envelope  # type: ignore[attr-defined]
    assert envelope.actor == cmd.actor
    assert envelope.actor_role == "admin"
    assert envelope.branch_id == "SH01"
    assert envelope.correlation_id == cmd.correlation_id
    assert envelope.occurred_at == cmd.occurred_at
