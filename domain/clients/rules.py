"""The vocabulary and the rules of clients that more than one place computes: the aggregate
decides with them and the read model shows what they give, so they are written once, here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.clients.identity import DocumentType


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


@dataclass(frozen=True)
class ClientPolicy:
    """Configurable numbers of the client rules (DESIGN §4)."""

    risk_validity_months: int = 24
    classification: ClassificationThresholds = field(default_factory=ClassificationThresholds)
    qualified: QualifiedThresholds = field(default_factory=QualifiedThresholds)


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


def supersedes(assessed_on: date, current: date | None) -> bool:
    """True when an assessment dated ``assessed_on`` becomes the current one: an older
    assessment is recorded as history, never in place of a newer one."""
    return current is None or assessed_on >= current


@dataclass(frozen=True)
class IdentityOnRecord:
    """The name and document a client is known by."""

    name: str
    document_type: str | None
    document_number: str | None
    birth_date: date | None

    def after(self, change: Mapping[str, Any]) -> IdentityOnRecord:
        """The identity once a requested change is approved: only what it changes."""
        if change.get("document_number") is None:
            return replace(self, name=change.get("real_name") or self.name)
        return IdentityOnRecord(
            name=change.get("real_name") or self.name,
            document_type=change["document_type"],
            document_number=change["document_number"],
            birth_date=change.get("birth_date"),
        )


def status_after_unfreeze(account_opened: bool) -> ClientStatus:
    """Where an unfrozen client returns to: active once an account is open, else prospect."""
    return ClientStatus.ACTIVE if account_opened else ClientStatus.PROSPECT


def professional(
    is_institution: bool,
    financial_assets: Decimal,
    average_income: Decimal,
    experience_years: int,
    net_assets: Decimal,
    thresholds: ClassificationThresholds,
) -> bool:
    """Whether the declared facts meet the professional-investor thresholds (Art. 8)."""
    t = thresholds
    if is_institution:
        return (
            net_assets >= t.institution_net_assets
            and financial_assets >= t.institution_financial_assets
        )
    return (
        financial_assets >= t.individual_financial_assets
        or average_income >= t.individual_average_income
    ) and experience_years >= t.individual_experience_years
