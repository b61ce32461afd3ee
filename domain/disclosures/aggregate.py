"""A disclosure: one package or export that left the system, as an event."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from domain.access import Permission
from domain.commands import Command, Decision, command
from domain.envelope import BackofficeAggregate, Envelope
from domain.fields import Int, Text, describe, new_id
from domain.values import PersonName, RecordId


class DisclosureKind(StrEnum):
    """What left the system."""

    RECONSTRUCTION = "reconstruction"
    AUDIT_EXPORT = "audit_export"


class Disclosure(BackofficeAggregate):
    """One package or export handed out."""

    class Made(BackofficeAggregate.Created):
        """A package or export was produced (the reason is in the envelope)."""

        envelope: Envelope
        disclosure_id: UUID
        kind: str
        requested_by: str
        request: str
        digest: str
        records: int
        personal_data: bool

    @staticmethod
    def create_id(disclosure_id: UUID, **_: object) -> UUID:
        """Chosen by the edge."""
        return disclosure_id


Digest = Annotated[
    str,
    Text(64, "SHA-256 (hex) of what was handed out.", pattern=r"[0-9a-f]{64}", shape="64 hex"),
]
RequestText = Annotated[str, Text(2000, "What was asked for (e.g. the package's request).")]


@command("record_disclosure", Permission.AUDIT, reason=True)
class RecordDisclosure(Command):
    """Record that a reconstruction package or a personal-data export was produced: who asked,
    what it covered and its digest; `reason` (why) is required."""

    disclosure_id: RecordId = new_id("Names the disclosure; generated if absent.")
    kind: DisclosureKind
    requested_by: PersonName = describe("Who asked for it (name, and authority if any).")
    request: RequestText
    digest: Digest
    records: Annotated[int, Int(0, 1_000_000_000, "How many records or events it holds.")]
    personal_data: bool = describe("True when personal data left unmasked.", default=False)

    def decide(self, d: Decision[Disclosure]) -> Disclosure:
        d.require_new(self.disclosure_id, "id")
        return d.new(
            Disclosure,
            Disclosure.Made,
            disclosure_id=self.disclosure_id,
            kind=self.kind.value,
            requested_by=self.requested_by,
            request=self.request,
            digest=self.digest,
            records=self.records,
            personal_data=self.personal_data,
        )
