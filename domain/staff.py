"""Staff members, their roles and branch, and their API tokens, as events."""

from __future__ import annotations

import re
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from domain.envelope import BackofficeAggregate, Envelope
from domain.errors import ValidationError

BRANCH_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,15}$")
TOKEN_HASH = re.compile(r"^[0-9a-f]{64}$")


class Role(StrEnum):
    """The roles of DESIGN §4 (Staff)."""

    MARKETING = "marketing"
    ACCOUNT_MANAGER = "account_manager"
    TRADER = "trader"
    CUSTOMER_SERVICE = "customer_service"
    RISK = "risk"
    FINANCE = "finance"
    BRANCH_MANAGER = "branch_manager"
    HEAD_OFFICE = "head_office"
    AUDITOR = "auditor"
    REGULATOR = "regulator"
    ADMIN = "admin"


def parse_role(value: str, field: str = "role") -> Role:
    """The role named by ``value``, or a ValidationError listing the valid ones."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise ValidationError(f"unknown role {value!r}; valid roles: {valid}", field) from None


def parse_branch(value: str, field: str = "branch") -> str:
    """A branch code: 2-16 upper-case letters, digits, '-' or '_'."""
    code = value.strip().upper()
    if not BRANCH_CODE.match(code):
        raise ValidationError(
            f"branch code {value!r} must be 2-16 letters, digits, '-' or '_'", field
        )
    return code


def parse_name(value: str, field: str = "name") -> str:
    """A person's name: kept exactly as given, but never empty or blank."""
    if not value or not value.strip():
        raise ValidationError("name must not be empty", field)
    if len(value) > 200:
        raise ValidationError("name must be at most 200 characters", field)
    return value


class Staff(BackofficeAggregate):
    """A staff member of a branch."""

    @classmethod
    def register(
        cls, envelope: Envelope, staff_id: UUID, name: str, branch: str, roles: list[str]
    ) -> Staff:
        """Register a staff member with at least one role."""
        if not roles:
            raise ValidationError("a staff member needs at least one role", "roles")
        parsed = sorted({parse_role(r, "roles").value for r in roles})
        return cls(
            envelope=envelope,
            staff_id=staff_id,
            name=parse_name(name),
            branch=parse_branch(branch),
            roles=parsed,
        )

    class Registered(BackofficeAggregate.Created):
        """A staff member was registered."""

        envelope: Envelope
        staff_id: UUID
        name: str
        branch: str
        roles: list[str]

    class RoleGranted(BackofficeAggregate.Event):
        """A role was granted."""

        envelope: Envelope
        role: str

    class RoleRevoked(BackofficeAggregate.Event):
        """A role was revoked."""

        envelope: Envelope
        role: str

    class TokenIssued(BackofficeAggregate.Event):
        """A bearer token was issued (by its SHA-256)."""

        envelope: Envelope
        token_hash: str

    class TokenRevoked(BackofficeAggregate.Event):
        """A bearer token was withdrawn."""

        envelope: Envelope
        token_hash: str

    class Deactivated(BackofficeAggregate.Event):
        """The member's access ended."""

        envelope: Envelope

    @event(Registered)
    def __init__(
        self, envelope: Envelope, staff_id: UUID, name: str, branch: str, roles: list[str]
    ) -> None:
        self.name = name
        self.branch = branch
        self.roles = list(roles)
        self.active = True
        self.token_hashes: list[str] = []

    @staticmethod
    def create_id(staff_id: UUID, **_: object) -> UUID:
        """The id is chosen at the edge and passed in."""
        return staff_id

    def _require_active(self) -> None:
        if not self.active:
            raise ValidationError("staff member is deactivated", "staffId")

    def grant_role(self, envelope: Envelope, role: str) -> None:
        """Grant one more role."""
        self._require_active()
        parsed = parse_role(role)
        if parsed.value in self.roles:
            raise ValidationError(f"role {parsed.value} is already granted", "role")
        self._role_granted(envelope=envelope, role=parsed.value)

    @event(RoleGranted)
    def _role_granted(self, envelope: Envelope, role: str) -> None:
        self.roles = sorted([*self.roles, role])

    def revoke_role(self, envelope: Envelope, role: str) -> None:
        """Revoke a role the member holds."""
        self._require_active()
        parsed = parse_role(role)
        if parsed.value not in self.roles:
            raise ValidationError(f"role {parsed.value} is not held", "role")
        self._role_revoked(envelope=envelope, role=parsed.value)

    @event(RoleRevoked)
    def _role_revoked(self, envelope: Envelope, role: str) -> None:
        self.roles = [r for r in self.roles if r != role]

    def issue_token(self, envelope: Envelope, token_hash: str) -> None:
        """Record a new bearer token by its SHA-256 (hex); the token itself is never stored."""
        self._require_active()
        if not TOKEN_HASH.match(token_hash):
            raise ValidationError("token hash must be 64 lower-case hex digits", "tokenHash")
        if token_hash in self.token_hashes:
            raise ValidationError("token already issued", "tokenHash")
        self._token_issued(envelope=envelope, token_hash=token_hash)

    @event(TokenIssued)
    def _token_issued(self, envelope: Envelope, token_hash: str) -> None:
        self.token_hashes = [*self.token_hashes, token_hash]

    def revoke_token(self, envelope: Envelope, token_hash: str) -> None:
        """Withdraw one token."""
        if token_hash not in self.token_hashes:
            raise ValidationError("no such token for this staff member", "tokenHash")
        self._token_revoked(envelope=envelope, token_hash=token_hash)

    @event(TokenRevoked)
    def _token_revoked(self, envelope: Envelope, token_hash: str) -> None:
        self.token_hashes = [t for t in self.token_hashes if t != token_hash]

    def deactivate(self, envelope: Envelope) -> None:
        """End the member's access: every role and token stops working."""
        self._require_active()
        self._deactivated(envelope=envelope)

    @event(Deactivated)
    def _deactivated(self, envelope: Envelope) -> None:
        self.active = False
