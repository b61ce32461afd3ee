"""A staff member's rights are remembered between commands (domain/actors.py), yet every
command is authorised on the rights they hold when it is written: the save proves the record
unchanged, and anything that writes nothing is decided again on the record as stored now."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.database import Database
from api.runtime import Runtime
from api.settings import Settings
from api.store import BackOfficeRecorder
from domain.access import Role
from domain.errors import Code, NotAllowed, ValidationError
from domain.staff import DeactivateStaff, GrantRole, RegisterStaff, RevokeRole
from tests.conftest import run, service_runtime, staff


def _register(rt: Runtime, actor: uuid.UUID) -> uuid.UUID:
    new = uuid.uuid4()
    run(rt, RegisterStaff(staff_id=new, name="新人", branch="SH01", roles=[Role.TRADER]), actor)
    return new


@pytest.fixture
def other(settings: Settings, database: Database) -> Iterator[Runtime]:
    """A second service process on the same store (its own pool, its own memory)."""
    with service_runtime(settings, database) as rt:
        yield rt


def test_remembered_rights_are_not_read_again(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = staff(runtime, "admin")
    _register(runtime, admin)
    reads: list[uuid.UUID] = []
    find = runtime.app.find
    monkeypatch.setattr(runtime.app, "find", lambda i: reads.append(i) or find(i))
    _register(runtime, admin)
    assert admin not in reads


def _refused_to_register(rt: Runtime, actor: uuid.UUID) -> None:
    """``actor`` may no longer register staff: refused, and nothing was written."""
    new = uuid.uuid4()
    with pytest.raises(NotAllowed):
        run(rt, RegisterStaff(staff_id=new, name="x", branch="SH01", roles=["trader"]), actor)  # type: ignore[list-item]
    assert not rt.app.exists(new)


def test_a_revoked_staff_member_is_refused_at_once(runtime: Runtime) -> None:
    admin = staff(runtime, "admin")
    _register(runtime, admin)
    assert runtime.app.actors is not None and runtime.app.actors.get(admin) is not None
    run(runtime, RevokeRole(staff_id=admin, role=Role.ADMIN))
    _refused_to_register(runtime, admin)


def test_a_revocation_by_another_process_holds_for_the_next_command(
    runtime: Runtime, other: Runtime
) -> None:
    admin = staff(runtime, "admin")
    _register(runtime, admin)  # remembered by this process
    run(other, RevokeRole(staff_id=admin, role=Role.ADMIN))
    _refused_to_register(runtime, admin)


def test_a_deactivation_by_another_process_holds_for_the_next_command(
    runtime: Runtime, other: Runtime
) -> None:
    admin = staff(runtime, "admin")
    _register(runtime, admin)
    run(other, DeactivateStaff(staff_id=admin))
    with pytest.raises(NotAllowed, match="not active"):
        _register(runtime, admin)


def test_a_refusal_on_remembered_rights_is_decided_again_on_current_ones(
    runtime: Runtime, other: Runtime
) -> None:
    admin = staff(runtime, "admin")
    trader = staff(runtime, "trader")
    _register(runtime, admin)
    run(other, RevokeRole(staff_id=admin, role=Role.ADMIN))
    # On the remembered (admin) rights this is a duplicate role; on the current ones, refused.
    with pytest.raises(NotAllowed):
        run(runtime, GrantRole(staff_id=trader, role=Role.TRADER), admin)
    # A valid member's refusal is still the refusal.
    admin2 = staff(runtime, "admin")
    with pytest.raises(ValidationError) as refused:
        run(runtime, GrantRole(staff_id=trader, role=Role.TRADER), admin2)
    assert refused.value.reason == Code.DUPLICATE


def test_a_command_written_after_its_actors_revocation_in_the_same_group_is_refused(
    runtime: Runtime,
) -> None:
    admin = staff(runtime, "admin")
    _register(runtime, admin)
    recorder = runtime.app.recorder
    assert isinstance(recorder, BackOfficeRecorder)
    group = recorder.group
    new = uuid.uuid4()
    command = RegisterStaff(staff_id=new, name="x", branch="SH01", roles=["trader"])  # type: ignore[list-item]
    with ThreadPoolExecutor(2) as pool:
        with group.held():
            revoked = pool.submit(run, runtime, RevokeRole(staff_id=admin, role=Role.ADMIN))
            _wait_queued(runtime, 1)
            given = pool.submit(run, runtime, command, admin)
            _wait_queued(runtime, 2)
        assert revoked.result().position
        with pytest.raises(NotAllowed):
            given.result()
    assert not runtime.app.exists(new)


def _wait_queued(rt: Runtime, n: int) -> None:
    recorder = rt.app.recorder
    assert isinstance(recorder, BackOfficeRecorder)
    deadline = time.monotonic() + 30
    while recorder.group.waiting() < n:
        assert time.monotonic() < deadline
        time.sleep(0.01)
