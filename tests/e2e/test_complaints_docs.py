"""The read examples of the Complaints section of docs/api.md run against the demo data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.demo import seed
from api.runtime import Runtime

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def examples() -> list[str]:
    """The fenced GraphQL reads of the section (mutations with placeholders are prose)."""
    section = DOC.read_text(encoding="utf-8").split("## Complaints\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```graphql\n(.*?)```", section, flags=re.S)
    return [b for b in blocks if "<" not in b and not b.lstrip().startswith("mutation")]


def test_the_complaint_examples_in_the_api_docs_work_on_the_demo_data(
    runtime: Runtime, tmp_path: Path
) -> None:
    admin = seed(runtime, tmp_path / "demo-token", clients=80, orders=30)
    runtime.runner.sync(runtime.runner.head())
    queries = examples()
    assert len(queries) == 4
    answers: list[dict[str, Any]] = []
    with TestClient(create_app(runtime)) as client:
        for query in queries:
            response = client.post(
                "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {admin}"}
            )
            body = response.json()
            assert response.status_code == 200 and "errors" not in body, (query, body)
            answers.append(body["data"])
    overdue, closed, analysis, _clients = answers
    assert overdue["complaints"]["nodes"] and overdue["overdueComplaints"]
    assert all(c["overdue"] for c in overdue["complaints"]["nodes"])
    assert closed["complaints"]["nodes"][0]["timeline"][-1]["eventType"] == "Closed"
    assert analysis["complaintDeadlines"]["version"] == 1
