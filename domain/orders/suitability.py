"""The review of an order as pure functions: each check a named reason code, plus the
abnormal-trade rules that send an order to risk management."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.instruments import PERMISSION_BOARDS, InstrumentStatus


class ReasonCode(StrEnum):
    """Why an order was rejected: the automatic checks, then the reviewer's own reasons."""

    CLIENT_NOT_ACTIVE = "CLIENT_NOT_ACTIVE"
    CLIENT_FROZEN = "CLIENT_FROZEN"
    IDENTITY_NOT_VERIFIED = "IDENTITY_NOT_VERIFIED"
    RISK_ASSESSMENT_NOT_CURRENT = "RISK_ASSESSMENT_NOT_CURRENT"
    SUITABILITY_C1_ABOVE_R1 = "SUITABILITY_C1_ABOVE_R1"
    SUITABILITY_NOT_ACKNOWLEDGED = "SUITABILITY_NOT_ACKNOWLEDGED"
    BOARD_NOT_PERMITTED = "BOARD_NOT_PERMITTED"
    BOARD_LOT = "BOARD_LOT"
    LIMIT_PRICE_INVALID = "LIMIT_PRICE_INVALID"
    INSTRUMENT_NOT_TRADABLE = "INSTRUMENT_NOT_TRADABLE"
    ACCOUNT_MISMATCH = "ACCOUNT_MISMATCH"
    # Given by the reviewer.
    PRICE_SANITY = "PRICE_SANITY"
    INSTRUCTION_UNCLEAR = "INSTRUCTION_UNCLEAR"
    OTHER = "OTHER"


class ReviewerCode(StrEnum):
    """Reasons a reviewer may give to reject an order whose checks all passed."""

    PRICE_SANITY = "PRICE_SANITY"
    INSTRUCTION_UNCLEAR = "INSTRUCTION_UNCLEAR"
    OTHER = "OTHER"


class AbnormalRule(StrEnum):
    """Abnormal-trade rules that flag an order to risk management."""

    NOTIONAL_ABOVE_ASSETS = "NOTIONAL_ABOVE_ASSETS"
    EXCESSIVE_CANCELLATIONS = "EXCESSIVE_CANCELLATIONS"
    RESTRICTED_INSTRUMENT = "RESTRICTED_INSTRUMENT"


@dataclass(frozen=True)
class SurveillancePolicy:
    """Thresholds of the abnormal-trade rules (configurable)."""

    notional_multiple: Decimal = Decimal("2")
    max_cancellations_per_day: int = 5


@dataclass(frozen=True)
class OrderTerms:
    """What the client asked for."""

    account_number: str
    side: str
    quantity: int
    order_type: str
    limit_price: Decimal | None
    received_on: date
    risk_acknowledged: bool


@dataclass(frozen=True)
class ClientFacts:
    """The client as recorded at a moment (receipt, or review)."""

    status: str
    identity_verified: bool
    risk_level: str | None
    risk_expires_on: date | None
    investor_class: str | None
    trading_permissions: tuple[str, ...]
    account_number: str | None
    declared_assets: Decimal | None

    @classmethod
    def of(cls, client: Any) -> ClientFacts:
        """The facts of a ``Client`` aggregate now."""
        return cls(
            status=client.status,
            identity_verified=client.identity_verified,
            risk_level=client.risk_level,
            risk_expires_on=client.risk_expires_on,
            investor_class=client.classification,
            trading_permissions=tuple(client.trading_permissions),
            account_number=client.account_number,
            declared_assets=client.declared_assets,
        )


@dataclass(frozen=True)
class InstrumentFacts:
    """The instrument as recorded at a moment (receipt, or review)."""

    code: str
    board: str
    risk_level: str
    board_lot: int
    status: str
    restricted: bool

    @classmethod
    def of(cls, instrument: Any) -> InstrumentFacts:
        """The facts of an ``Instrument`` aggregate now."""
        return cls(
            code=instrument.code,
            board=instrument.board,
            risk_level=instrument.risk_level,
            board_lot=instrument.board_lot,
            status=instrument.status,
            restricted=instrument.restricted,
        )


@dataclass(frozen=True)
class CheckOutcome:
    """One check of the review and whether it passed."""

    code: str
    passed: bool
    detail: str


def _level(value: str | None) -> int:
    return int(value[1:]) if value else 0


def suitability(
    terms: OrderTerms, client: ClientFacts, instrument: InstrumentFacts
) -> CheckOutcome:
    """Cn may buy up to Rn; C1 never above R1; others above their level only with the
    client's signed acknowledgement of the risk warning for this order. Sells are always
    suitable; professional investors are exempt from matching (the policy of this branch)."""
    product, investor = _level(instrument.risk_level), _level(client.risk_level)
    detail = f"investor {client.risk_level or 'unassessed'}, product {instrument.risk_level}"
    if terms.side == "sell" or client.investor_class == "professional" or product <= investor:
        return CheckOutcome(ReasonCode.SUITABILITY_NOT_ACKNOWLEDGED, True, detail)
    if investor <= 1:
        return CheckOutcome(ReasonCode.SUITABILITY_C1_ABOVE_R1, False, detail + ": refused to C1")
    if terms.risk_acknowledged:
        return CheckOutcome(
            ReasonCode.SUITABILITY_NOT_ACKNOWLEDGED, True, detail + ": risk warning acknowledged"
        )
    return CheckOutcome(
        ReasonCode.SUITABILITY_NOT_ACKNOWLEDGED, False, detail + ": needs signed acknowledgement"
    )


def review_checks(
    terms: OrderTerms, client: ClientFacts, instrument: InstrumentFacts
) -> list[CheckOutcome]:
    """Every check of the review, in a fixed order, each with its outcome."""
    price = terms.limit_price
    price_ok = (price is not None and price > 0) if terms.order_type == "limit" else price is None
    lot_ok = terms.side == "sell" or terms.quantity % instrument.board_lot == 0
    board_ok = (
        instrument.board not in PERMISSION_BOARDS or instrument.board in client.trading_permissions
    )
    risk_ok = client.risk_expires_on is not None and terms.received_on < client.risk_expires_on
    return [
        CheckOutcome(
            ReasonCode.CLIENT_NOT_ACTIVE,
            client.status in ("active", "frozen"),
            f"client status {client.status}",
        ),
        CheckOutcome(
            ReasonCode.CLIENT_FROZEN,
            client.status != "frozen",
            "frozen" if client.status == "frozen" else "not frozen",
        ),
        CheckOutcome(
            ReasonCode.IDENTITY_NOT_VERIFIED,
            client.identity_verified,
            "identity verified" if client.identity_verified else "no verified identity",
        ),
        CheckOutcome(
            ReasonCode.ACCOUNT_MISMATCH,
            client.account_number == terms.account_number,
            f"order account {terms.account_number}",
        ),
        CheckOutcome(
            ReasonCode.RISK_ASSESSMENT_NOT_CURRENT,
            risk_ok,
            f"risk assessment valid until {client.risk_expires_on}",
        ),
        suitability(terms, client, instrument),
        CheckOutcome(ReasonCode.BOARD_NOT_PERMITTED, board_ok, f"board {instrument.board}"),
        CheckOutcome(
            ReasonCode.BOARD_LOT,
            lot_ok,
            f"{terms.quantity} against a lot of {instrument.board_lot}",
        ),
        CheckOutcome(
            ReasonCode.LIMIT_PRICE_INVALID,
            price_ok,
            f"{terms.order_type} order, price {price}",
        ),
        CheckOutcome(
            ReasonCode.INSTRUMENT_NOT_TRADABLE,
            instrument.status == InstrumentStatus.LISTED.value,
            f"instrument {instrument.status}",
        ),
    ]


def stricter(at_receipt: list[CheckOutcome], now: list[CheckOutcome]) -> list[CheckOutcome]:
    """The review's outcome: the checks judged on the facts as they stood at receipt, where a
    later change may only make a check fail, never pass (a client frozen since still fails)."""
    out = []
    for then, later in zip(at_receipt, now, strict=True):
        if not then.passed:
            out.append(CheckOutcome(then.code, False, then.detail + " (at receipt)"))
        elif not later.passed:
            out.append(CheckOutcome(later.code, False, later.detail + " (since receipt)"))
        else:
            out.append(then)
    return out


def abnormal_rules(
    terms: OrderTerms,
    client: ClientFacts,
    instrument: InstrumentFacts,
    cancellations_today: int,
    policy: SurveillancePolicy,
) -> list[str]:
    """The abnormal-trade rules this order trips (empty when none)."""
    tripped: list[str] = []
    price = terms.limit_price
    if price is not None and client.declared_assets is not None:
        notional = price * terms.quantity
        if notional > client.declared_assets * policy.notional_multiple:
            tripped.append(AbnormalRule.NOTIONAL_ABOVE_ASSETS.value)
    if cancellations_today > policy.max_cancellations_per_day:
        tripped.append(AbnormalRule.EXCESSIVE_CANCELLATIONS.value)
    if instrument.restricted:
        tripped.append(AbnormalRule.RESTRICTED_INSTRUMENT.value)
    return tripped
