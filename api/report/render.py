"""The report rendered: HTML from the Jinja2 templates in the package's language, and the
same HTML printed to an A4 PDF by WeasyPrint."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from api.report import labels as L
from api.report.i18n import translations
from api.report.options import ReportOptions
from api.report.view import Fact, Formatter, order_view

FONTS = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei",'
    ' "PingFang SC", sans-serif'
)


def css_string(value: object) -> Markup:
    """``value`` as a quoted CSS string, safe inside a <style> element."""
    text = str(value)
    for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\A "), ("<", "\\3C ")):
        text = text.replace(raw, escaped)
    return Markup(f'"{text}"')


def page_counter_content(template: str) -> Markup:
    """A CSS ``content`` value from a translated "page {page} of {pages}": the words as
    strings, the placeholders as the page counters, in the translation's own order."""
    parts = []
    for token in re.split(r"(\{pages?\})", template):
        if token in ("{page}", "{pages}"):
            parts.append(f"counter({token[1:-1]})")
        elif token:
            parts.append(str(css_string(token)))
    return Markup(" ".join(parts))


@lru_cache(maxsize=4)
def environment(locale: str) -> Environment:
    """The template environment of one locale, its catalogue installed."""
    env = Environment(
        loader=PackageLoader("api.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=False,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["css_string"] = css_string
    return env


def _request(f: Formatter, request: dict[str, Any], orders: list[dict[str, Any]]) -> str:
    _ = f._
    if "order_id" in request:
        return _("order %(id)s") % {"id": request["order_id"]}
    if "client_id" in request:
        client = (orders[0].get("client_at_receipt") or {}) if orders else {}
        name = client.get("name")
        if name:
            return _("every order of client %(name)s (client number %(id)s)") % {
                "name": name,
                "id": request["client_id"],
            }
        return _("every order of client number %(id)s") % {"id": request["client_id"]}
    text = _("orders received from %(start)s to %(end)s") % {
        "start": f.time(request.get("received_from")),
        "end": f.time(request.get("received_to")),
    }
    if request.get("branch"):
        text += _(", branch %(branch)s") % {"branch": f.branch(request["branch"])}
    return text


def _requester(f: Formatter, requester: dict[str, Any]) -> str:
    _ = f._
    if requester.get("via") == "token":
        roles = _(", ").join(label_role(f, r) for r in requester.get("roles", []))
        return _("%(name)s (%(roles)s), signed in") % {"name": requester["name"], "roles": roles}
    return _("%(name)s, as given on the command line by %(operator)s") % {
        "name": requester.get("name", "—"),
        "operator": requester.get("operator") or "—",
    }


def label_role(f: Formatter, role: str) -> str:
    """A role's label."""
    return L.label(f._, L.ROLES, role)


def _zone(f: Formatter) -> str:
    _ = f._
    name = f.options.timezone
    if name == "Asia/Shanghai":
        return _("Beijing time (%(zone)s)") % {"zone": name}
    return name


def render_html(package: dict[str, Any], facts: dict[str, Any], options: ReportOptions) -> str:
    """The printable report of a package. ``facts`` are the manifest's (request, requester,
    generated_at, chain_head, notification_ids) plus ``package_sha256``."""
    gettext = translations(options.locale).gettext
    f = Formatter(gettext, options)
    _ = gettext
    orders = [order_view(f, n, o) for n, o in enumerate(package["orders"], start=1)]
    branches = sorted({str(o["order"].get("branch")) for o in package["orders"]})
    if facts["request"].get("branch"):
        branches = [facts["request"]["branch"]]
    firm = options.firm_name or _("firm name not configured (set FIRM_NAME)")
    branch = "; ".join(f.branch(b) for b in branches) or "—"
    request = _request(f, facts["request"], package["orders"])
    requester = _requester(f, facts["requester"])
    generated = f.time(facts["generated_at"])
    ids = facts.get("notification_ids") or {}
    header = {
        "firm": firm,
        "branch": branch,
        "request_short": _("Request: %(request)s") % {"request": request},
        "requester": _("Requested by: %(who)s") % {"who": requester},
        "generated": _("Produced %(at)s") % {"at": generated},
        "facts": [
            Fact(_("Request"), request),
            Fact(_("Requested by"), requester),
            Fact(_("Produced at"), generated),
            Fact(_("Times"), _zone(f) + _(", to the second, UTC offset shown")),
            Fact(_("Orders"), str(len(orders))),
            Fact(_("Branch"), branch),
        ],
    }
    integrity = [
        Fact(_("package.json SHA-256"), str(facts["package_sha256"]), mono=True),
        Fact(
            _("Events drawn on (notification ids)"),
            _("%(min)s to %(max)s") % {"min": ids.get("min", "—"), "max": ids.get("max", "—")},
        ),
    ]
    env = environment(options.locale)
    return env.get_template("report.html.j2").render(
        lang=options.locale,
        title=_("Transaction reconstruction report"),
        fonts=Markup(FONTS),
        header=header,
        orders=orders,
        integrity=integrity,
        chain_head=facts.get("chain_head"),
        checkpoint=facts.get("checkpoint"),
        page_numbers=page_counter_content(_("page {page} of {pages}")),
    )


def render_pdf(html: str) -> bytes:
    """The HTML printed to PDF by WeasyPrint (A4, per the report's own print CSS)."""
    from weasyprint import HTML  # imported here: it loads Pango, a system library

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
