"""The commands on clients: onboarding, profile, account opening and supervised changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from domain.access import Permission, Role
from domain.clients.aggregate import AccountNumberClaim, Client, account_claim_id
from domain.clients.identity import DocumentType, parse_document
from domain.clients.rules import (
    INDIVIDUAL_DOCUMENTS,
    INSTITUTION_DOCUMENTS,
    AgreementType,
    ClientType,
    InvestorClass,
    RiskLevel,
    SourceChannel,
    add_months,
    professional,
)
from domain.commands import Command, Decision, command
from domain.errors import Code, ValidationError
from domain.fields import Doc, Text, describe, new_id
from domain.instruments import PERMISSION_BOARDS, Board
from domain.staff import Staff
from domain.values import (
    Address,
    BranchCode,
    ClientId,
    Label,
    Money,
    OnDay,
    Percent,
    PersonName,
    Reference,
    StaffId,
    Years,
)

DocumentNumber = Annotated[
    str, Text(30, "The document's number, as printed on it.", remove=r"\s", upper=True)
]
Mobile = Annotated[
    str,
    Text(
        20,
        "A mainland mobile number, e.g. 13812345678.",
        remove=r"[\s-]",
        pattern=r"(\+86)?1[3-9]\d{9}",
        shape="a mainland mobile number like 13812345678",
    ),
]
Landline = Annotated[
    str,
    Text(
        24,
        "A landline number with its area code, e.g. 021-63211234.",
        remove=r"\s",
        pattern=r"0\d{2,3}-?\d{7,8}(-\d{1,6})?",
        shape="a landline number like 021-63211234",
    ),
]
AccountNumber = Annotated[
    str,
    Text(
        16, "A securities account number.", remove=r"\s", pattern=r"\d{8,16}", shape="8-16 digits"
    ),
]


def _document_of(client: Client, kind: DocumentType) -> None:
    allowed = INSTITUTION_DOCUMENTS if client.is_institution else INDIVIDUAL_DOCUMENTS
    if kind not in allowed:
        who = "an institution" if client.is_institution else "an individual"
        raise ValidationError(
            f"{kind.value} is not a document of {who}", "documentType", Code.INVALID_CHOICE
        )


@command("register_client", Permission.MAINTAIN_CLIENTS)
class RegisterClient(Command):
    """Register a prospect (marketing, account managers)."""

    client_id: ClientId = new_id("Chosen by the caller for safe retries; generated if absent.")
    client_type: ClientType
    name: PersonName
    source_channel: SourceChannel
    account_manager: StaffId = describe("The account manager (or marketing staff) in charge.")
    branch: BranchCode | None = describe("Default: your branch.", default=None)

    def decide(self, d: Decision[Client]) -> Client:
        d.require_new(self.client_id, "id")
        branch = d.scope(self.branch or d.actor.branch)
        manager = d.find(Staff, self.account_manager)
        if (
            manager is None
            or not manager.active
            or not {Role.ACCOUNT_MANAGER.value, Role.MARKETING.value} & set(manager.roles)
        ):
            raise ValidationError(
                "account manager must be an active account manager or marketing staff member",
                "accountManager",
                Code.UNKNOWN_REFERENCE,
            )
        return d.new(
            Client,
            Client.Registered,
            client_id=self.client_id,
            client_type=self.client_type.value,
            name=self.name,
            source_channel=self.source_channel.value,
            account_manager=self.account_manager,
            branch=branch,
        )


@command("record_identity", Permission.MAINTAIN_CLIENTS, about=Client)
class RecordIdentity(Command):
    """Record the verified real-name identity (once; later changes are supervised)."""

    client_id: ClientId
    real_name: PersonName = describe("Exactly as on the document.")
    document_type: DocumentType
    document_number: DocumentNumber

    def decide(self, d: Decision[Client]) -> None:
        client = d.target
        client.require_not_frozen("record identity")
        if client.identity_verified:
            raise ValidationError(
                "identity is already recorded: request an identity change instead",
                "clientId",
                Code.INVALID_STATE,
            )
        _document_of(client, self.document_type)
        doc = parse_document(self.document_type, self.document_number, d.today)
        d.record(
            Client.IdentityRecorded,
            real_name=self.real_name,
            document_type=doc.type.value,
            document_number=doc.number,
            birth_date=doc.birth_date,
        )


@command("record_contact", Permission.MAINTAIN_CLIENTS, about=Client)
class RecordContact(Command):
    """Record phones and addresses (at least one phone)."""

    client_id: ClientId
    id_address: Address = describe("The address on the identity document.")
    mailing_address: Address = describe("Where letters go.")
    mobile: Mobile | None = None
    landline: Landline | None = None

    def decide(self, d: Decision[Client]) -> None:
        d.target.require_open("record contact details")
        if self.mobile is None and self.landline is None:
            raise ValidationError("at least one phone number is needed", "mobile", Code.REQUIRED)
        d.record(
            Client.ContactRecorded,
            mobile=self.mobile,
            landline=self.landline,
            id_address=self.id_address,
            mailing_address=self.mailing_address,
        )


@command("assess_risk", Permission.MAINTAIN_CLIENTS, about=Client)
class AssessRisk(Command):
    """Record a risk assessment (valid 24 months by default); one dated before the current
    assessment is kept as history and does not replace it."""

    client_id: ClientId
    level: Annotated[RiskLevel, Doc("C1 (most conservative) to C5.")]
    assessed_on: OnDay | None = describe("Default: today.", default=None)

    def decide(self, d: Decision[Client]) -> None:
        d.target.require_open("assess risk")
        day = d.policy.times.check_day(self.assessed_on or d.today, d.now, "assessedOn")
        months = d.policy.clients.risk_validity_months
        d.record(
            Client.RiskAssessed,
            level=self.level.value,
            assessed_on=day,
            expires_on=add_months(day, months),
        )


@command("classify_investor", Permission.MAINTAIN_CLIENTS, about=Client)
class ClassifyInvestor(Command):
    """Classify ordinary or professional (CSRC Order 130)."""

    client_id: ClientId
    classification: InvestorClass
    financial_assets: Money | None = None
    average_income: Money | None = describe(
        "Average yearly income over the last 3 years.", default=None
    )
    experience_years: Years = describe("Years of investment experience.", default=0)
    net_assets: Money | None = None

    def decide(self, d: Decision[Client]) -> None:
        d.target.require_open("classify the investor")
        assets = self.financial_assets or Decimal(0)
        income = self.average_income or Decimal(0)
        net = self.net_assets or Decimal(0)
        thresholds = d.policy.clients.classification
        if self.classification is InvestorClass.PROFESSIONAL and not professional(
            d.target.is_institution, assets, income, self.experience_years, net, thresholds
        ):
            raise ValidationError(
                "does not meet the professional-investor thresholds (CSRC Order 130 Art. 8)",
                "classification",
            )
        d.record(
            Client.InvestorClassified,
            classification=self.classification.value,
            financial_assets=assets,
            average_income=income,
            experience_years=self.experience_years,
            net_assets=net,
        )


@command("assess_qualified_investor", Permission.MAINTAIN_CLIENTS, about=Client)
class AssessQualifiedInvestor(Command):
    """Record a qualified-investor assessment with evidence."""

    client_id: ClientId
    evidence_ref: Reference
    family_financial_assets: Money | None = None
    net_assets: Money | None = None

    def decide(self, d: Decision[Client]) -> None:
        d.target.require_open("assess qualification")
        family = self.family_financial_assets or Decimal(0)
        net = self.net_assets or Decimal(0)
        t = d.policy.clients.qualified
        qualified = (
            net >= t.institution_net_assets
            if d.target.is_institution
            else family >= t.individual_family_financial_assets
        )
        d.record(
            Client.QualifiedInvestorAssessed,
            qualified=qualified,
            family_financial_assets=family,
            net_assets=net,
            evidence_ref=self.evidence_ref,
        )


@command("add_beneficial_owner", Permission.MAINTAIN_CLIENTS, about=Client)
class AddBeneficialOwner(Command):
    """Record a beneficial owner; shares never add up to more than 100%."""

    client_id: ClientId
    name: PersonName
    document_type: DocumentType
    document_number: DocumentNumber
    share: Percent

    def decide(self, d: Decision[Client]) -> None:
        client = d.target
        client.require_open("add a beneficial owner")
        doc = parse_document(self.document_type, self.document_number, d.today)
        if client.owner_shares + self.share > 100:
            raise ValidationError(
                f"shares would total {client.owner_shares + self.share}%, more than 100%",
                "share",
                Code.LIMIT_EXCEEDED,
            )
        d.record(
            Client.BeneficialOwnerAdded,
            name=self.name,
            document_type=doc.type.value,
            document_number=doc.number,
            share=self.share,
        )


@command("sign_agreement", Permission.MAINTAIN_CLIENTS, about=Client)
class SignAgreement(Command):
    """Record a signed agreement; a frozen or closed client signs nothing new."""

    client_id: ClientId
    agreement_type: AgreementType
    version: Label = describe("The agreement's version, e.g. 2026.1.")
    signed_on: OnDay | None = describe("Default: today.", default=None)

    def decide(self, d: Decision[Client]) -> None:
        d.target.require_not_frozen("sign agreements")
        day = d.policy.times.check_day(self.signed_on or d.today, d.now, "signedOn")
        d.record(
            Client.AgreementSigned,
            agreement_type=self.agreement_type.value,
            version=self.version,
            signed_on=day,
        )


@command("open_account", Permission.MAINTAIN_CLIENTS, about=Client)
class OpenAccount(Command):
    """Open the account: needs verified identity, a current risk assessment and a signed
    client agreement; the number is unique in the branch."""

    client_id: ClientId
    account_number: AccountNumber

    def decide(self, d: Decision[Client]) -> None:
        client = d.target
        client.require_not_frozen("open an account")
        if client.account_number is not None:
            raise ValidationError("an account is already open", "clientId", Code.INVALID_STATE)
        missing = []
        if not client.identity_verified:
            missing.append("verified identity")
        if not client.risk_current(d.today):
            missing.append("a current risk assessment")
        if AgreementType.CLIENT_AGREEMENT.value not in client.agreements:
            missing.append("a signed client agreement")
        if missing:
            raise ValidationError(
                "cannot open an account without " + ", ".join(missing), "clientId"
            )
        d.record(Client.AccountOpened, account_number=self.account_number)
        claim_id = account_claim_id(client.branch, self.account_number)
        d.claim(
            d.new(
                AccountNumberClaim,
                AccountNumberClaim.Claimed,
                claim_id=claim_id,
                branch=client.branch,
                account_number=self.account_number,
                client_id=client.id,
            ),
            f"account number {self.account_number} is taken in branch {client.branch}",
            "accountNumber",
        )


@command("grant_trading_permission", Permission.MAINTAIN_CLIENTS, about=Client)
class GrantTradingPermission(Command):
    """Allow a client to trade on ChiNext, STAR or the BSE."""

    client_id: ClientId
    board: Board

    def decide(self, d: Decision[Client]) -> None:
        client = d.target
        client.require_not_frozen("grant trading permissions")
        if self.board.value not in PERMISSION_BOARDS:
            raise ValidationError(
                f"the {self.board.value} board needs no permission", "board", Code.INVALID_CHOICE
            )
        if self.board.value in client.trading_permissions:
            raise ValidationError(
                f"permission for {self.board.value} is already granted", "board", Code.DUPLICATE
            )
        if not client.identity_verified or not client.risk_current(d.today):
            raise ValidationError(
                "a trading permission needs verified identity and a current risk assessment",
                "clientId",
            )
        d.record(Client.TradingPermissionGranted, board=self.board.value)


@command("request_erasure", Permission.MAINTAIN_CLIENTS, about=Client)
class RequestErasure(Command):
    """Record a client's erasure request: during retention nothing is deleted; processing is
    restricted (PIPL Art. 47) and the outcome recorded."""

    client_id: ClientId
    channel: Label = describe("How the request came in (letter, counter, email, …).")

    def decide(self, d: Decision[Client]) -> None:
        if d.target.processing_restricted:
            raise ValidationError(
                "processing is already restricted for this client", "clientId", Code.INVALID_STATE
            )
        d.record(Client.ErasureRequested, channel=self.channel)
        d.record(
            Client.ProcessingRestricted,
            basis="records under statutory retention cannot be erased (PIPL Art. 47); "
            "processing restricted instead",
        )
