"""The read examples in docs/api.md run against the demo data without errors."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import new_token, token_hash
from api.demo import STAFF, seed, staff_id
from api.runtime import Runtime, system_command

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _examples() -> list[str]:
    blocks = re.findall(r"```graphql\n(.*?)```", DOC.read_text(), flags=re.S)
    return [b for b in blocks if "<" not in b and not b.lstrip().startswith("mutation")]


def test_every_read_example_in_the_api_docs_works_on_the_demo_data(
    runtime: Runtime, tmp_path: Path
) -> None:
    admin = seed(runtime, tmp_path / "demo-token", clients=80, orders=200)
    auditor = new_token()
    runtime.app.issue_token(
        system_command(runtime, "docs test"), staff_id=staff_id(10), token_hash=token_hash(auditor)
    )
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
