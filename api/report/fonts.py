"""Whether this machine can print the report to PDF: WeasyPrint needs Pango (a system
library), and Chinese text needs a font with Chinese glyphs, or it prints as boxes."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

FIX = "apt-get install fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0"


class _FontSet(ctypes.Structure):
    _fields_ = [
        ("nfont", ctypes.c_int),
        ("sfont", ctypes.c_int),
        ("fonts", ctypes.POINTER(ctypes.c_void_p)),
    ]


def chinese_fonts() -> int | None:
    """How many installed fonts fontconfig knows for Chinese; None without fontconfig."""
    name = ctypes.util.find_library("fontconfig")
    if name is None:
        return None
    fc = ctypes.CDLL(name)
    fc.FcNameParse.restype = ctypes.c_void_p
    fc.FcNameParse.argtypes = [ctypes.c_char_p]
    fc.FcObjectSetBuild.restype = ctypes.c_void_p
    fc.FcFontList.restype = ctypes.POINTER(_FontSet)
    fc.FcFontList.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    fc.FcFontSetDestroy.argtypes = [ctypes.POINTER(_FontSet)]
    fc.FcPatternDestroy.argtypes = [ctypes.c_void_p]
    fc.FcObjectSetDestroy.argtypes = [ctypes.c_void_p]
    if not fc.FcInit():
        return None
    pattern = fc.FcNameParse(b":lang=zh-cn")
    objects = fc.FcObjectSetBuild(b"family", None)
    found = fc.FcFontList(None, pattern, objects)
    count = int(found.contents.nfont) if found else 0
    if found:
        fc.FcFontSetDestroy(found)
    fc.FcObjectSetDestroy(objects)
    fc.FcPatternDestroy(pattern)
    return count


@lru_cache(maxsize=1)
def pdf_unavailable() -> str | None:
    """Why report.pdf cannot be printed correctly here, or None when it can."""
    try:
        import weasyprint  # noqa: F401 - loads Pango through cffi: fails without it
    except OSError as exc:
        return f"WeasyPrint cannot load Pango ({exc}): {FIX}"
    count = chinese_fonts()
    if not count:
        return f"no font with Chinese glyphs is installed, so Chinese would print as boxes: {FIX}"
    return None
