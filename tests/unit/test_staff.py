"""Staff: given events, when a command, then events or an error."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from domain.access import Role
from domain.errors import Code, ValidationError
from domain.staff import (
    ApproveRoleGrant,
    DeactivateStaff,
    GrantRole,
    IssueToken,
    RegisterStaff,
    RejectRoleGrant,
    RevokeRole,
    RevokeToken,
    Staff,
)
from projections.staff import evolve
from tests.harness import NOW, Domain

TOKEN = "a" * 64


def test_registering_records_name_exactly_branch_upper_cased_and_roles_sorted() -> None:
    d = Domain()
    sid = uuid.uuid4()
    d.run(
        RegisterStaff(
            staff_id=sid, name="王建国", branch="sh01", roles=[Role.TRADER, Role.RISK, Role.TRADER]
        )
    )
    (event,) = d.events(sid)
    assert isinstance(event, Staff.Registered)
    assert (event.name, event.branch, event.roles) == ("王建国", "SH01", ["risk", "trader"])


@pytest.mark.parametrize(
    ("name", "branch", "roles", "field", "code"),
    [
        ("", "SH01", ["trader"], "name", Code.REQUIRED),
        ("  ", "SH01", ["trader"], "name", Code.REQUIRED),
        ("A", "S", ["trader"], "branch", Code.INVALID_FORMAT),
        ("A", "SH 01", ["trader"], "branch", Code.INVALID_FORMAT),
        ("A", "SH01", [], "roles", Code.REQUIRED),
        ("A", "SH01", ["pilot"], "roles", Code.INVALID_CHOICE),
    ],
)
def test_registering_with_bad_input_names_the_field_and_the_code(
    name: str, branch: str, roles: list[Any], field: str, code: Code
) -> None:
    with pytest.raises(ValidationError) as caught:
        Domain().run(RegisterStaff(staff_id=uuid.uuid4(), name=name, branch=branch, roles=roles))
    assert (caught.value.field, caught.value.reason) == (field, code)


def test_granting_a_held_role_is_refused() -> None:
    d = Domain()
    sid = d.staff("trader")
    with pytest.raises(ValidationError, match="already granted") as caught:
        d.run(GrantRole(staff_id=sid, role=Role.TRADER))
    assert caught.value.reason is Code.DUPLICATE


def test_the_operator_grants_a_role_at_once() -> None:
    d = Domain()
    sid = d.staff("trader")
    d.run(GrantRole(staff_id=sid, role=Role.RISK))
    assert isinstance(d.last(sid), Staff.RoleGranted)


def test_a_role_an_admin_asks_for_waits_for_a_second_admin() -> None:
    d = Domain()
    asker, second, sid = d.staff("admin"), d.staff("admin"), d.staff("trader")
    d.run(GrantRole(staff_id=sid, role=Role.RISK), asker)
    assert isinstance(d.last(sid), Staff.RoleGrantRequested)
    assert d.app.get(Staff, sid).roles == ["trader"]
    d.run(ApproveRoleGrant(staff_id=sid, role=Role.RISK), second)
    assert d.app.get(Staff, sid).roles == ["risk", "trader"]


def test_who_asked_for_a_role_does_not_approve_it() -> None:
    d = Domain()
    asker, sid = d.staff("admin"), d.staff("trader")
    d.run(GrantRole(staff_id=sid, role=Role.RISK), asker)
    with pytest.raises(ValidationError) as caught:
        d.run(ApproveRoleGrant(staff_id=sid, role=Role.RISK), asker)
    assert caught.value.reason is Code.SAME_PERSON


def test_nobody_asks_for_a_role_for_themself() -> None:
    d = Domain()
    admin = d.staff("admin")
    with pytest.raises(ValidationError) as caught:
        d.run(GrantRole(staff_id=admin, role=Role.RISK), admin)
    assert (caught.value.field, caught.value.reason) == ("staffId", Code.SAME_PERSON)


def test_refusing_a_role_asked_for_needs_a_reason_and_clears_the_request() -> None:
    d = Domain()
    asker, second, sid = d.staff("admin"), d.staff("admin"), d.staff("trader")
    d.run(GrantRole(staff_id=sid, role=Role.RISK), asker)
    reject = RejectRoleGrant(staff_id=sid, role=Role.RISK)
    with pytest.raises(ValidationError) as caught:
        d.run(reject, second)
    assert caught.value.reason is Code.REASON_REQUIRED
    d.run(reject, second, reason="not in the risk team")
    assert d.app.get(Staff, sid).pending_roles == {}


def test_revoking_a_role_not_held_is_refused() -> None:
    d = Domain()
    sid = d.staff("trader")
    with pytest.raises(ValidationError, match="not held"):
        d.run(RevokeRole(staff_id=sid, role=Role.RISK))


def test_a_deactivated_member_can_be_granted_nothing() -> None:
    d = Domain()
    sid = d.staff("trader")
    d.run(DeactivateStaff(staff_id=sid))
    with pytest.raises(ValidationError, match="deactivated") as caught:
        d.run(GrantRole(staff_id=sid, role=Role.RISK))
    assert caught.value.reason is Code.INVALID_STATE


@pytest.mark.parametrize("token_hash", ["not-a-hash", "A" * 64])
def test_a_token_hash_must_look_like_sha256_hex(token_hash: str) -> None:
    d = Domain()
    sid = d.staff("trader")
    with pytest.raises(ValidationError) as caught:
        d.run(IssueToken(staff_id=sid, token_hash=token_hash))
    assert caught.value.field == "tokenHash"


def test_a_token_hash_of_the_right_length_but_not_hex_is_a_format_error() -> None:
    d = Domain()
    with pytest.raises(ValidationError) as caught:
        d.run(IssueToken(staff_id=d.staff("trader"), token_hash="g" * 64))
    assert caught.value.reason is Code.INVALID_FORMAT


def test_a_token_can_be_revoked_only_once() -> None:
    d = Domain()
    sid = d.staff("trader")
    d.run(IssueToken(staff_id=sid, token_hash=TOKEN))
    d.run(RevokeToken(staff_id=sid, token_hash=TOKEN))
    with pytest.raises(ValidationError) as caught:
        d.run(RevokeToken(staff_id=sid, token_hash=TOKEN))
    assert (caught.value.field, caught.value.reason) == ("tokenHash", Code.UNKNOWN_REFERENCE)


def test_the_staff_row_follows_the_events() -> None:
    d = Domain()
    sid = d.staff("trader")
    d.run(GrantRole(staff_id=sid, role=Role.RISK))
    d.run(RevokeRole(staff_id=sid, role=Role.TRADER))
    d.run(DeactivateStaff(staff_id=sid))
    row = None
    for position, event in enumerate(d.events(sid), start=10):
        row = evolve(row, event, position)
    assert row is not None
    assert row.roles == ("risk",)
    assert not row.active and row.deactivated_at == NOW
    assert (row.version, row.position) == (4, 13)


def test_an_event_for_an_unknown_row_is_an_error_not_a_guess() -> None:
    d = Domain()
    sid = d.staff("trader")
    d.run(DeactivateStaff(staff_id=sid))
    with pytest.raises(LookupError):
        evolve(None, d.last(sid), 1)
