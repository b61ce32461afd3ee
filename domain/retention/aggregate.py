"""The retention policy in force and legal holds, as events."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from domain.envelope import BackofficeAggregate, Envelope

POLICY_ID = uuid5(NAMESPACE_URL, "backoffice:retention-policy")


def hold_id(subject_id: UUID) -> UUID:
    """The id of the legal-hold record of one client or record."""
    return uuid5(NAMESPACE_URL, f"backoffice:legal-hold:{subject_id}")


class RetentionPolicy(BackofficeAggregate, formerly="domain.retention"):
    """The presets in force; changed only by a recorded event."""

    def __init__(self) -> None:
        self.presets: list[str] = []

    class Adopted(BackofficeAggregate.Created):
        """The first policy."""

        envelope: Envelope
        policy_id: UUID
        presets: list[str]

        def apply(self, p: RetentionPolicy) -> None:
            p.presets = list(self.presets)

    class Changed(BackofficeAggregate.Event):
        """The presets in force changed."""

        envelope: Envelope
        presets: list[str]

        def apply(self, p: RetentionPolicy) -> None:
            p.presets = list(self.presets)

    @staticmethod
    def create_id(policy_id: UUID, **_: object) -> UUID:
        """A singleton."""
        return policy_id


class LegalHold(BackofficeAggregate, formerly="domain.retention"):
    """Holds on one client or record: while one is in place, no retention clock runs."""

    def __init__(self) -> None:
        self.subject_id: UUID | None = None
        self.active = True

    class Placed(BackofficeAggregate.Created):
        """A hold was placed (the reason is in the envelope)."""

        envelope: Envelope
        hold_id: UUID
        subject_id: UUID

        def apply(self, h: LegalHold) -> None:
            h.subject_id = self.subject_id

    class Lifted(BackofficeAggregate.Event):
        """The hold was lifted."""

        envelope: Envelope

        def apply(self, h: LegalHold) -> None:
            h.active = False

    class Replaced(BackofficeAggregate.Event):
        """A new hold was placed after an earlier one was lifted."""

        envelope: Envelope

        def apply(self, h: LegalHold) -> None:
            h.active = True

    @staticmethod
    def create_id(hold_id: UUID, **_: object) -> UUID:
        """Derived from the subject."""
        return hold_id
