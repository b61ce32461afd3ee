"""GraphiQL in headless Chromium, served by uvicorn on loopback, with every other host blocked."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Playwright, Route, expect, sync_playwright

from api.app import create_app
from api.graphiql.url import ide_url
from api.runtime import Runtime
from tests.conftest import add_staff

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Generous bounds for a loaded two-core CI machine parsing a 1 MB bundle; never a timing check.
expect.set_options(timeout=30_000)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Chromium (apt-get install chromium; .ci/run does)"
)


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


@contextmanager
def serving(app: FastAPI) -> Iterator[int]:
    """Serve ``app`` with uvicorn on a free loopback port for the duration of the block."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@dataclass
class Loopback:
    """A page whose requests may reach 127.0.0.1 only; what else it asked for is recorded."""

    page: Page
    port: int
    token: str
    blocked: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def loopback(runtime: Runtime, browser: Browser) -> Iterator[Loopback]:
    _, token = add_staff(runtime, "GraphiQL Tester", "SH01", ["admin"])
    with serving(create_app(runtime)) as port:
        context = browser.new_context()
        page = context.new_page()
        seen = Loopback(page, port, token)

        def only_loopback(route: Route) -> None:
            url = route.request.url
            if urlsplit(url).hostname == "127.0.0.1":
                seen.served.append(url)
                route.continue_()
            else:
                seen.blocked.append(url)
                route.abort()

        context.route("**/*", only_loopback)
        page.on("pageerror", lambda error: seen.errors.append(str(error)))
        page.on(
            "console",
            lambda msg: seen.errors.append(msg.text) if msg.type == "error" else None,
        )
        yield seen
        context.close()


def run_query(page: Page, query: str) -> None:
    """Replace the query editor's text as a person would, then press GraphiQL's run button."""
    page.locator(".graphiql-query-editor .CodeMirror").click()
    page.keyboard.press("Control+A")
    # insert_text types the text in one go, so the editor's bracket auto-closing stays out.
    page.keyboard.insert_text(query)
    page.locator(".graphiql-execute-button").click()


def test_graphiql_opened_from_the_printed_url_runs_a_query_with_no_network_but_loopback(
    loopback: Loopback,
) -> None:
    page = loopback.page
    page.goto(ide_url("127.0.0.1", loopback.port, loopback.token))
    expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
    assert "token" not in page.url
    run_query(page, "{ me { name } }")
    expect(page.locator(".graphiql-response")).to_contain_text('"name": "GraphiQL Tester"')
    assert loopback.blocked == []
    assert loopback.errors == []
    assert any("/graphql/static/graphiql.min.js" in url for url in loopback.served)


def test_graphiql_asks_for_the_token_and_again_after_a_wrong_one(loopback: Loopback) -> None:
    page = loopback.page
    page.goto(ide_url("127.0.0.1", loopback.port))
    dialog = page.locator("#token-dialog")
    expect(dialog).to_be_visible()
    page.fill("#token-input", "bo_not-a-token")
    page.click("#token-submit")
    expect(page.locator("#token-message")).to_contain_text("not accepted")
    expect(dialog).to_be_visible()
    page.fill("#token-input", loopback.token)
    page.click("#token-submit")
    expect(dialog).to_be_hidden()
    run_query(page, "{ me { name } }")
    expect(page.locator(".graphiql-response")).to_contain_text("GraphiQL Tester")
    assert loopback.blocked == []


def test_the_token_is_kept_for_the_session_across_a_reload(loopback: Loopback) -> None:
    page = loopback.page
    page.goto(ide_url("127.0.0.1", loopback.port, loopback.token))
    expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
    page.reload()
    expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
    expect(page.locator("#token-dialog")).to_be_hidden()
    stored = page.evaluate("sessionStorage.getItem('backoffice.graphiql.token')")
    assert stored == loopback.token
    assert page.evaluate("JSON.stringify(localStorage)").find(loopback.token) == -1


def test_the_docs_explorer_shows_the_schema_without_a_manual_reload(loopback: Loopback) -> None:
    page = loopback.page
    page.goto(ide_url("127.0.0.1", loopback.port, loopback.token))
    page.get_by_role("button", name="Show Documentation Explorer").click()
    docs = page.locator(".graphiql-doc-explorer")
    expect(docs).to_contain_text("Query")
    page.get_by_role("link", name="Query").first.click()
    expect(docs).to_contain_text("me")
    assert loopback.blocked == []


def test_the_change_token_button_forgets_the_token_and_asks_again(loopback: Loopback) -> None:
    page = loopback.page
    page.goto(ide_url("127.0.0.1", loopback.port, loopback.token))
    page.locator("#change-token").click()
    expect(page.locator("#token-dialog")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('backoffice.graphiql.token')") is None
