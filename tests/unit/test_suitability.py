"""Review checks, the facts-at-receipt rule and abnormal-trade rules as pure functions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.orders.suitability import (
    ClientFacts,
    InstrumentFacts,
    OrderTerms,
    SurveillancePolicy,
    abnormal_rules,
    review_checks,
    stricter,
    suitability,
)

DAY = date(2026, 11, 23)


def terms(**kw: object) -> OrderTerms:
    base: dict[str, object] = {
        "account_number": "10000001",
        "side": "buy",
        "quantity": 200,
        "order_type": "limit",
        "limit_price": Decimal("10"),
        "received_on": DAY,
        "risk_acknowledged": False,
    }
    base.update(kw)
    return OrderTerms(**base)  # type: ignore[arg-type]


def client(**kw: object) -> ClientFacts:
    base: dict[str, object] = {
        "status": "active",
        "identity_verified": True,
        "risk_level": "C3",
        "risk_expires_on": date(2027, 1, 1),
        "investor_class": "ordinary",
        "trading_permissions": (),
        "account_number": "10000001",
        "declared_assets": Decimal("100000"),
    }
    base.update(kw)
    return ClientFacts(**base)  # type: ignore[arg-type]


def instrument(**kw: object) -> InstrumentFacts:
    base: dict[str, object] = {
        "code": "600519.SH",
        "board": "main",
        "risk_level": "R3",
        "board_lot": 100,
        "status": "listed",
        "restricted": False,
    }
    base.update(kw)
    return InstrumentFacts(**base)  # type: ignore[arg-type]


def failed(t: OrderTerms, c: ClientFacts, i: InstrumentFacts) -> list[str]:
    return [o.code for o in review_checks(t, c, i) if not o.passed]


def test_a_suitable_order_passes_every_check() -> None:
    assert failed(terms(), client(), instrument()) == []


@pytest.mark.parametrize(
    ("t", "c", "i", "code"),
    [
        (terms(), client(status="prospect"), instrument(), "CLIENT_NOT_ACTIVE"),
        (terms(), client(status="frozen"), instrument(), "CLIENT_FROZEN"),
        (terms(), client(identity_verified=False), instrument(), "IDENTITY_NOT_VERIFIED"),
        (terms(), client(risk_expires_on=DAY), instrument(), "RISK_ASSESSMENT_NOT_CURRENT"),
        (terms(), client(risk_level="C1"), instrument(risk_level="R2"), "SUITABILITY_C1_ABOVE_R1"),
        (terms(), client(), instrument(risk_level="R4"), "SUITABILITY_NOT_ACKNOWLEDGED"),
        (terms(), client(), instrument(board="star"), "BOARD_NOT_PERMITTED"),
        (terms(quantity=150), client(), instrument(), "BOARD_LOT"),
        (terms(limit_price=None), client(), instrument(), "LIMIT_PRICE_INVALID"),
        (terms(limit_price=Decimal(0)), client(), instrument(), "LIMIT_PRICE_INVALID"),
        (terms(order_type="market"), client(), instrument(), "LIMIT_PRICE_INVALID"),
        (terms(), client(), instrument(status="suspended"), "INSTRUMENT_NOT_TRADABLE"),
        (terms(account_number="2"), client(), instrument(), "ACCOUNT_MISMATCH"),
    ],
)
def test_each_failing_check_names_its_code(
    t: OrderTerms, c: ClientFacts, i: InstrumentFacts, code: str
) -> None:
    assert code in failed(t, c, i)


def test_c1_is_refused_above_r1_even_with_an_acknowledgement() -> None:
    outcome = suitability(
        terms(risk_acknowledged=True), client(risk_level="C1"), instrument(risk_level="R2")
    )
    assert not outcome.passed and outcome.code == "SUITABILITY_C1_ABOVE_R1"


def test_an_acknowledgement_lets_others_buy_above_their_level() -> None:
    assert suitability(terms(risk_acknowledged=True), client(), instrument(risk_level="R5")).passed


def test_sells_and_permitted_boards_need_no_match_or_lot() -> None:
    sell = terms(side="sell", quantity=37)
    assert (
        failed(
            sell,
            client(risk_level="C1", trading_permissions=("star",)),
            instrument(board="star", risk_level="R5"),
        )
        == []
    )


@given(st.integers(1, 5), st.integers(1, 5))
def test_cn_may_buy_exactly_up_to_rn(investor: int, product: int) -> None:
    outcome = suitability(
        terms(), client(risk_level=f"C{investor}"), instrument(risk_level=f"R{product}")
    )
    assert outcome.passed == (product <= investor)


def test_abnormal_rules_trip_on_notional_cancellations_and_restriction() -> None:
    policy = SurveillancePolicy()
    big = terms(quantity=100_000, limit_price=Decimal("10"))
    assert abnormal_rules(big, client(), instrument(), 0, policy) == ["NOTIONAL_ABOVE_ASSETS"]
    assert abnormal_rules(terms(), client(), instrument(), 6, policy) == ["EXCESSIVE_CANCELLATIONS"]
    assert abnormal_rules(terms(), client(), instrument(restricted=True), 0, policy) == [
        "RESTRICTED_INSTRUMENT"
    ]
    assert abnormal_rules(big, client(declared_assets=None), instrument(), 5, policy) == []


def test_a_check_failed_at_receipt_stays_failed_whatever_happened_since() -> None:
    at_receipt = review_checks(terms(), client(status="frozen"), instrument())
    now = review_checks(terms(), client(), instrument())
    outcome = {o.code: o for o in stricter(at_receipt, now)}["CLIENT_FROZEN"]
    assert not outcome.passed and outcome.detail.endswith("(at receipt)")


def test_a_check_passed_at_receipt_fails_on_a_change_since() -> None:
    at_receipt = review_checks(terms(), client(), instrument())
    now = review_checks(terms(), client(), instrument(status="suspended"))
    outcome = {o.code: o for o in stricter(at_receipt, now)}["INSTRUMENT_NOT_TRADABLE"]
    assert not outcome.passed and outcome.detail.endswith("(since receipt)")
