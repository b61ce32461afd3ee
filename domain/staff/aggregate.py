"""Staff members, their roles and branch, and their API tokens, as events."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from domain.envelope import BackofficeAggregate, Envelope
from domain.errors import Code, ValidationError


class Staff(BackofficeAggregate, formerly="domain.staff"):
    """A staff member of a branch."""

    def __init__(self) -> None:
        self.name = ""
        self.branch = ""
        self.roles: list[str] = []
        self.active = True
        self.token_hashes: list[str] = []
        #: Roles asked for and waiting for a second admin: role → who asked.
        self.pending_roles: dict[str, UUID] = {}

    class Registered(BackofficeAggregate.Created):
        """A staff member was registered."""

        envelope: Envelope
        staff_id: UUID
        name: str
        branch: str
        roles: list[str]

        def apply(self, s: Staff) -> None:
            s.name, s.branch, s.roles = self.name, self.branch, sorted(self.roles)

    class RoleGrantRequested(BackofficeAggregate.Event):
        """An admin asked for a role for the member; a second admin decides."""

        envelope: Envelope
        role: str

        def apply(self, s: Staff) -> None:
            s.pending_roles = {**s.pending_roles, self.role: self.envelope.actor}

    class RoleGrantRejected(BackofficeAggregate.Event):
        """The second admin refused the role asked for."""

        envelope: Envelope
        role: str

        def apply(self, s: Staff) -> None:
            s.pending_roles = {k: v for k, v in s.pending_roles.items() if k != self.role}

    class RoleGranted(BackofficeAggregate.Event):
        """A role was granted (by the second admin, when it was asked for)."""

        envelope: Envelope
        role: str

        def apply(self, s: Staff) -> None:
            s.roles = sorted({*s.roles, self.role})
            s.pending_roles = {k: v for k, v in s.pending_roles.items() if k != self.role}

    class RoleRevoked(BackofficeAggregate.Event):
        """A role was revoked."""

        envelope: Envelope
        role: str

        def apply(self, s: Staff) -> None:
            s.roles = [r for r in s.roles if r != self.role]

    class TokenIssued(BackofficeAggregate.Event):
        """A bearer token was issued (by its SHA-256)."""

        envelope: Envelope
        token_hash: str

        def apply(self, s: Staff) -> None:
            s.token_hashes = [*s.token_hashes, self.token_hash]

    class TokenRevoked(BackofficeAggregate.Event):
        """A bearer token was withdrawn."""

        envelope: Envelope
        token_hash: str

        def apply(self, s: Staff) -> None:
            s.token_hashes = [t for t in s.token_hashes if t != self.token_hash]

    class Deactivated(BackofficeAggregate.Event):
        """The member's access ended."""

        envelope: Envelope

        def apply(self, s: Staff) -> None:
            s.active = False

    @staticmethod
    def create_id(staff_id: UUID, **_: object) -> UUID:
        """The id is chosen at the edge and passed in."""
        return staff_id

    def require_active(self) -> None:
        """Refuse changes to a deactivated member."""
        if not self.active:
            raise ValidationError("staff member is deactivated", "staffId", Code.INVALID_STATE)

    def holds_token(self, token_hash: str) -> bool:
        """True when the member is active and ``token_hash`` is one of their live tokens."""
        return self.active and token_hash in self.token_hashes


class TokenClaim(BackofficeAggregate):
    """Makes a token hash unique across all staff: issued with the token, in one transaction,
    so two members can never hold the same token (the staff_tokens read model keys on it)."""

    class Claimed(BackofficeAggregate.Created):
        """The token hash was issued to a staff member."""

        envelope: Envelope
        claim_id: UUID
        staff_id: UUID

    @staticmethod
    def create_id(claim_id: UUID, **_: object) -> UUID:
        """Derived from the token hash."""
        return claim_id


def token_claim_id(token_hash: str) -> UUID:
    """The id of the claim on a token hash."""
    return uuid5(NAMESPACE_URL, f"backoffice:token:{token_hash}")
