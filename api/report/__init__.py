"""The regulator's reconstruction report: Jinja2 templates, a zh-CN catalogue (English as the
second locale), HTML and an A4 PDF."""

from __future__ import annotations

from api.report.fonts import pdf_unavailable
from api.report.i18n import LOCALES, UnknownLocale, normalize
from api.report.options import ReportOptions
from api.report.render import render_html, render_pdf

__all__ = [
    "LOCALES",
    "ReportOptions",
    "UnknownLocale",
    "normalize",
    "pdf_unavailable",
    "render_html",
    "render_pdf",
]
