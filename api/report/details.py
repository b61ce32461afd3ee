"""The review checks' stored details (English sentences the domain writes, kept as recorded)
read back as translated text. Each pattern mirrors one sentence of domain/suitability.py; a
unit test runs the checks over many facts so that a new sentence there fails here."""

from __future__ import annotations

import re
from collections.abc import Callable

from api.report.i18n import N_
from api.report.labels import (
    BOARDS,
    CLIENT_STATUSES,
    INSTRUMENT_STATUSES,
    ORDER_TYPES,
    Gettext,
    label,
)

_Rule = tuple[re.Pattern[str], Callable[[Gettext, re.Match[str]], str]]


def _none(value: str) -> str | None:
    return None if value == "None" else value


def _risk(_: Gettext, m: re.Match[str]) -> str:
    until = _none(m["until"])
    if until is None:
        return _("no risk assessment on record")
    return _("risk assessment valid until %(date)s") % {"date": until}


_OUTCOMES = {
    "refused to C1": N_("refused: a C1 investor may buy R1 products only"),
    "risk warning acknowledged": N_("the client signed the risk warning for this order"),
    "needs signed acknowledgement": N_("needs the client's signed risk warning"),
}


def _suitability(_: Gettext, m: re.Match[str]) -> str:
    investor = m["investor"]
    text = _("investor %(investor)s, product %(product)s") % {
        "investor": _("not assessed") if investor == "unassessed" else investor,
        "product": m["product"],
    }
    outcome = m["outcome"]
    if outcome:
        text += _("; ") + _(_OUTCOMES[outcome])
    return text


def _price(_: Gettext, m: re.Match[str]) -> str:
    price = _none(m["price"])
    return _("%(type)s, price %(price)s") % {
        "type": label(_, ORDER_TYPES, m["type"]),
        "price": price if price is not None else _("none"),
    }


_RULES: list[_Rule] = [
    (
        re.compile(r"client status (?P<status>\w+)"),
        lambda _, m: (
            _("client status: %(status)s") % {"status": label(_, CLIENT_STATUSES, m["status"])}
        ),
    ),
    (re.compile(r"frozen"), lambda _, m: _("account frozen")),
    (re.compile(r"not frozen"), lambda _, m: _("account not frozen")),
    (re.compile(r"identity verified"), lambda _, m: _("identity verified")),
    (re.compile(r"no verified identity"), lambda _, m: _("no verified identity")),
    (
        re.compile(r"order account (?P<account>.*)"),
        lambda _, m: _("order account %(account)s") % {"account": m["account"]},
    ),
    (re.compile(r"risk assessment valid until (?P<until>\S+)"), _risk),
    (
        re.compile(
            r"investor (?P<investor>\S+), product (?P<product>\S+)"
            r"(?:: (?P<outcome>refused to C1|risk warning acknowledged"
            r"|needs signed acknowledgement))?"
        ),
        _suitability,
    ),
    (
        re.compile(r"board (?P<board>\w+)"),
        lambda _, m: _("board: %(board)s") % {"board": label(_, BOARDS, m["board"])},
    ),
    (
        re.compile(r"(?P<quantity>\d+) against a lot of (?P<lot>\d+)"),
        lambda _, m: (
            _("quantity %(quantity)s, board lot %(lot)s")
            % {"quantity": m["quantity"], "lot": m["lot"]}
        ),
    ),
    (re.compile(r"(?P<type>limit|market) order, price (?P<price>\S+)"), _price),
    (
        re.compile(r"instrument (?P<status>\w+)"),
        lambda _, m: (
            _("instrument %(status)s") % {"status": label(_, INSTRUMENT_STATUSES, m["status"])}
        ),
    ),
]


def translate_detail(_: Gettext, detail: str) -> str | None:
    """The stored detail in the report's language, or None when no pattern knows it."""
    for pattern, render in _RULES:
        m = pattern.fullmatch(detail)
        if m is not None:
            return render(_, m)
    return None


def detail_text(_: Gettext, detail: str) -> str:
    """The detail translated, or as recorded when it is a sentence this module does not know."""
    translated = translate_detail(_, detail)
    return detail if translated is None else translated
