"""The report's languages: English message ids, a zh-CN catalogue compiled from its .po file
when first used (so a stale .mo can never ship), English as the second locale."""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
#: Locales a package can be written in; the first is the default.
LOCALES = ("zh-CN", "en")
DOMAIN = "messages"


class UnknownLocale(ValueError):
    """A locale the report has no catalogue for."""


def normalize(locale: str) -> str:
    """``zh_cn``, ``zh-CN`` or ``zh-Hans-CN`` → ``zh-CN``; ``en-GB`` → ``en``."""
    wanted = locale.strip().replace("_", "-").lower()
    for known in LOCALES:
        if wanted == known.lower():
            return known
    if wanted.startswith("zh"):
        return "zh-CN"
    if wanted.startswith("en"):
        return "en"
    raise UnknownLocale(f"no report catalogue for {locale!r}: use one of {', '.join(LOCALES)}")


def babel_locale(locale: str) -> Locale:
    """The Babel locale used for numbers."""
    return Locale.parse(normalize(locale).replace("-", "_"))


def N_(message: str) -> str:  # noqa: N802 - the gettext convention extractors look for
    """Mark a message for the catalogue without translating it yet."""
    return message


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``locale`` (English needs none: the ids are English)."""
    code = normalize(locale)
    if code == "en":
        return NullTranslations()
    po = LOCALE_DIR / code.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale=code.replace("-", "_"), domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)
