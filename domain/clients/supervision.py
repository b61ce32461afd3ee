"""The supervised commands on clients: identity changes (four eyes), freezing and closing."""

from __future__ import annotations

from typing import Any

from domain.access import Permission
from domain.clients.aggregate import Client
from domain.clients.commands import DocumentNumber, _document_of
from domain.clients.identity import DocumentType, parse_document
from domain.commands import Command, Decision, command
from domain.errors import Code, ValidationError
from domain.fields import describe, new_id
from domain.values import ClientId, OnDay, PersonName, Reference
from domain.values import RecordId as RequestId


@command("request_identity_change", Permission.MAINTAIN_CLIENTS, about=Client, reason=True)
class RequestIdentityChange(Command):
    """Request a change of name or document; `reason` is required. It takes effect only when
    another staff member with a supervising role approves it."""

    client_id: ClientId
    request_id: RequestId = new_id("Names the request; generated if absent.")
    evidence_ref: Reference = describe("Where the original documents are filed.")
    real_name: PersonName | None = None
    document_type: DocumentType | None = describe("Default: the type on record.", default=None)
    document_number: DocumentNumber | None = None

    def decide(self, d: Decision[Client]) -> None:
        client = d.target
        client.require_open("change identity")
        if client.document is None:
            raise ValidationError(
                "no identity recorded yet: record it instead", "clientId", Code.INVALID_STATE
            )
        if self.real_name is None and self.document_number is None:
            raise ValidationError("nothing to change", "realName", Code.REQUIRED)
        if self.request_id in client.pending_changes:
            raise ValidationError("request id already used", "requestId", Code.DUPLICATE)
        kind, number, born = None, None, None
        if self.document_number is not None:
            kind_asked = self.document_type or client.document.type
            _document_of(client, kind_asked)
            doc = parse_document(kind_asked, self.document_number, d.today)
            kind, number, born = doc.type.value, doc.number, doc.birth_date
        d.record(
            Client.IdentityChangeRequested,
            request_id=self.request_id,
            real_name=self.real_name,
            document_type=kind,
            document_number=number,
            birth_date=born,
            evidence_ref=self.evidence_ref,
        )


def _pending(d: Decision[Client], request_id: Any) -> None:
    d.target.require_open("change identity")
    found = d.target.pending_changes.get(request_id)
    if found is None:
        raise ValidationError(
            "no pending identity change with that id", "requestId", Code.UNKNOWN_REFERENCE
        )
    if found["requested_by"] == d.envelope.actor:
        raise ValidationError(
            "the requester cannot decide their own identity change", "requestId", Code.SAME_PERSON
        )


@command("approve_identity_change", Permission.SUPERVISE_CLIENTS, about=Client)
class ApproveIdentityChange(Command):
    """Approve a pending identity change (supervisor, not the requester)."""

    client_id: ClientId
    request_id: RequestId

    def decide(self, d: Decision[Client]) -> None:
        _pending(d, self.request_id)
        d.record(Client.IdentityChangeApproved, request_id=self.request_id)


@command("reject_identity_change", Permission.SUPERVISE_CLIENTS, about=Client, reason=True)
class RejectIdentityChange(Command):
    """Reject a pending identity change; `reason` is required."""

    client_id: ClientId
    request_id: RequestId

    def decide(self, d: Decision[Client]) -> None:
        _pending(d, self.request_id)
        d.record(Client.IdentityChangeRejected, request_id=self.request_id)


@command("freeze_client", Permission.SUPERVISE_CLIENTS, about=Client, reason=True)
class FreezeClient(Command):
    """Freeze a client (supervisor); `reason` is required."""

    client_id: ClientId

    def decide(self, d: Decision[Client]) -> None:
        d.target.require_not_frozen("freeze")
        d.record(Client.Frozen)


@command("unfreeze_client", Permission.SUPERVISE_CLIENTS, about=Client, reason=True)
class UnfreezeClient(Command):
    """Lift a freeze (supervisor); `reason` is required."""

    client_id: ClientId

    def decide(self, d: Decision[Client]) -> None:
        d.target.require_open("unfreeze")
        if d.target.status != "frozen":
            raise ValidationError("client is not frozen", "clientId", Code.INVALID_STATE)
        d.record(Client.Unfrozen)


@command("close_client", Permission.SUPERVISE_CLIENTS, about=Client)
class CloseClient(Command):
    """Close the relationship (supervisor); the identity-retention clock starts then."""

    client_id: ClientId
    ended_on: OnDay | None = describe("Default: today.", default=None)

    def decide(self, d: Decision[Client]) -> None:
        d.target.require_open("close")
        day = d.policy.times.check_day(self.ended_on or d.today, d.now, "endedOn")
        d.record(Client.Closed, relationship_ended_on=day)
