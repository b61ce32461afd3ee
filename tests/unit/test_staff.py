"""Staff aggregate: given events, when command, then events or error."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.envelope import Envelope
from domain.errors import ValidationError
from domain.staff import Role, Staff
from projections.staff import evolve

NOW = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)


def env() -> Envelope:
    return Envelope(uuid.uuid4(), "admin", "HQ", uuid.uuid4(), uuid.uuid4(), NOW)


def registered(roles: list[str] | None = None) -> Staff:
    return Staff.register(env(), uuid.uuid4(), "王建国", "sh01", roles or ["trader"])


def test_registering_records_name_exactly_branch_upper_cased_and_roles_sorted() -> None:
    staff = registered(["trader", "risk", "trader"])
    (event,) = staff.collect_events()
    assert isinstance(event, Staff.Registered)
    assert (event.name, event.branch, event.roles) == ("王建国", "SH01", ["risk", "trader"])


@pytest.mark.parametrize(
    ("name", "branch", "roles", "field"),
    [
        ("", "SH01", ["trader"], "name"),
        ("  ", "SH01", ["trader"], "name"),
        ("A", "S", ["trader"], "branch"),
        ("A", "SH 01", ["trader"], "branch"),
        ("A", "SH01", [], "roles"),
        ("A", "SH01", ["pilot"], "roles"),
    ],
)
def test_registering_with_bad_input_names_the_field(
    name: str, branch: str, roles: list[str], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Staff.register(env(), uuid.uuid4(), name, branch, roles)
    assert caught.value.field == field


def test_granting_a_held_role_is_refused() -> None:
    staff = registered(["trader"])
    with pytest.raises(ValidationError, match="already granted"):
        staff.grant_role(env(), "trader")


def test_revoking_a_role_not_held_is_refused() -> None:
    with pytest.raises(ValidationError, match="not held"):
        registered().revoke_role(env(), "risk")


def test_a_deactivated_member_can_be_granted_nothing() -> None:
    staff = registered()
    staff.deactivate(env())
    with pytest.raises(ValidationError, match="deactivated"):
        staff.grant_role(env(), Role.RISK)


def test_a_token_hash_must_look_like_sha256_hex() -> None:
    with pytest.raises(ValidationError):
        registered().issue_token(env(), "not-a-hash")


def test_a_token_can_be_revoked_only_once() -> None:
    staff = registered()
    staff.issue_token(env(), "a" * 64)
    staff.revoke_token(env(), "a" * 64)
    with pytest.raises(ValidationError):
        staff.revoke_token(env(), "a" * 64)


def test_the_staff_row_follows_the_events() -> None:
    staff = registered(["trader"])
    staff.grant_role(env(), "risk")
    staff.revoke_role(env(), "trader")
    staff.deactivate(env())
    row = None
    for position, event in enumerate(staff.collect_events(), start=10):
        row = evolve(row, event, position)
    assert row is not None
    assert row.roles == ("risk",)
    assert not row.active and row.deactivated_at == NOW
    assert (row.version, row.position) == (4, 13)


def test_an_event_for_an_unknown_row_is_an_error_not_a_guess() -> None:
    staff = registered()
    staff.collect_events()
    staff.deactivate(env())
    (event,) = staff.collect_events()
    with pytest.raises(LookupError):
        evolve(None, event, 1)
