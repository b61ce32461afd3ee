"""The order's life in docs/api.md, run as written (issue 15: the ``recordFill`` example
failed as written): each mutation of the block, placeholders filled in, sent by the role the
docs name, must succeed."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.instruments_csv import SAMPLE_INSTRUMENTS, read_instruments
from api.runtime import Runtime
from tests.conftest import add_staff, onboard

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _order_life() -> list[str]:
    """The mutations of the block that shows recordFill, one per line group."""
    block = next(
        b for b in re.findall(r"```graphql\n(.*?)```", DOC.read_text(), flags=re.S)
        if "recordFill" in b
    )  # fmt: skip
    starts = [m.start() for m in re.finditer(r"^mutation\b", block, flags=re.M)]
    return [block[a:b].strip() for a, b in zip(starts, [*starts[1:], len(block)], strict=True)]


def test_the_documented_order_life_runs_as_written(runtime: Runtime) -> None:
    for _, command in read_instruments(SAMPLE_INSTRUMENTS):
        runtime.system(command, "catalogue for the docs test")
    manager, manager_token = add_staff(runtime, "王芳", "SH01", ["account_manager"])
    _, trader_token = add_staff(runtime, "赵强", "SH01", ["trader"])
    _, risk_token = add_staff(runtime, "钱敏", "SH01", ["risk"])
    client_id = onboard(runtime, manager.staff_id, account="10000001")
    runtime.runner.sync(runtime.runner.head())
    operations = _order_life()
    names = [re.search(r"mutation \{ (\w+)", op).group(1) for op in operations]  # type: ignore[union-attr]
    assert names[:6] == [
        "receiveOrder",
        "acknowledgeRiskDisclosure",
        "reviewOrder",
        "recordFill",
        "recordOrderFeedback",
        "archiveOrder",
    ]
    order_id = None
    with TestClient(create_app(runtime)) as http:
        for name, operation in zip(names, operations, strict=True):
            if name == "clearOrderFlag":
                continue  # only for a flagged order; this one is not
            role = operation.rsplit("#", 1)[1].strip() if "#" in operation else "front office"
            token = {"trader": trader_token, "risk": risk_token}.get(role, manager_token)
            query = operation.split("#", 1)[0]
            if name == "receiveOrder":
                query = query.replace('"<id>"', f'"{client_id}"').replace(
                    '"<account>"', '"10000001"'
                )
            else:
                query = query.replace('"<id>"', f'"{order_id}"')
            assert "<" not in query, query
            body = http.post(
                "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
            ).json()
            assert "errors" not in body, (name, body)
            result = body["data"][name]
            assert result["__typename"] == "CommandSuccess", (name, result)
            if name == "receiveOrder":
                order_id = result["id"]
        runtime.runner.sync(runtime.runner.head())
        body = http.post(
            "/graphql",
            json={"query": f'{{ order(id: "{order_id}") {{ status filledQuantity }} }}'},
            headers={"Authorization": f"Bearer {trader_token}"},
        ).json()
    assert body["data"]["order"] == {"status": "ARCHIVED", "filledQuantity": 200}, body
