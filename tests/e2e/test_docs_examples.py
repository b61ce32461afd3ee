"""The GraphQL examples in docs/api.md: the reads run against the demo data without errors,
and every example, mutations included, is valid against the schema."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from graphql import parse, validate

from api.app import create_app
from api.auth import new_token, token_hash
from api.demo import seed
from api.demo.staff import STAFF, staff_id
from api.graphql.schema import schema
from api.runtime import Runtime
from domain.staff import IssueToken

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
#: Stands in for the placeholders ("<id>", "<李娜's id>", …) of the mutation examples.
SOME_ID = "3e7d0a64-1426-432c-a6f3-e73cdcd21b02"


def _blocks() -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", DOC.read_text(), flags=re.S)


def _examples() -> list[str]:
    return [b for b in _blocks() if "<" not in b and not b.lstrip().startswith("mutation")]


def _operations(block: str) -> list[str]:
    """Each operation of a block (a block may list several anonymous mutations)."""
    filled = re.sub(r'"<[^">]*>"', f'"{SOME_ID}"', block)
    starts = [m.start() for m in re.finditer(r"^mutation\b", filled, flags=re.M)] or [0]
    return [filled[a:b] for a, b in zip(starts, [*starts[1:], len(filled)], strict=True)]


def test_every_read_example_in_the_api_docs_works_on_the_demo_data(
    runtime: Runtime, tmp_path: Path
) -> None:
    admin = seed(runtime, tmp_path / "demo-token", clients=80, orders=200)
    auditor = new_token()
    runtime.system(IssueToken(staff_id=staff_id(10), token_hash=token_hash(auditor)), "docs test")
    runtime.runner.sync(runtime.runner.head())
    assert STAFF[10][2] == ["auditor"]
    examples = _examples()
    assert len(examples) >= 7
    with TestClient(create_app(runtime)) as client:
        for query in examples:
            token = auditor if "auditEvents" in query or "history" in query else admin
            response = client.post(
                "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
            )
            body = response.json()
            assert response.status_code == 200 and "errors" not in body, (query, body)
            assert any(v for v in body["data"].values()), (query, body)


def test_every_example_in_the_api_docs_mutations_included_is_valid_against_the_schema() -> None:
    operations = [op for block in _blocks() for op in _operations(block)]
    assert sum(op.lstrip().startswith("mutation") for op in operations) >= 10
    for operation in operations:
        errors = validate(schema._schema, parse(operation))
        assert not errors, (operation, errors)
