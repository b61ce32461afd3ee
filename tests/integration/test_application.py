"""Commands through BackOffice on real PostgreSQL: idempotency, concurrency, permissions."""

from __future__ import annotations

import uuid

import pytest

from api.database import Database
from api.runtime import Runtime
from domain import errors
from domain.access import Role
from domain.staff import GrantRole, RegisterStaff
from tests.conftest import run, staff


def _count(database: Database) -> int:
    with database.connect() as conn:
        row = conn.execute(
            "SELECT count(*) FROM backoffice_events WHERE topic NOT LIKE 'domain.keys:%'"
        ).fetchone()
    return int(row[0]) if row else 0


def _register(staff_id: uuid.UUID, name: str = "A", role: Role = Role.TRADER) -> RegisterStaff:
    return RegisterStaff(staff_id=staff_id, name=name, branch="SH01", roles=[role])


def test_a_retried_command_with_the_same_key_records_nothing_new(
    runtime: Runtime, database: Database
) -> None:
    sid = uuid.uuid4()
    first = run(runtime, _register(sid), key="k-1")
    again = run(runtime, _register(sid), key="k-1")
    assert (again.aggregate_id, again.version, again.position) == (
        first.aggregate_id,
        first.version,
        first.position,
    )
    assert again.replayed and not first.replayed
    assert _count(database) == 1


def test_an_idempotency_key_cannot_be_reused_for_another_command(runtime: Runtime) -> None:
    sid = uuid.uuid4()
    run(runtime, _register(sid), key="k-2")
    with pytest.raises(errors.ValidationError) as caught:
        run(runtime, GrantRole(staff_id=sid, role=Role.RISK), key="k-2")
    assert caught.value.field == "idempotencyKey"
    assert caught.value.reason == errors.Code.IDEMPOTENCY_KEY_REUSED


def test_a_stale_expected_version_is_a_conflict_and_records_nothing(
    runtime: Runtime, database: Database
) -> None:
    sid = uuid.uuid4()
    run(runtime, _register(sid))
    run(runtime, GrantRole(staff_id=sid, role=Role.RISK), expected=1)
    with pytest.raises(errors.ConcurrencyConflict) as caught:
        run(runtime, GrantRole(staff_id=sid, role=Role.FINANCE), expected=1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert _count(database) == 2


def test_a_role_without_the_permission_is_not_allowed_and_records_nothing(
    runtime: Runtime, database: Database
) -> None:
    trader = staff(runtime, "trader")
    before = _count(database)
    with pytest.raises(errors.NotAllowed, match="admin"):
        run(runtime, _register(uuid.uuid4()), trader)
    assert _count(database) == before


def test_an_unknown_staff_member_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(errors.NotFound):
        run(runtime, GrantRole(staff_id=uuid.uuid4(), role=Role.RISK))


def test_registering_the_same_staff_id_twice_is_refused(runtime: Runtime) -> None:
    sid = uuid.uuid4()
    run(runtime, _register(sid))
    with pytest.raises(errors.ValidationError, match="already exists"):
        run(runtime, _register(sid, "B", Role.RISK))


def test_events_carry_the_envelope_of_the_command(runtime: Runtime) -> None:
    actor = staff(runtime, "admin", "auditor")
    sid = uuid.uuid4()
    context = runtime.context(actor)
    runtime.app.execute(_register(sid), context)
    (stored,) = runtime.app.repository.event_store.get(sid)
    envelope = stored.envelope  # type: ignore[attr-defined]
    assert envelope.actor == actor
    assert envelope.actor_role == "admin"
    assert envelope.branch_id == "SH01"
    assert envelope.correlation_id == context.correlation_id
    assert envelope.occurred_at == context.occurred_at
