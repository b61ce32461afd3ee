"""Parsing and validation are cached across requests: a frontend sends the same few documents
over and over, and validating one costs about a millisecond (half a mutation, in
bench/write_path.py). A validation rule object built per request would make every request miss
the cache; these tests fail if anything per request creeps into the cache's key."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import graphql
import pytest
import strawberry.schema.schema as strawberry_schema
from fastapi.testclient import TestClient
from graphql.language import parser

from api.app import create_app
from api.graphql.schema import _PARSER_CACHE, MAX_ALIASES
from api.runtime import Runtime
from tests.conftest import add_staff


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, run_projections=False)) as c:
        yield c


@pytest.fixture
def token(runtime: Runtime) -> str:
    return add_staff(runtime, "Admin", "HQ", ["admin"])[1]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often graphql-core's validate and parse run (strawberry calls them by these names)."""
    calls = {"validate": 0, "parse": 0}

    def validate(*args: Any, **kwargs: Any) -> Any:
        calls["validate"] += 1
        return graphql.validate(*args, **kwargs)

    real_parse = parser.parse

    def parse(*args: Any, **kwargs: Any) -> Any:
        calls["parse"] += 1
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", validate)
    # ParserCache wraps graphql.language.parser.parse; strawberry's own path calls its alias.
    monkeypatch.setattr(strawberry_schema, "parse", parse)
    return calls


def _post(client: TestClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _mutation() -> str:
    # A comment unique to this test run: the document is new to the process-wide caches.
    return (
        f"# {uuid.uuid4()}\n"
        'mutation($n: String!) { registerStaff(input: {name: $n, branch: "SH01",'
        " roles: [TRADER]}) { __typename ... on CommandSuccess { id } } }"
    )


def test_the_same_mutation_sent_twice_is_validated_once(
    client: TestClient, token: str, counted: dict[str, int]
) -> None:
    document = _mutation()
    first = _post(client, token, document, n="First")
    second = _post(client, token, document, n="Second")
    assert first["data"]["registerStaff"]["__typename"] == "CommandSuccess"
    assert second["data"]["registerStaff"]["__typename"] == "CommandSuccess"
    assert first["data"]["registerStaff"]["id"] != second["data"]["registerStaff"]["id"]
    assert counted["validate"] == 1


def test_with_introspection_off_too_the_same_mutation_is_validated_once(
    runtime: Runtime, token: str, counted: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # DisableIntrospection adds a rule: built per request, its rule class must still be one.
    monkeypatch.setattr(runtime.settings, "graphql_introspection", False)
    with TestClient(create_app(runtime, run_projections=False)) as client:
        document = _mutation()
        for name in ("First", "Second"):
            body = _post(client, token, document, n=name)
            assert body["data"]["registerStaff"]["__typename"] == "CommandSuccess"
        introspection = f"# {uuid.uuid4()}\n{{ __schema {{ queryType {{ name }} }} }}"
        assert "errors" in _post(client, token, introspection)
    assert counted["validate"] == 2  # the mutation once, the refused introspection once


def test_the_same_query_sent_twice_is_parsed_once(
    client: TestClient, token: str, counted: dict[str, int]
) -> None:
    document = f"# {uuid.uuid4()}\n{{ __typename }}"
    _post(client, token, document)
    before = _parse_hits()
    body = _post(client, token, document)
    assert "errors" not in body, body
    assert _parse_hits() == before + 1
    assert counted["parse"] == 0  # strawberry's uncached parse is never reached
    assert counted["validate"] == 1


def test_a_cached_refusal_is_still_a_refusal(
    client: TestClient, token: str, counted: dict[str, int]
) -> None:
    # More aliases than the limit: refused by validation, the second time from the cache.
    aliases = " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES + 1))
    document = f"# {uuid.uuid4()}\n{{ {aliases} }}"
    for _ in range(2):
        body = _post(client, token, document)
        assert body.get("errors"), body
        assert "data" not in body or body["data"] is None
    assert counted["validate"] == 1


def _parse_hits() -> int:
    info = _PARSER_CACHE.cached_parse_document.cache_info()  # type: ignore[attr-defined]
    return int(info.hits)
