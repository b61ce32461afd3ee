"""Headless Chromium for browser tests: the system's Chromium (Debian package `chromium`)
driven by Playwright, never a browser Playwright downloads. Outside CI a missing browser
skips the test with the command that installs it; in CI (CI=true) it fails, because
.ci/run installs it and a skipped browser test there would hide a regression."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

#: What `.ci/run` installs; the same line a developer types.
INSTALL = "apt-get install chromium fonts-noto-cjk"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: 1 mm in CSS pixels (96 px per inch).
MM = 96 / 25.4


def chromium_path() -> str | None:
    """The system Chromium, if installed."""
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def require(condition: bool, why: str) -> None:
    """Skip (or in CI fail) a browser test whose system prerequisites are missing."""
    if condition:
        return
    message = f"{why}: {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run browser tests, but {message}")
    pytest.skip(message)


#: The Playwright driver in use: one per thread at a time (its sync API runs an event loop
#: that a second driver would find running), so a nested launch reuses it.
_drivers: list[Playwright] = []


def _launch(driver: Playwright, env: dict[str, str] | None) -> Browser:
    path = chromium_path()
    require(path is not None, "Chromium is not installed")
    return driver.chromium.launch(
        executable_path=path,
        args=ARGS,
        env=None if env is None else {**os.environ, **env},
    )


@contextmanager
def chromium(env: dict[str, str] | None = None) -> Iterator[Browser]:
    """A headless system Chromium for the duration of the block (``env`` added to its
    environment, e.g. FONTCONFIG_FILE)."""
    require(chromium_path() is not None, "Chromium is not installed")
    if _drivers:
        browser = _launch(_drivers[-1], env)
        try:
            yield browser
        finally:
            browser.close()
        return
    with sync_playwright() as driver:
        _drivers.append(driver)
        try:
            browser = _launch(driver, env)
            try:
                yield browser
            finally:
                browser.close()
        finally:
            _drivers.pop()


def open_page(browser: Browser, path: Path, width_px: int = 1024) -> Page:
    """A new page showing a local file, at a given viewport width."""
    page = browser.new_page(viewport={"width": width_px, "height": 1200})
    page.goto(path.as_uri())
    return page
