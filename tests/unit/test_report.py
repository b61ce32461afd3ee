"""The report's words: a complete zh-CN catalogue, a label for every stored code, the review
checks' recorded details translated, times in the branch's zone."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from api.report import labels as L
from api.report.details import translate_detail
from api.report.i18n import LOCALE_DIR, UnknownLocale, normalize, translations
from api.report.options import ReportOptions, parse_branch_names
from api.report.render import css_string, page_counter_content
from api.report.view import Formatter
from domain.access import Role
from domain.clients import AgreementType, ClientStatus, ClientType, InvestorClass, SourceChannel
from domain.clients.identity import DocumentType
from domain.instruments import Board, InstrumentStatus
from domain.orders import CancelCause, FlagStatus, Order, OrderChannel, OrderType, Side
from domain.orders.suitability import (
    AbnormalRule,
    ClientFacts,
    InstrumentFacts,
    OrderTerms,
    ReasonCode,
    ReviewerCode,
    review_checks,
)

REPORT_DIR = Path(__file__).resolve().parents[2] / "api" / "report"
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _catalogue() -> dict[str, str]:
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f) if m.id and not m.fuzzy}


def _extracted() -> set[str]:
    found = extract_from_dir(
        str(REPORT_DIR),
        method_map=[("**.py", "python"), ("**/templates/**.j2", "jinja2")],
        options_map={"**/templates/**.j2": {"extensions": "jinja2.ext.i18n"}},
        keywords={**DEFAULT_KEYWORDS, "N_": None},
    )
    return {str(message) for _file, _line, message, _comments, _context in found}


def test_every_message_of_the_report_has_a_chinese_translation() -> None:
    catalogue = _catalogue()
    missing = sorted(m for m in _extracted() if not catalogue.get(m))
    assert missing == [], "run the update in docs/operations.md (Report languages)"


def test_translations_keep_the_placeholders_of_their_message() -> None:
    for msgid, text in _catalogue().items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid


@pytest.mark.parametrize(
    ("codes", "table"),
    [
        ([c.value for c in ReasonCode if c.value not in set(ReviewerCode)], L.CHECKS),
        ([c.value for c in ReasonCode], L.REJECTION_REASONS),
        ([r.value for r in AbnormalRule], L.ABNORMAL_RULES),
        ([r.value for r in Role] + ["system"], L.ROLES),
        ([d.value for d in DocumentType], L.DOCUMENT_TYPES),
        ([b.value for b in Board], L.BOARDS),
        ([s.value for s in InstrumentStatus], L.INSTRUMENT_STATUSES),
        ([s.value for s in FlagStatus], L.FLAG_STATUSES),
        ([s.value for s in ClientStatus], L.CLIENT_STATUSES),
        ([t.value for t in ClientType], L.CLIENT_TYPES),
        ([c.value for c in InvestorClass], L.INVESTOR_CLASSES),
        ([a.value for a in AgreementType], L.AGREEMENTS),
        ([s.value for s in SourceChannel], L.SOURCE_CHANNELS),
        ([v.value for v in Side], L.SIDES),
        ([v.value for v in OrderType], L.ORDER_TYPES),
        ([v.value for v in OrderChannel], L.CHANNELS),
        ([v.value for v in CancelCause], L.CANCEL_CAUSES),
    ],
)
def test_every_stored_code_has_a_label(codes: list[str], table: dict[str, str]) -> None:
    assert sorted(set(codes) - set(table)) == []


def test_every_order_event_has_a_label() -> None:
    kinds = {
        f"Order.{name}"
        for name, value in vars(Order).items()
        if isinstance(value, type)
        and issubclass(value, Order.Event)
        and name not in ("Event", "Created")  # the library's bases, never stored as such
    }
    assert kinds and sorted(kinds - set(L.EVENTS)) == []


def _facts_grid() -> list[tuple[OrderTerms, ClientFacts, InstrumentFacts]]:
    grid = []
    for status in ("prospect", "active", "frozen", "closed"):
        for risk, expires, acknowledged, side in (
            (None, None, False, "buy"),
            ("C1", date(2030, 1, 1), False, "buy"),
            ("C3", date(2030, 1, 1), True, "buy"),
            ("C3", date(2020, 1, 1), False, "buy"),
            ("C5", date(2030, 1, 1), False, "sell"),
        ):
            for order_type, price in (("limit", Decimal("10.5")), ("market", None)):
                terms = OrderTerms(
                    "A1", side, 150, order_type, price, date(2026, 1, 5), acknowledged
                )
                client = ClientFacts(
                    status, status != "prospect", risk, expires, "ordinary",
                    frozenset({"chinext"}), "A1" if risk else "B2", None,
                )  # fmt: skip
                instrument = InstrumentFacts("300001.SZ", "chinext", "R4", 100, "suspended", False)
                grid.append((terms, client, instrument))
    return grid


def test_every_recorded_check_detail_reads_in_chinese() -> None:
    gettext = translations("zh-CN").gettext
    for terms, client, instrument in _facts_grid():
        for check in review_checks(terms, client, instrument):
            translated = translate_detail(gettext, check.detail)
            assert translated is not None, check.detail
            assert not re.search(r"[a-z]{3,}", translated.replace("None", "")), translated


def test_times_are_shown_in_the_branch_zone_to_the_second_with_the_offset() -> None:
    f = Formatter(translations("zh-CN").gettext, ReportOptions())
    moment = datetime(2026, 10, 25, 5, 32, 38, 502623, tzinfo=UTC)
    assert f.time(moment) == "2026-10-25 13:32:38 UTC+8"
    assert f.time(moment.isoformat()) == "2026-10-25 13:32:38 UTC+8"
    india = Formatter(translations("en").gettext, ReportOptions("en", "Asia/Kolkata"))
    assert india.time(moment) == "2026-10-25 11:02:38 UTC+5:30"


def test_a_css_string_cannot_end_the_style_element_or_the_string() -> None:
    assert css_string('a"b\\c\n</style>') == '"a\\"b\\\\c\\A \\3C /style>"'


def test_page_numbers_follow_the_order_of_the_translation() -> None:
    assert page_counter_content("第 {page} 页，共 {pages} 页") == (
        '"第 " counter(page) " 页，共 " counter(pages) " 页"'
    )
    assert page_counter_content("{pages} pages, this is {page}") == (
        'counter(pages) " pages, this is " counter(page)'
    )


def test_locales_are_normalised_and_unknown_ones_refused() -> None:
    assert normalize("zh_cn") == normalize("zh-Hans-CN") == "zh-CN"
    assert normalize("en-GB") == "en"
    with pytest.raises(UnknownLocale):
        normalize("fr")


def test_branch_names_are_read_from_one_setting() -> None:
    assert parse_branch_names("sh01=上海某路证券营业部, BJ02 = 北京营业部,,x") == {
        "SH01": "上海某路证券营业部",
        "BJ02": "北京营业部",
    }


def test_the_templates_and_the_catalogue_ship_with_the_package() -> None:
    with (REPORT_DIR.parents[1] / "pyproject.toml").open("rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"]["api.report"]
    data = [
        p.relative_to(REPORT_DIR)
        for p in REPORT_DIR.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc")
    ]
    assert data and [p for p in data if not any(p.match(g) for g in patterns)] == []
