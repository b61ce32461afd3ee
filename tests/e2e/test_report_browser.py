"""The regulator's report printed: the package's HTML in headless Chromium and its own PDF
(WeasyPrint) are A4, two or three pages for a demo-like order, with nothing wider than the
printable area and Chinese drawn with real glyphs, not boxes.

How "not boxes" is decided: a character no installed font has is drawn as the fallback
font's .notdef glyph, which is one and the same box for every such character. So in the page
we draw a dozen distinct Han characters of the report in the report's own font stack, and
also an unassigned code point (U+0378, .notdef by definition): the Chinese renders when every
character left ink, no two characters gave the same bitmap, and none equals the .notdef one.
The last test proves the check fails where it should, with Chromium limited to a font
directory without Chinese. In the PDF, text extraction gives the Chinese back only when real
glyphs with a Unicode mapping were embedded (boxes extract as garbage)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
from playwright.sync_api import Browser, Page
from typer.testing import CliRunner

from api.cli import cli
from api.report import pdf_unavailable
from api.runtime import Runtime
from tests.browser import MM, chromium, open_page, require
from tests.e2e.report_orders import demo_like_order

A4 = (595.28, 841.89)  # points
#: The report's @page margins are 15 mm left and right: 180 mm is printable.
PRINTABLE_PX = int(180 * MM)

OVERFLOW_JS = """(limit) => {
  const bad = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const name = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '');
    if (r.right > limit + 0.5 || r.left < -0.5)
      bad.push(`${name} spans ${r.left.toFixed(1)}..${r.right.toFixed(1)} px`);
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      bad.push(`${name} holds ${el.scrollWidth} px in ${el.clientWidth} px`);
  }
  return bad;
}"""

GLYPHS_JS = """() => {
  const han = [...new Set(document.body.innerText.match(/\\p{Script=Han}/gu) || [])].slice(0, 12);
  const family = getComputedStyle(document.querySelector('h1')).fontFamily;
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 64;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const bitmap = (ch) => {
    ctx.clearRect(0, 0, 64, 64);
    ctx.font = `40px ${family}`;
    ctx.textBaseline = 'top';
    ctx.fillText(ch, 8, 8);
    const d = ctx.getImageData(0, 0, 64, 64).data;
    let bits = '', ink = 0;
    for (let i = 3; i < d.length; i += 4) {
      const on = d[i] > 127;
      bits += on ? '1' : '0';
      ink += on;
    }
    return {bits, ink};
  };
  const notdef = bitmap('\\u0378');
  const shots = han.map((ch) => ({ch, ...bitmap(ch)}));
  return {
    sample: han.join(''),
    distinct: new Set(shots.map((s) => s.bits)).size,
    blank: shots.filter((s) => s.ink === 0).map((s) => s.ch).join(''),
    notdef: shots.filter((s) => s.bits === notdef.bits).map((s) => s.ch).join(''),
  };
}"""

#: A fontconfig that knows only DejaVu (no Chinese), to prove the glyph check can fail.
NO_CJK_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    with chromium() as b:
        yield b


@pytest.fixture
def package(runtime: Runtime, tmp_path: Path) -> Path:
    """A regulator's package of a demo-like order, written by the command line."""
    order = demo_like_order(runtime)
    out = tmp_path / "package"
    result = CliRunner().invoke(
        cli,
        ["reconstruct", "--order", str(order), "--out", str(out), "--requested-by", "王五，证监会"],
    )
    assert result.exit_code == 0, result.output
    return out


def print_view(browser: Browser, report: Path) -> Page:
    """The report in Chromium as it prints: print media, the printable width of A4."""
    page = open_page(browser, report, PRINTABLE_PX)
    page.emulate_media(media="print")
    return page


def chinese_renders(page: Page) -> tuple[bool, dict[str, Any]]:
    """Whether the page draws its Chinese with real glyphs (see the module's docstring)."""
    found: dict[str, Any] = page.evaluate(GLYPHS_JS)
    n = len(found["sample"])
    ok = n >= 10 and found["distinct"] == n and not found["blank"] and not found["notdef"]
    return ok, found


def assert_a4(pdf: bytes, pages: range) -> pypdf.PdfReader:
    """Every page A4 (within a point), and a page count in ``pages``."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) in pages, f"{len(reader.pages)} pages"
    for page in reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert abs(size[0] - A4[0]) < 1 and abs(size[1] - A4[1]) < 1, size
    return reader


def test_the_report_prints_from_chromium_on_two_or_three_a4_pages_with_nothing_cut_off(
    browser: Browser, package: Path
) -> None:
    page = print_view(browser, package / "report.html")
    assert page.evaluate(OVERFLOW_JS, PRINTABLE_PX) == []
    shot = package.parent / "report-print.png"
    page.screenshot(path=str(shot), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PRINTABLE_PX
    reader = assert_a4(page.pdf(prefer_css_page_size=True), range(2, 4))
    # The page margins carry the page numbers. Chromium maps some CJK glyphs back to look-alike
    # radicals (页 as ⻚) in the PDF's text, so the word around each number is not compared.
    n = len(reader.pages)
    assert re.search(rf"第 {n} \S，共 {n} \S", reader.pages[-1].extract_text())


def test_the_report_draws_chinese_with_real_glyphs_in_chromium(
    browser: Browser, package: Path
) -> None:
    ok, found = chinese_renders(print_view(browser, package / "report.html"))
    assert ok, found


def test_the_package_pdf_is_a4_two_or_three_pages_in_chinese(package: Path) -> None:
    require(pdf_unavailable() is None, f"the package cannot print its PDF: {pdf_unavailable()}")
    reader = assert_a4((package / "report.pdf").read_bytes(), range(2, 4))
    text = "".join(p.extract_text() for p in reader.pages)
    for words in ("交易记录还原报告", "受理委托时的客户信息", "客户身份已核实", "通过", "张三"):
        assert words in text, words
    pages = len(reader.pages)
    assert f"第 {pages} 页，共 {pages} 页" in reader.pages[-1].extract_text()
    assert "制作人（签字）" in text and "公司（盖章）" in text


def test_nothing_in_the_package_pdf_reaches_past_the_printable_area(package: Path) -> None:
    require(pdf_unavailable() is None, f"the package cannot print its PDF: {pdf_unavailable()}")
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    document = HTML(filename=str(package / "report.html")).render()
    outside: list[str] = []

    def walk(box: Any, left: float, right: float, number: int) -> None:
        if isinstance(box, boxes.MarginBox):  # the running header and footer
            return
        x, width = box.border_box_x(), box.border_width()
        if x < left - 0.5 or x + width > right + 0.5:
            outside.append(f"page {number}: <{box.element_tag}> {x:.1f}..{x + width:.1f}")
        for child in getattr(box, "children", []):
            walk(child, left, right, number)

    for number, page in enumerate(document.pages, start=1):
        # WeasyPrint exposes its layout only through the page's box (pinned below 71).
        page_box = page._page_box
        left = page_box.content_box_x()
        for child in page_box.children:
            walk(child, left, left + page_box.width, number)
    assert outside == []


def test_the_glyph_check_sees_boxes_where_no_chinese_font_is_installed(
    package: Path, tmp_path: Path
) -> None:
    config = tmp_path / "fonts.conf"
    config.write_text(NO_CJK_FONTS.format(cache=tmp_path / "fc-cache"), encoding="utf-8")
    require(Path("/usr/share/fonts/truetype/dejavu").is_dir(), "DejaVu fonts are missing")
    with chromium({"FONTCONFIG_FILE": str(config)}) as browser:
        ok, found = chinese_renders(print_view(browser, package / "report.html"))
    assert not ok and found["notdef"], found


def test_a_package_of_a_period_lists_its_orders_and_starts_each_on_a_new_page(
    runtime: Runtime, browser: Browser, tmp_path: Path
) -> None:
    demo_like_order(runtime, "10000001")
    demo_like_order(runtime, "10000002")
    now = datetime.now(UTC)
    out = tmp_path / "period"
    result = CliRunner().invoke(
        cli,
        [
            "reconstruct",
            "--from",
            (now - timedelta(hours=1)).isoformat(),
            "--to",
            (now + timedelta(hours=1)).isoformat(),
            "--out",
            str(out),
            "--requested-by",
            "王五",
        ],
    )
    assert result.exit_code == 0 and "2 order(s)" in result.output, result.output
    page = print_view(browser, out / "report.html")
    assert page.evaluate(OVERFLOW_JS, PRINTABLE_PX) == []
    assert page.locator("table.summary tr").count() == 3
    breaks = page.eval_on_selector_all(
        "section.order", "(all) => all.map((s) => getComputedStyle(s).breakBefore)"
    )
    assert breaks == ["page", "page"]
    assert_a4(page.pdf(prefer_css_page_size=True), range(4, 7))
