"""The client directory and profile, the document-type policy metric and the
clients-developed KPI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.clients import (
    AgreementType,
    Client,
    ClientStatus,
    ClientType,
    InvestorClass,
    RiskLevel,
    SourceChannel,
)
from domain.clients.identity import DocumentType
from domain.clients.rules import IdentityOnRecord, status_after_unfreeze, supersedes
from domain.instruments import Board
from projections.base import (
    Evolver,
    ReadModel,
    col,
    on,
    replace,
)
from projections.rows import RowTable


@dataclass(frozen=True)
class Contact:
    """Phones and addresses, as last recorded."""

    mobile: str | None = col("Mobile number.")
    landline: str | None = col("Landline number.")
    id_address: str = col("Address on the identity document.")
    mailing_address: str = col("Where letters go.")
    recorded_at: datetime = col("When these details were recorded.")


@dataclass(frozen=True)
class BeneficialOwner:
    """A beneficial owner of the client."""

    name: str = col("The owner's name.")
    document_type: str = col("The owner's identity document type.", enum=DocumentType)
    document_number: str = col("The owner's document number.")
    share: Decimal = col("Percentage owned.")


@dataclass(frozen=True)
class Agreement:
    """An agreement the client signed."""

    agreement_type: str = col("Which agreement.", enum=AgreementType)
    version: str = col("The agreement's version.")
    signed_on: date = col("The date it was signed.")


@dataclass(frozen=True)
class IdentityChangeRequest:
    """A requested change of name or document, waiting for a supervisor."""

    request_id: UUID = col("Names the request (approve or reject it by this id).")
    real_name: str | None = col("The new name, if it changes.")
    document_type: str | None = col("The new document type.", enum=DocumentType)
    document_number: str | None = col("The new document number, if it changes.")
    birth_date: date | None = col("The birth date the new document gives.")
    evidence_ref: str = col("Where the original documents are filed.")
    reason: str | None = col("Why the change was requested.")
    requested_by: UUID = col("Who asked for it (may not decide it).")
    requested_at: datetime = col("When it was requested.")


@dataclass(frozen=True)
class ClientRow:
    """One row of ``clients``: a client as the directory and profile have it."""

    id: UUID = col("The client's id.")
    client_type: str = col("Individual or institution.", enum=ClientType)
    name: str = col("Real name (the prospect's name until identity is recorded).")
    source_channel: str = col("How the prospect came to the branch.", enum=SourceChannel)
    account_manager: UUID = col("The account manager in charge.")
    branch: str = col("The branch the client belongs to.")
    status: str = col("Where the client is in the relationship.", enum=ClientStatus)
    registered_at: datetime = col("When the prospect was registered.")
    version: int = col("The record's version: pass it as expectedVersion.")
    position: int = col("Notification id of the record's last event.")
    identity_verified: bool = col("A real-name identity is on record.", default=False)
    document_type: str | None = col("Identity document type.", enum=DocumentType, default=None)
    document_number: str | None = col(
        "Document number: the last four characters only, unless the role may see it whole.",
        default=None,
    )
    birth_date: date | None = col("Birth date (only for roles that see identity).", default=None)
    risk_level: str | None = col("Current risk level.", enum=RiskLevel, default=None)
    risk_assessed_on: date | None = col("Date of the current risk assessment.", default=None)
    risk_expires_on: date | None = col("The current assessment is valid until.", default=None)
    classification: str | None = col(
        "Ordinary or professional investor.", enum=InvestorClass, default=None
    )
    qualified: bool | None = col("Qualified investor, if assessed.", default=None)
    account_number: str | None = col("The securities account, once opened.", default=None)
    opened_at: datetime | None = col("When the account was opened.", default=None)
    closed_on: date | None = col("When the relationship ended.", default=None)
    contact: Contact | None = col("Phones and addresses (masked by role).", default=None)
    beneficial_owners: list[BeneficialOwner] = col("Beneficial owners.", default_factory=list)
    agreements: list[Agreement] = col("Agreements signed.", default_factory=list)
    pending_changes: list[IdentityChangeRequest] = col(
        "Identity changes waiting for a supervisor.", default_factory=list
    )
    trading_permissions: list[str] = col(
        "Boards the client may trade that need a permission.", enum=Board, default_factory=list
    )
    processing_restricted: bool = col(
        "After an erasure request: personal data only for auditors and regulators.",
        default=False,
    )


evolve: Evolver[ClientRow] = Evolver()


@evolve.creates(Client.Registered)
def _registered(e: Client.Registered, position: int) -> ClientRow:
    return ClientRow(
        id=e.originator_id,
        client_type=e.client_type,
        name=e.name,
        source_channel=e.source_channel,
        account_manager=e.account_manager,
        branch=e.branch,
        status=ClientStatus.PROSPECT.value,
        registered_at=e.envelope.occurred_at,
        version=e.originator_version,
        position=position,
    )


@evolve.on(Client.IdentityRecorded)
def _identity(row: ClientRow, e: Client.IdentityRecorded, _: int) -> ClientRow:
    return replace(
        row,
        name=e.real_name,
        identity_verified=True,
        document_type=e.document_type,
        document_number=e.document_number,
        birth_date=e.birth_date,
    )


@evolve.on(Client.ContactRecorded)
def _contact(row: ClientRow, e: Client.ContactRecorded, _: int) -> ClientRow:
    fields = ("mobile", "landline", "id_address", "mailing_address")
    contact = Contact(**{k: getattr(e, k) for k in fields}, recorded_at=e.envelope.occurred_at)
    return replace(row, contact=contact)


@evolve.on(Client.RiskAssessed)
def _risk(row: ClientRow, e: Client.RiskAssessed, _: int) -> ClientRow:
    if not supersedes(e.assessed_on, row.risk_assessed_on):
        return row  # an older assessment is history, not the current one
    return replace(
        row, risk_level=e.level, risk_assessed_on=e.assessed_on, risk_expires_on=e.expires_on
    )


@evolve.on(Client.InvestorClassified)
def _classified(row: ClientRow, e: Client.InvestorClassified, _: int) -> ClientRow:
    return replace(row, classification=e.classification)


@evolve.on(Client.QualifiedInvestorAssessed)
def _qualified(row: ClientRow, e: Client.QualifiedInvestorAssessed, _: int) -> ClientRow:
    return replace(row, qualified=e.qualified)


@evolve.on(Client.BeneficialOwnerAdded)
def _owner(row: ClientRow, e: Client.BeneficialOwnerAdded, _: int) -> ClientRow:
    owner = BeneficialOwner(e.name, e.document_type, e.document_number, e.share)
    return replace(row, beneficial_owners=[*row.beneficial_owners, owner])


@evolve.on(Client.AgreementSigned)
def _agreement(row: ClientRow, e: Client.AgreementSigned, _: int) -> ClientRow:
    agreement = Agreement(e.agreement_type, e.version, e.signed_on)
    return replace(row, agreements=[*row.agreements, agreement])


@evolve.on(Client.AccountOpened)
def _opened(row: ClientRow, e: Client.AccountOpened, _: int) -> ClientRow:
    return replace(
        row,
        account_number=e.account_number,
        opened_at=e.envelope.occurred_at,
        status=ClientStatus.ACTIVE.value,
    )


@evolve.on(Client.IdentityChangeRequested)
def _change_requested(row: ClientRow, e: Client.IdentityChangeRequested, _: int) -> ClientRow:
    change = IdentityChangeRequest(
        request_id=e.request_id,
        real_name=e.real_name,
        document_type=e.document_type,
        document_number=e.document_number,
        birth_date=e.birth_date,
        evidence_ref=e.evidence_ref,
        reason=e.envelope.reason,
        requested_by=e.envelope.actor,
        requested_at=e.envelope.occurred_at,
    )
    return replace(row, pending_changes=[*row.pending_changes, change])


@evolve.on(Client.IdentityChangeApproved)
def _change_approved(row: ClientRow, e: Client.IdentityChangeApproved, _: int) -> ClientRow:
    change = next(c for c in row.pending_changes if c.request_id == e.request_id)
    now = IdentityOnRecord(row.name, row.document_type, row.document_number, row.birth_date)
    now = now.after(change.__dict__)
    return replace(
        row,
        pending_changes=[c for c in row.pending_changes if c is not change],
        name=now.name,
        document_type=now.document_type,
        document_number=now.document_number,
        birth_date=now.birth_date,
    )


@evolve.on(Client.IdentityChangeRejected)
def _change_rejected(row: ClientRow, e: Client.IdentityChangeRejected, _: int) -> ClientRow:
    rest = [c for c in row.pending_changes if c.request_id != e.request_id]
    return replace(row, pending_changes=rest)


@evolve.on(Client.TradingPermissionGranted)
def _permission(row: ClientRow, e: Client.TradingPermissionGranted, _: int) -> ClientRow:
    return replace(row, trading_permissions=[*row.trading_permissions, e.board])


@evolve.on(Client.ProcessingRestricted)
def _restricted(row: ClientRow, _e: object, _: int) -> ClientRow:
    return replace(row, processing_restricted=True)


@evolve.on(Client.ErasureRequested)
def _erasure(row: ClientRow, _e: object, _: int) -> ClientRow:
    return row


@evolve.on(Client.Frozen)
def _frozen(row: ClientRow, _e: object, _: int) -> ClientRow:
    return replace(row, status=ClientStatus.FROZEN.value)


@evolve.on(Client.Unfrozen)
def _unfrozen(row: ClientRow, _e: object, _: int) -> ClientRow:
    return replace(row, status=status_after_unfreeze(row.account_number is not None).value)


@evolve.on(Client.Closed)
def _closed(row: ClientRow, e: Client.Closed, _: int) -> ClientRow:
    return replace(row, status=ClientStatus.CLOSED.value, closed_on=e.relationship_ended_on)


TABLE = RowTable(
    "clients",
    ClientRow,
    {
        "contact": Contact,
        "beneficial_owners": BeneficialOwner,
        "agreements": Agreement,
        "pending_changes": IdentityChangeRequest,
    },
)
get = TABLE.get
get_many = TABLE.get_many


class ClientModel(ReadModel):
    """Rows in ``clients``."""

    name = "clients"
    tables = ("clients",)

    @on(*evolve.events)
    def row(self, curs: Cursor[DictRow], event: Any, position: int) -> None:
        """The client's row."""
        TABLE.evolve(curs, evolve, event, position)


# -- queries -------------------------------------------------------------------------------


def restricted_clients(curs: Cursor[DictRow]) -> set[UUID]:
    """Clients whose processing is restricted after an erasure request."""
    curs.execute("SELECT id FROM clients WHERE processing_restricted")
    return {r["id"] for r in curs.fetchall()}


def restricted_among(curs: Cursor[DictRow], ids: Sequence[UUID]) -> set[UUID]:
    """Those of ``ids`` that are clients whose processing is restricted."""
    curs.execute(
        "SELECT id FROM clients WHERE id = ANY(%s) AND processing_restricted", (list(ids),)
    )
    return {r["id"] for r in curs.fetchall()}


def is_restricted(curs: Cursor[DictRow], record_id: UUID) -> bool:
    """True when the record is a client whose processing is restricted."""
    curs.execute("SELECT processing_restricted FROM clients WHERE id = %s", (record_id,))
    found = curs.fetchone()
    return bool(found and found["processing_restricted"])
