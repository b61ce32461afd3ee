"""The commands on staff members."""

from __future__ import annotations

from typing import Annotated

from domain.access import Permission, Role
from domain.commands import Command, Decision, command
from domain.errors import Code, ValidationError
from domain.fields import Doc, Text, new_id
from domain.staff.aggregate import Staff, TokenClaim, token_claim_id
from domain.values import BranchCode, PersonName, StaffId

TokenHash = Annotated[
    str,
    Text(
        64,
        "The SHA-256 (hex) of a bearer token; the token itself is never stored.",
        min_length=64,
        pattern=r"[0-9a-f]{64}",
        shape="64 lower-case hex digits",
    ),
]
RoleName = Annotated[Role, Doc("A role.")]


@command("register_staff", Permission.MANAGE_STAFF)
class RegisterStaff(Command):
    """Register a staff member (admin)."""

    staff_id: StaffId = new_id("Chosen by the caller for safe retries; generated if absent.")
    name: PersonName
    branch: BranchCode
    roles: Annotated[list[Role], Doc("At least one role.")]

    def decide(self, d: Decision[Staff]) -> Staff:
        d.require_new(self.staff_id, "id")
        if not self.roles:
            raise ValidationError("a staff member needs at least one role", "roles", Code.REQUIRED)
        return d.new(
            Staff,
            Staff.Registered,
            staff_id=self.staff_id,
            name=self.name,
            branch=self.branch,
            roles=sorted({r.value for r in self.roles}),
        )


@command("grant_role", Permission.MANAGE_STAFF, about=Staff)
class GrantRole(Command):
    """Ask for a role for a staff member (admin): it takes effect only when a second admin
    approves it (approveRoleGrant). Nobody asks for a role for themself."""

    staff_id: StaffId
    role: RoleName

    def decide(self, d: Decision[Staff]) -> None:
        d.target.require_active()
        if d.envelope.actor == d.target.id:
            raise ValidationError("nobody grants themself a role", "staffId", Code.SAME_PERSON)
        if self.role in d.target.roles:
            raise ValidationError(f"role {self.role} is already granted", "role", Code.DUPLICATE)
        if self.role in d.target.pending_roles:
            raise ValidationError(f"role {self.role} is already asked for", "role", Code.DUPLICATE)
        if d.context.is_system:  # the operator on the command line: no second admin exists yet
            d.record(Staff.RoleGranted, role=self.role.value)
        else:
            d.record(Staff.RoleGrantRequested, role=self.role.value)


def _asked(d: Decision[Staff], role: Role) -> None:
    """The role waits for a decision, and the decider is neither who asked nor the member."""
    asked_by = d.target.pending_roles.get(role.value)
    if asked_by is None:
        raise ValidationError(f"role {role} is not asked for", "role", Code.INVALID_STATE)
    if d.envelope.actor in (asked_by, d.target.id):
        raise ValidationError(
            "a second admin, other than who asked and the member, decides",
            "staffId",
            Code.SAME_PERSON,
        )


@command("approve_role_grant", Permission.MANAGE_STAFF, about=Staff)
class ApproveRoleGrant(Command):
    """Approve a role asked for (a second admin): the role takes effect."""

    staff_id: StaffId
    role: RoleName

    def decide(self, d: Decision[Staff]) -> None:
        d.target.require_active()
        _asked(d, self.role)
        d.record(Staff.RoleGranted, role=self.role.value)


@command("reject_role_grant", Permission.MANAGE_STAFF, about=Staff, reason=True)
class RejectRoleGrant(Command):
    """Refuse a role asked for (a second admin); `reason` is required."""

    staff_id: StaffId
    role: RoleName

    def decide(self, d: Decision[Staff]) -> None:
        _asked(d, self.role)
        d.record(Staff.RoleGrantRejected, role=self.role.value)


@command("revoke_role", Permission.MANAGE_STAFF, about=Staff)
class RevokeRole(Command):
    """Revoke a role from a staff member (admin)."""

    staff_id: StaffId
    role: RoleName

    def decide(self, d: Decision[Staff]) -> None:
        d.target.require_active()
        if self.role not in d.target.roles:
            raise ValidationError(f"role {self.role} is not held", "role", Code.INVALID_STATE)
        d.record(Staff.RoleRevoked, role=self.role.value)


@command("deactivate_staff", Permission.MANAGE_STAFF, about=Staff)
class DeactivateStaff(Command):
    """Deactivate a staff member: roles and tokens stop working at once."""

    staff_id: StaffId

    def decide(self, d: Decision[Staff]) -> None:
        d.target.require_active()
        d.record(Staff.Deactivated)


@command("issue_token", Permission.MANAGE_STAFF, about=Staff)
class IssueToken(Command):
    """Record a bearer token (by its hash) for a staff member."""

    staff_id: StaffId
    token_hash: TokenHash

    def decide(self, d: Decision[Staff]) -> None:
        d.target.require_active()
        if self.token_hash in d.target.token_hashes:
            raise ValidationError("token already issued", "tokenHash", Code.DUPLICATE)
        d.record(Staff.TokenIssued, token_hash=self.token_hash)
        claim_id = token_claim_id(self.token_hash)
        d.claim(
            d.new(TokenClaim, TokenClaim.Claimed, claim_id=claim_id, staff_id=d.target.id),
            "this token is already issued",
            "tokenHash",
        )


@command("revoke_token", Permission.MANAGE_STAFF, about=Staff)
class RevokeToken(Command):
    """Withdraw one bearer token of a staff member (by its hash); the others keep working."""

    staff_id: StaffId
    token_hash: TokenHash

    def decide(self, d: Decision[Staff]) -> None:
        if self.token_hash not in d.target.token_hashes:
            raise ValidationError(
                "no such token for this staff member", "tokenHash", Code.UNKNOWN_REFERENCE
            )
        d.record(Staff.TokenRevoked, token_hash=self.token_hash)
