"""Clients: prospect → real-name identity → profile → agreements → account, and after."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.envelope import BackofficeAggregate, Envelope
from domain.errors import ValidationError
from domain.identity import DocumentType, IdentityDocument, parse_document
from domain.instruments import PERMISSION_BOARDS, parse_board
from domain.staff import parse_branch, parse_name


class ClientType(StrEnum):
    """Natural person or organisation."""

    INDIVIDUAL = "individual"
    INSTITUTION = "institution"


class SourceChannel(StrEnum):
    """How the prospect came to the branch."""

    PHONE = "phone"
    ONLINE = "online"
    REFERRAL = "referral"
    WALK_IN = "walk_in"
    EVENT = "event"


class ClientStatus(StrEnum):
    """Where the client is in the relationship."""

    PROSPECT = "prospect"
    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"


class RiskLevel(StrEnum):
    """Investor risk category, C1 (most conservative) to C5."""

    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    C4 = "C4"
    C5 = "C5"


class InvestorClass(StrEnum):
    """CSRC Order 130 classification."""

    ORDINARY = "ordinary"
    PROFESSIONAL = "professional"


class AgreementType(StrEnum):
    """Agreements a client signs; CLIENT_AGREEMENT is the one an account needs."""

    CLIENT_AGREEMENT = "client_agreement"
    RISK_DISCLOSURE = "risk_disclosure"
    ONLINE_TRADING = "online_trading"
    PRIVACY_NOTICE = "privacy_notice"


INDIVIDUAL_DOCUMENTS = frozenset(
    {
        DocumentType.RESIDENT_ID,
        DocumentType.RESIDENT_ID_LEGACY,
        DocumentType.PASSPORT,
        DocumentType.HK_MACAU_PERMIT,
        DocumentType.TAIWAN_PERMIT,
    }
)
INSTITUTION_DOCUMENTS = frozenset({DocumentType.USCC, DocumentType.BUSINESS_LICENCE})

MOBILE = re.compile(r"^(\+86)?1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
ACCOUNT_NUMBER = re.compile(r"^\d{8,16}$")


@dataclass(frozen=True)
class ClassificationThresholds:
    """CSRC Order 130 Art. 8 professional-investor thresholds (CNY), configurable."""

    individual_financial_assets: Decimal = Decimal("5000000")
    individual_average_income: Decimal = Decimal("500000")
    individual_experience_years: int = 2
    institution_net_assets: Decimal = Decimal("20000000")
    institution_financial_assets: Decimal = Decimal("10000000")


@dataclass(frozen=True)
class QualifiedThresholds:
    """Qualified-investor thresholds (CNY); defaults are the source documents'."""

    individual_family_financial_assets: Decimal = Decimal("1000000")
    institution_net_assets: Decimal = Decimal("10000000")


def _parse_enum(enum: type[StrEnum], value: str, field: str) -> str:
    try:
        return str(enum(value.strip().lower() if enum is not RiskLevel else value.strip().upper()))
    except ValueError:
        valid = ", ".join(e.value for e in enum)
        raise ValidationError(f"{value!r} is not one of: {valid}", field) from None


def _money(value: Decimal | None, field: str) -> Decimal:
    if value is None:
        return Decimal(0)
    if value < 0:
        raise ValidationError("amounts cannot be negative", field)
    return value


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's end)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


class Client(BackofficeAggregate):
    """A client of the branch, from first contact to the end of the relationship."""

    class Registered(BackofficeAggregate.Created):
        """A prospect was registered."""

        envelope: Envelope
        client_id: UUID
        client_type: str
        name: str
        source_channel: str
        account_manager: UUID
        branch: str

    class IdentityRecorded(BackofficeAggregate.Event):
        """The real-name identity was verified against the original document."""

        envelope: Envelope
        real_name: str
        document_type: str
        document_number: str
        birth_date: date | None

    class ContactRecorded(BackofficeAggregate.Event):
        """Contact details were recorded (replacing earlier ones)."""

        envelope: Envelope
        mobile: str | None
        landline: str | None
        id_address: str
        mailing_address: str

    class RiskAssessed(BackofficeAggregate.Event):
        """A risk tolerance assessment gave a level, valid until expires_on."""

        envelope: Envelope
        level: str
        assessed_on: date
        expires_on: date

    class InvestorClassified(BackofficeAggregate.Event):
        """Classified ordinary or professional on the declared facts."""

        envelope: Envelope
        classification: str
        financial_assets: Decimal
        average_income: Decimal
        experience_years: int
        net_assets: Decimal

    class QualifiedInvestorAssessed(BackofficeAggregate.Event):
        """Qualified-investor assessment with its evidence."""

        envelope: Envelope
        qualified: bool
        family_financial_assets: Decimal
        net_assets: Decimal
        evidence_ref: str

    class BeneficialOwnerAdded(BackofficeAggregate.Event):
        """A beneficial owner was recorded."""

        envelope: Envelope
        name: str
        document_type: str
        document_number: str
        share: Decimal

    class AgreementSigned(BackofficeAggregate.Event):
        """An agreement was signed."""

        envelope: Envelope
        agreement_type: str
        version: str
        signed_on: date

    class AccountOpened(BackofficeAggregate.Event):
        """The securities account was opened."""

        envelope: Envelope
        account_number: str

    class IdentityChangeRequested(BackofficeAggregate.Event):
        """A change of name or document was requested; it waits for a supervisor."""

        envelope: Envelope
        request_id: UUID
        real_name: str | None
        document_type: str | None
        document_number: str | None
        birth_date: date | None
        evidence_ref: str

    class IdentityChangeApproved(BackofficeAggregate.Event):
        """A supervisor approved the change against the original documents."""

        envelope: Envelope
        request_id: UUID

    class IdentityChangeRejected(BackofficeAggregate.Event):
        """A supervisor rejected the change."""

        envelope: Envelope
        request_id: UUID

    class TradingPermissionGranted(BackofficeAggregate.Event):
        """The client may trade on a board that needs permission (ChiNext, STAR, BSE)."""

        envelope: Envelope
        board: str

    class ErasureRequested(BackofficeAggregate.Event):
        """The client asked for their personal data to be erased (PIPL Art. 47)."""

        envelope: Envelope
        channel: str

    class ProcessingRestricted(BackofficeAggregate.Event):
        """The outcome during retention: nothing is deleted, processing is restricted."""

        envelope: Envelope
        basis: str

    class Frozen(BackofficeAggregate.Event):
        """The client was frozen."""

        envelope: Envelope

    class Unfrozen(BackofficeAggregate.Event):
        """The client was unfrozen."""

        envelope: Envelope

    class Closed(BackofficeAggregate.Event):
        """The relationship ended; identity retention starts counting from this date."""

        envelope: Envelope
        relationship_ended_on: date

    # -- registration ----------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        envelope: Envelope,
        client_id: UUID,
        client_type: str,
        name: str,
        source_channel: str,
        account_manager: UUID,
        branch: str,
    ) -> Client:
        """Register a prospect."""
        return cls(
            envelope=envelope,
            client_id=client_id,
            client_type=_parse_enum(ClientType, client_type, "clientType"),
            name=parse_name(name),
            source_channel=_parse_enum(SourceChannel, source_channel, "sourceChannel"),
            account_manager=account_manager,
            branch=parse_branch(branch),
        )

    @event(Registered)
    def __init__(
        self,
        envelope: Envelope,
        client_id: UUID,
        client_type: str,
        name: str,
        source_channel: str,
        account_manager: UUID,
        branch: str,
    ) -> None:
        self.client_type = client_type
        self.name = name
        self.branch = branch
        self.account_manager = account_manager
        self.status = ClientStatus.PROSPECT.value
        self.document: IdentityDocument | None = None
        self.risk_level: str | None = None
        self.risk_expires_on: date | None = None
        self.agreements: dict[str, str] = {}
        self.account_number: str | None = None
        self.owner_shares = Decimal(0)
        self.pending_changes: dict[UUID, dict[str, object]] = {}
        self.trading_permissions: list[str] = []
        self.processing_restricted = False
        self.classification: str | None = None
        self.declared_assets: Decimal | None = None

    @staticmethod
    def create_id(client_id: UUID, **_: object) -> UUID:
        """The id is chosen at the edge and passed in."""
        return client_id

    # -- rules shared by commands ----------------------------------------------------------

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

    def _require_open(self, action: str) -> None:
        if self.status == ClientStatus.CLOSED.value:
            raise ValidationError(f"client is closed: cannot {action}", "clientId")

    def _require_not_frozen(self, action: str) -> None:
        self._require_open(action)
        if self.status == ClientStatus.FROZEN.value:
            raise ValidationError(f"client is frozen: cannot {action}", "clientId")

    def _document(self, kind: str, number: str, today: date, field: str) -> IdentityDocument:
        doc = parse_document(kind, number, today, field)
        allowed = INSTITUTION_DOCUMENTS if self.is_institution else INDIVIDUAL_DOCUMENTS
        if doc.type not in allowed:
            who = "an institution" if self.is_institution else "an individual"
            raise ValidationError(f"{doc.type.value} is not a document of {who}", "documentType")
        return doc

    # -- identity --------------------------------------------------------------------------

    def record_identity(
        self, envelope: Envelope, real_name: str, document_type: str, document_number: str
    ) -> None:
        """Record the verified real-name identity (once; later changes are supervised)."""
        self._require_not_frozen("record identity")
        if self.identity_verified:
            raise ValidationError(
                "identity is already recorded: request an identity change instead", "clientId"
            )
        doc = self._document(document_type, document_number, envelope.today, "documentNumber")
        self._identity_recorded(
            envelope=envelope,
            real_name=parse_name(real_name, "realName"),
            document_type=doc.type.value,
            document_number=doc.number,
            birth_date=doc.birth_date,
        )

    @event(IdentityRecorded)
    def _identity_recorded(
        self,
        envelope: Envelope,
        real_name: str,
        document_type: str,
        document_number: str,
        birth_date: date | None,
    ) -> None:
        self.name = real_name
        self.document = IdentityDocument(DocumentType(document_type), document_number, birth_date)

    def record_contact(
        self,
        envelope: Envelope,
        mobile: str | None,
        landline: str | None,
        id_address: str,
        mailing_address: str,
    ) -> None:
        """Record phones and addresses (applies directly; not an identity change)."""
        self._require_open("record contact details")
        mobile = re.sub(r"[\s-]", "", mobile) if mobile else None
        if mobile is not None and not MOBILE.match(mobile):
            raise ValidationError("mobile must be a mainland number like 13812345678", "mobile")
        landline = landline.strip() if landline else None
        if landline is not None and not LANDLINE.match(landline):
            raise ValidationError("landline must look like 021-63211234", "landline")
        if mobile is None and landline is None:
            raise ValidationError("at least one phone number is needed", "mobile")
        for field, value in (("idAddress", id_address), ("mailingAddress", mailing_address)):
            if not value or not value.strip():
                raise ValidationError("address must not be empty", field)
        self._contact_recorded(
            envelope=envelope,
            mobile=mobile,
            landline=landline,
            id_address=id_address.strip(),
            mailing_address=mailing_address.strip(),
        )

    @event(ContactRecorded)
    def _contact_recorded(
        self,
        envelope: Envelope,
        mobile: str | None,
        landline: str | None,
        id_address: str,
        mailing_address: str,
    ) -> None:
        pass

    # -- profile ---------------------------------------------------------------------------

    def assess_risk(
        self, envelope: Envelope, level: str, assessed_on: date, validity_months: int = 24
    ) -> None:
        """Record a risk assessment; it expires ``validity_months`` later."""
        self._require_open("assess risk")
        if assessed_on > envelope.today:
            raise ValidationError("an assessment cannot be dated in the future", "assessedOn")
        if validity_months < 1:
            raise ValidationError("validity must be at least one month", "validityMonths")
        self._risk_assessed(
            envelope=envelope,
            level=_parse_enum(RiskLevel, level, "level"),
            assessed_on=assessed_on,
            expires_on=add_months(assessed_on, validity_months),
        )

    @event(RiskAssessed)
    def _risk_assessed(
        self, envelope: Envelope, level: str, assessed_on: date, expires_on: date
    ) -> None:
        self.risk_level = level
        self.risk_expires_on = expires_on

    def classify_investor(
        self,
        envelope: Envelope,
        requested: str,
        financial_assets: Decimal | None,
        average_income: Decimal | None,
        experience_years: int,
        net_assets: Decimal | None,
        thresholds: ClassificationThresholds,
    ) -> None:
        """Classify ordinary or professional; professional only when the facts meet Art. 8."""
        self._require_open("classify the investor")
        classification = _parse_enum(InvestorClass, requested, "classification")
        assets = _money(financial_assets, "financialAssets")
        income = _money(average_income, "averageIncome")
        net = _money(net_assets, "netAssets")
        if experience_years < 0:
            raise ValidationError("experience cannot be negative", "experienceYears")
        if classification == InvestorClass.PROFESSIONAL.value:
            t = thresholds
            if self.is_institution:
                ok = net >= t.institution_net_assets and assets >= t.institution_financial_assets
                rule = (
                    f"net assets ≥ {t.institution_net_assets} and financial assets ≥ "
                    f"{t.institution_financial_assets}"
                )
            else:
                ok = (
                    assets >= t.individual_financial_assets or income >= t.individual_average_income
                ) and experience_years >= t.individual_experience_years
                rule = (
                    f"financial assets ≥ {t.individual_financial_assets} or average income ≥ "
                    f"{t.individual_average_income}, and {t.individual_experience_years} "
                    "years' experience"
                )
            if not ok:
                raise ValidationError(
                    f"does not meet the professional-investor thresholds: {rule}",
                    "classification",
                )
        self._investor_classified(
            envelope=envelope,
            classification=classification,
            financial_assets=assets,
            average_income=income,
            experience_years=experience_years,
            net_assets=net,
        )

    @event(InvestorClassified)
    def _investor_classified(
        self,
        envelope: Envelope,
        classification: str,
        financial_assets: Decimal,
        average_income: Decimal,
        experience_years: int,
        net_assets: Decimal,
    ) -> None:
        self.classification = classification
        # Zero means "not declared": the abnormal-trade rule then has nothing to compare with.
        self.declared_assets = financial_assets or None

    def assess_qualified_investor(
        self,
        envelope: Envelope,
        family_financial_assets: Decimal | None,
        net_assets: Decimal | None,
        evidence_ref: str,
        thresholds: QualifiedThresholds,
    ) -> bool:
        """Record whether the client is a qualified investor; return the outcome."""
        self._require_open("assess qualification")
        if not evidence_ref or not evidence_ref.strip():
            raise ValidationError("an evidence reference is required", "evidenceRef")
        family = _money(family_financial_assets, "familyFinancialAssets")
        net = _money(net_assets, "netAssets")
        if self.is_institution:
            qualified = net >= thresholds.institution_net_assets
        else:
            qualified = family >= thresholds.individual_family_financial_assets
        self._qualified_assessed(
            envelope=envelope,
            qualified=qualified,
            family_financial_assets=family,
            net_assets=net,
            evidence_ref=evidence_ref.strip(),
        )
        return qualified

    @event(QualifiedInvestorAssessed)
    def _qualified_assessed(
        self,
        envelope: Envelope,
        qualified: bool,
        family_financial_assets: Decimal,
        net_assets: Decimal,
        evidence_ref: str,
    ) -> None:
        self.qualified = qualified

    def add_beneficial_owner(
        self,
        envelope: Envelope,
        name: str,
        document_type: str,
        document_number: str,
        share: Decimal,
    ) -> None:
        """Record a beneficial owner; shares never add up to more than 100%."""
        self._require_open("add a beneficial owner")
        doc = parse_document(document_type, document_number, envelope.today, "ownerDocumentNumber")
        if share <= 0 or share > 100:
            raise ValidationError("share is a percentage above 0 and at most 100", "share")
        if self.owner_shares + share > 100:
            raise ValidationError(
                f"shares would total {self.owner_shares + share}%, more than 100%", "share"
            )
        self._owner_added(
            envelope=envelope,
            name=parse_name(name),
            document_type=doc.type.value,
            document_number=doc.number,
            share=share,
        )

    @event(BeneficialOwnerAdded)
    def _owner_added(
        self,
        envelope: Envelope,
        name: str,
        document_type: str,
        document_number: str,
        share: Decimal,
    ) -> None:
        self.owner_shares += share

    def sign_agreement(
        self, envelope: Envelope, agreement_type: str, version: str, signed_on: date
    ) -> None:
        """Record a signed agreement; a frozen or closed client signs nothing new."""
        self._require_not_frozen("sign agreements")
        kind = _parse_enum(AgreementType, agreement_type, "agreementType")
        if not version or not version.strip():
            raise ValidationError("agreement version is required", "version")
        if signed_on > envelope.today:
            raise ValidationError("an agreement cannot be signed in the future", "signedOn")
        self._agreement_signed(
            envelope=envelope, agreement_type=kind, version=version.strip(), signed_on=signed_on
        )

    @event(AgreementSigned)
    def _agreement_signed(
        self, envelope: Envelope, agreement_type: str, version: str, signed_on: date
    ) -> None:
        self.agreements = {**self.agreements, agreement_type: version}

    def open_account(self, envelope: Envelope, account_number: str) -> None:
        """Open the account: needs verified identity, current risk level, client agreement."""
        self._require_not_frozen("open an account")
        if self.account_number is not None:
            raise ValidationError("an account is already open", "clientId")
        if not ACCOUNT_NUMBER.match(account_number):
            raise ValidationError("account number is 8-16 digits", "accountNumber")
        missing = []
        if not self.identity_verified:
            missing.append("verified identity")
        if not self.risk_current(envelope.today):
            missing.append("a current risk assessment")
        if AgreementType.CLIENT_AGREEMENT.value not in self.agreements:
            missing.append("a signed client agreement")
        if missing:
            raise ValidationError(
                "cannot open an account without " + ", ".join(missing), "clientId"
            )
        self._account_opened(envelope=envelope, account_number=account_number)

    @event(AccountOpened)
    def _account_opened(self, envelope: Envelope, account_number: str) -> None:
        self.account_number = account_number
        self.status = ClientStatus.ACTIVE.value

    # -- supervised identity changes -------------------------------------------------------

    def request_identity_change(
        self,
        envelope: Envelope,
        request_id: UUID,
        real_name: str | None,
        document_type: str | None,
        document_number: str | None,
        evidence_ref: str,
    ) -> None:
        """Ask for a change of name or document; nothing changes until a supervisor approves."""
        self._require_open("change identity")
        if not self.identity_verified:
            raise ValidationError("no identity recorded yet: record it instead", "clientId")
        if not envelope.reason or not envelope.reason.strip():
            raise ValidationError("a reason is required", "reason")
        if not evidence_ref or not evidence_ref.strip():
            raise ValidationError("an evidence reference is required", "evidenceRef")
        if real_name is None and document_number is None:
            raise ValidationError("nothing to change", "realName")
        if request_id in self.pending_changes:
            raise ValidationError("request id already used", "requestId")
        birth: date | None = None
        if document_number is not None:
            assert self.document is not None
            doc = self._document(
                document_type or self.document.type.value,
                document_number,
                envelope.today,
                "documentNumber",
            )
            document_type, document_number, birth = doc.type.value, doc.number, doc.birth_date
        else:
            document_type = None
        self._change_requested(
            envelope=envelope,
            request_id=request_id,
            real_name=parse_name(real_name, "realName") if real_name is not None else None,
            document_type=document_type,
            document_number=document_number,
            birth_date=birth,
            evidence_ref=evidence_ref.strip(),
        )

    @event(IdentityChangeRequested)
    def _change_requested(
        self,
        envelope: Envelope,
        request_id: UUID,
        real_name: str | None,
        document_type: str | None,
        document_number: str | None,
        birth_date: date | None,
        evidence_ref: str,
    ) -> None:
        self.pending_changes = {
            **self.pending_changes,
            request_id: {
                "requested_by": envelope.actor,
                "real_name": real_name,
                "document_type": document_type,
                "document_number": document_number,
                "birth_date": birth_date,
            },
        }

    def _pending(self, envelope: Envelope, request_id: UUID) -> dict[str, object]:
        self._require_open("change identity")
        found = self.pending_changes.get(request_id)
        if found is None:
            raise ValidationError("no pending identity change with that id", "requestId")
        if found["requested_by"] == envelope.actor:
            raise ValidationError(
                "the requester cannot decide their own identity change", "requestId"
            )
        return found

    def approve_identity_change(self, envelope: Envelope, request_id: UUID) -> None:
        """A supervisor other than the requester approves; the change takes effect."""
        self._pending(envelope, request_id)
        self._change_approved(envelope=envelope, request_id=request_id)

    @event(IdentityChangeApproved)
    def _change_approved(self, envelope: Envelope, request_id: UUID) -> None:
        change = self.pending_changes[request_id]
        if change["real_name"] is not None:
            self.name = str(change["real_name"])
        if change["document_number"] is not None:
            birth = change["birth_date"]
            self.document = IdentityDocument(
                DocumentType(str(change["document_type"])),
                str(change["document_number"]),
                birth if isinstance(birth, date) else None,
            )
        self.pending_changes = {k: v for k, v in self.pending_changes.items() if k != request_id}

    def reject_identity_change(self, envelope: Envelope, request_id: UUID) -> None:
        """A supervisor other than the requester rejects, with a reason."""
        self._pending(envelope, request_id)
        if not envelope.reason or not envelope.reason.strip():
            raise ValidationError("a reason is required", "reason")
        self._change_rejected(envelope=envelope, request_id=request_id)

    @event(IdentityChangeRejected)
    def _change_rejected(self, envelope: Envelope, request_id: UUID) -> None:
        self.pending_changes = {k: v for k, v in self.pending_changes.items() if k != request_id}

    def grant_trading_permission(self, envelope: Envelope, board: str) -> None:
        """Allow trading on a board that needs a permission."""
        self._require_not_frozen("grant trading permissions")
        value = parse_board(board)
        if value not in PERMISSION_BOARDS:
            raise ValidationError(f"the {value} board needs no permission", "board")
        if value in self.trading_permissions:
            raise ValidationError(f"permission for {value} is already granted", "board")
        if not self.identity_verified or not self.risk_current(envelope.today):
            raise ValidationError(
                "a trading permission needs verified identity and a current risk assessment",
                "clientId",
            )
        self._permission_granted(envelope=envelope, board=value)

    @event(TradingPermissionGranted)
    def _permission_granted(self, envelope: Envelope, board: str) -> None:
        self.trading_permissions = [*self.trading_permissions, board]

    def request_erasure(self, envelope: Envelope, channel: str) -> None:
        """Record an erasure request and its outcome: records under retention are kept, so
        processing is restricted instead (personal data shown only to auditors, regulators)."""
        if self.processing_restricted:
            raise ValidationError("processing is already restricted for this client", "clientId")
        if not channel or not channel.strip():
            raise ValidationError("say how the request came in", "channel")
        self._erasure_requested(envelope=envelope, channel=channel.strip())
        self._processing_restricted(
            envelope=envelope,
            basis="records under statutory retention cannot be erased (PIPL Art. 47); "
            "processing restricted instead",
        )

    @event(ErasureRequested)
    def _erasure_requested(self, envelope: Envelope, channel: str) -> None:
        pass

    @event(ProcessingRestricted)
    def _processing_restricted(self, envelope: Envelope, basis: str) -> None:
        self.processing_restricted = True

    # -- freezing and closing --------------------------------------------------------------

    def freeze(self, envelope: Envelope) -> None:
        """Freeze the client (a reason is required)."""
        self._require_not_frozen("freeze")
        if not envelope.reason or not envelope.reason.strip():
            raise ValidationError("a reason is required", "reason")
        self._frozen(envelope=envelope)

    @event(Frozen)
    def _frozen(self, envelope: Envelope) -> None:
        self.status_before_freeze = self.status
        self.status = ClientStatus.FROZEN.value

    def unfreeze(self, envelope: Envelope) -> None:
        """Lift a freeze (a reason is required)."""
        self._require_open("unfreeze")
        if self.status != ClientStatus.FROZEN.value:
            raise ValidationError("client is not frozen", "clientId")
        if not envelope.reason or not envelope.reason.strip():
            raise ValidationError("a reason is required", "reason")
        self._unfrozen(envelope=envelope)

    @event(Unfrozen)
    def _unfrozen(self, envelope: Envelope) -> None:
        self.status = self.status_before_freeze

    def close(self, envelope: Envelope, relationship_ended_on: date) -> None:
        """End the relationship; the identity-retention clock starts on that date."""
        self._require_open("close")
        if relationship_ended_on > envelope.today:
            raise ValidationError("the relationship cannot end in the future", "endedOn")
        self._closed(envelope=envelope, relationship_ended_on=relationship_ended_on)

    @event(Closed)
    def _closed(self, envelope: Envelope, relationship_ended_on: date) -> None:
        self.status = ClientStatus.CLOSED.value


class AccountNumberClaim(BackofficeAggregate):
    """Makes an account number unique per branch: its id is derived from both, so a second
    claim collides on the event store's primary key in the same transaction as the opening."""

    class Claimed(BackofficeAggregate.Created):
        """The number was taken by a client."""

        envelope: Envelope
        claim_id: UUID
        branch: str
        account_number: str
        client_id: UUID

    @event(Claimed)
    def __init__(
        self,
        envelope: Envelope,
        claim_id: UUID,
        branch: str,
        account_number: str,
        client_id: UUID,
    ) -> None:
        self.client_id = client_id

    @staticmethod
    def create_id(claim_id: UUID, **_: object) -> UUID:
        """The id is derived from branch and number at the edge of the domain."""
        return claim_id


def account_claim_id(branch: str, account_number: str) -> UUID:
    """The deterministic id of the claim on ``account_number`` in ``branch``."""
    return uuid5(NAMESPACE_URL, f"backoffice:account:{branch}:{account_number}")
