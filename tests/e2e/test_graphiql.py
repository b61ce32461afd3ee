"""GraphiQL's page and files over HTTP, and the GRAPHIQL switch (the browser test is beside)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import serve as cli_module
from api.runtime import Runtime
from api.settings import Settings
from tests.conftest import add_staff

HTML = {"Accept": "text/html"}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as c:
        yield c


def test_the_graphiql_page_loads_every_file_from_the_service_itself(client: TestClient) -> None:
    page = client.get("/graphql", headers=HTML)
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    for source in sources:
        if source.startswith("data:"):
            continue
        assert source.startswith("/graphql/static/"), source
        assert client.get(source).status_code == 200, source


def test_the_graphiql_page_allows_scripts_and_requests_to_its_own_origin_only(
    client: TestClient,
) -> None:
    policy = client.get("/graphql", headers=HTML).headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "form-action 'none'" in policy


def test_graphiql_files_are_served_with_their_types(client: TestClient) -> None:
    script = client.get("/graphql/static/graphiql.min.js")
    assert script.headers["content-type"].startswith("text/javascript")
    style = client.get("/graphql/static/graphiql.min.css")
    assert style.headers["content-type"].startswith("text/css")


def test_only_graphiql_files_are_reachable_under_its_static_path(client: TestClient) -> None:
    assert client.get("/graphql/static/bundle.py").status_code == 404
    assert client.get("/graphql/static/..%2Fweb.py").status_code == 404


def test_graphiql_off_serves_neither_the_page_nor_its_files_but_graphql_still_works(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.settings, "graphiql", False)
    _, token = add_staff(runtime, "Ops", "HQ", ["admin"])
    with TestClient(create_app(runtime)) as client:
        assert client.get("/graphql", headers=HTML).status_code == 404
        assert client.get("/graphql/static/graphiql.min.js").status_code == 404
        answer = client.post(
            "/graphql",
            json={"query": "{ me { name } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.json() == {"data": {"me": {"name": "Ops"}}}


def test_serve_demo_prints_a_graphiql_url_that_carries_the_demo_token(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo seeding (minutes) and the server are stood in for: this is about what is printed.
    monkeypatch.setattr(cli_module, "_seed_with_progress", lambda runtime: "bo_demo-token")
    monkeypatch.setattr(uvicorn.Server, "run", lambda *args, **kwargs: None)
    result = CliRunner().invoke(cli_module.cli, ["serve", "--demo", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/graphql#token=bo_demo-token" in result.output


def test_serve_without_demo_prints_the_graphiql_url_that_asks_for_a_token(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uvicorn.Server, "run", lambda *args, **kwargs: None)
    result = CliRunner().invoke(cli_module.cli, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/graphql" in result.output
    assert "#token" not in result.output
