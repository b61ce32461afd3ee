"""Clients: prospect → real-name identity → profile → agreements → account, and after.

The record's events and how each changes it; the rules that decide whether an event may be
recorded live with the commands (``domain.clients.commands``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.clients.identity import DocumentType, IdentityDocument
from domain.clients.rules import (
    ClientStatus,
    ClientType,
    IdentityOnRecord,
    status_after_unfreeze,
    supersedes,
)
from domain.envelope import BackofficeAggregate, Envelope
from domain.errors import Code, ValidationError


class Client(BackofficeAggregate, formerly="domain.clients"):
    """A client of the branch, from first contact to the end of the relationship."""

    def __init__(self) -> None:
        self.client_type = ClientType.INDIVIDUAL.value
        self.name = ""
        self.branch = ""
        self.account_manager: UUID | None = None
        self.status = ClientStatus.PROSPECT.value
        self.document: IdentityDocument | None = None
        self.risk_level: str | None = None
        self.risk_assessed_on: date | None = None
        self.risk_expires_on: date | None = None
        self.agreements: dict[str, str] = {}
        self.account_number: str | None = None
        self.opened_at: datetime | None = None
        self.owner_shares = Decimal(0)
        self.pending_changes: dict[UUID, dict[str, Any]] = {}
        self.trading_permissions: list[str] = []
        self.processing_restricted = False
        self.classification: str | None = None
        self.declared_assets: Decimal | None = None
        self.qualified: bool | None = None

    class Registered(BackofficeAggregate.Created):
        """A prospect was registered."""

        envelope: Envelope
        client_id: UUID
        client_type: str
        name: str
        source_channel: str
        account_manager: UUID
        branch: str

        def apply(self, c: Client) -> None:
            c.client_type, c.name, c.branch = self.client_type, self.name, self.branch
            c.account_manager = self.account_manager

    class IdentityRecorded(BackofficeAggregate.Event):
        """The real-name identity was verified against the original document."""

        envelope: Envelope
        real_name: str
        document_type: str
        document_number: str
        birth_date: date | None

        def apply(self, c: Client) -> None:
            c.name = self.real_name
            c.document = IdentityDocument(
                DocumentType(self.document_type), self.document_number, self.birth_date
            )

    class ContactRecorded(BackofficeAggregate.Event):
        """Contact details were recorded (replacing earlier ones)."""

        envelope: Envelope
        mobile: str | None
        landline: str | None
        id_address: str
        mailing_address: str

    class RiskAssessed(BackofficeAggregate.Event):
        """A risk tolerance assessment gave a level, valid until expires_on; the newest
        assessment (by its date) is the current one, older ones are history."""

        envelope: Envelope
        level: str
        assessed_on: date
        expires_on: date

        def apply(self, c: Client) -> None:
            if supersedes(self.assessed_on, c.risk_assessed_on):
                c.risk_level, c.risk_assessed_on = self.level, self.assessed_on
                c.risk_expires_on = self.expires_on

    class InvestorClassified(BackofficeAggregate.Event):
        """Classified ordinary or professional on the declared facts."""

        envelope: Envelope
        classification: str
        financial_assets: Decimal
        average_income: Decimal
        experience_years: int
        net_assets: Decimal

        def apply(self, c: Client) -> None:
            c.classification = self.classification
            # Zero means "not declared": the abnormal-trade rule then has nothing to compare.
            c.declared_assets = self.financial_assets or None

    class QualifiedInvestorAssessed(BackofficeAggregate.Event):
        """Qualified-investor assessment with its evidence."""

        envelope: Envelope
        qualified: bool
        family_financial_assets: Decimal
        net_assets: Decimal
        evidence_ref: str

        def apply(self, c: Client) -> None:
            c.qualified = self.qualified

    class BeneficialOwnerAdded(BackofficeAggregate.Event):
        """A beneficial owner was recorded."""

        envelope: Envelope
        name: str
        document_type: str
        document_number: str
        share: Decimal

        def apply(self, c: Client) -> None:
            c.owner_shares += self.share

    class AgreementSigned(BackofficeAggregate.Event):
        """An agreement was signed."""

        envelope: Envelope
        agreement_type: str
        version: str
        signed_on: date

        def apply(self, c: Client) -> None:
            c.agreements = {**c.agreements, self.agreement_type: self.version}

    class AccountOpened(BackofficeAggregate.Event):
        """The securities account was opened."""

        envelope: Envelope
        account_number: str

        def apply(self, c: Client) -> None:
            c.account_number = self.account_number
            c.opened_at = self.envelope.occurred_at
            c.status = ClientStatus.ACTIVE.value

    class IdentityChangeRequested(BackofficeAggregate.Event):
        """A change of name or document was requested; it waits for a supervisor."""

        envelope: Envelope
        request_id: UUID
        real_name: str | None
        document_type: str | None
        document_number: str | None
        birth_date: date | None
        evidence_ref: str

        def apply(self, c: Client) -> None:
            change = {k: v for k, v in self.__dict__.items() if k != "envelope"}
            change["requested_by"] = self.envelope.actor
            c.pending_changes = {**c.pending_changes, self.request_id: change}

    class IdentityChangeApproved(BackofficeAggregate.Event):
        """A supervisor approved the change against the original documents."""

        envelope: Envelope
        request_id: UUID

        def apply(self, c: Client) -> None:
            doc = c.document
            now = IdentityOnRecord(
                c.name,
                None if doc is None else doc.type.value,
                None if doc is None else doc.number,
                None if doc is None else doc.birth_date,
            ).after(c.pending_changes[self.request_id])
            c.name = now.name
            if now.document_type is not None and now.document_number is not None:
                c.document = IdentityDocument(
                    DocumentType(now.document_type), now.document_number, now.birth_date
                )
            c.pending_changes = {k: v for k, v in c.pending_changes.items() if k != self.request_id}

    class IdentityChangeRejected(BackofficeAggregate.Event):
        """A supervisor rejected the change."""

        envelope: Envelope
        request_id: UUID

        def apply(self, c: Client) -> None:
            c.pending_changes = {k: v for k, v in c.pending_changes.items() if k != self.request_id}

    class TradingPermissionGranted(BackofficeAggregate.Event):
        """The client may trade on a board that needs permission (ChiNext, STAR, BSE)."""

        envelope: Envelope
        board: str

        def apply(self, c: Client) -> None:
            c.trading_permissions = [*c.trading_permissions, self.board]

    class ErasureRequested(BackofficeAggregate.Event):
        """The client asked for their personal data to be erased (PIPL Art. 47)."""

        envelope: Envelope
        channel: str

    class ProcessingRestricted(BackofficeAggregate.Event):
        """The outcome during retention: nothing is deleted, processing is restricted."""

        envelope: Envelope
        basis: str

        def apply(self, c: Client) -> None:
            c.processing_restricted = True

    class Frozen(BackofficeAggregate.Event):
        """The client was frozen."""

        envelope: Envelope

        def apply(self, c: Client) -> None:
            c.status = ClientStatus.FROZEN.value

    class Unfrozen(BackofficeAggregate.Event):
        """The client was unfrozen."""

        envelope: Envelope

        def apply(self, c: Client) -> None:
            c.status = status_after_unfreeze(c.account_number is not None).value

    class Closed(BackofficeAggregate.Event):
        """The relationship ended; identity retention starts counting from this date."""

        envelope: Envelope
        relationship_ended_on: date

        def apply(self, c: Client) -> None:
            c.status = ClientStatus.CLOSED.value

    @staticmethod
    def create_id(client_id: UUID, **_: object) -> UUID:
        """The id is chosen at the edge and passed in."""
        return client_id

    # -- what the rules ask of a client ----------------------------------------------------

    @property
    def is_institution(self) -> bool:
        """True for an organisation."""
        return self.client_type == ClientType.INSTITUTION.value

    @property
    def identity_verified(self) -> bool:
        """True once a real-name identity is on record."""
        return self.document is not None

    def risk_current(self, on: date) -> bool:
        """True when a risk assessment is on record and not expired on ``on``."""
        return self.risk_expires_on is not None and on < self.risk_expires_on

    def require_open(self, action: str) -> None:
        """Refuse ``action`` on a closed client."""
        if self.status == ClientStatus.CLOSED.value:
            raise ValidationError(
                f"client is closed: cannot {action}", "clientId", Code.INVALID_STATE
            )

    def require_not_frozen(self, action: str) -> None:
        """Refuse ``action`` on a closed or frozen client."""
        self.require_open(action)
        if self.status == ClientStatus.FROZEN.value:
            raise ValidationError(
                f"client is frozen: cannot {action}", "clientId", Code.INVALID_STATE
            )


class AccountNumberClaim(BackofficeAggregate, formerly="domain.clients"):
    """Makes an account number unique per branch: its id is derived from both, so a second
    claim collides on the event store's primary key in the same transaction as the opening."""

    class Claimed(BackofficeAggregate.Created):
        """The number was taken by a client."""

        envelope: Envelope
        claim_id: UUID
        branch: str
        account_number: str
        client_id: UUID

    @staticmethod
    def create_id(claim_id: UUID, **_: object) -> UUID:
        """The id is derived from branch and number at the edge of the domain."""
        return claim_id


def account_claim_id(branch: str, account_number: str) -> UUID:
    """The deterministic id of the claim on ``account_number`` in ``branch``."""
    return uuid5(NAMESPACE_URL, f"backoffice:account:{branch}:{account_number}")
