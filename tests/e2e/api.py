"""A small GraphQL client for end-to-end tests: one staff member's view of the API."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

RESULT = """
    __typename
    ... on CommandSuccess { id version position replayed }
    ... on ValidationError { message field code }
    ... on NotAllowed { message }
    ... on NotFound { message }
    ... on ConcurrencyConflict { message expectedVersion actualVersion }
"""


class Api:
    """GraphQL over HTTP as the holder of ``token``."""

    def __init__(self, client: TestClient, token: str | None, staff_id: UUID | None = None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.id = staff_id or UUID(int=0)

    def post(self, query: str, **variables: Any) -> Any:
        """The raw HTTP response."""
        # Sent as ASCII JSON text, so that hostile strings (lone surrogates) travel as escapes.
        return self.client.post(
            "/graphql",
            content=json.dumps({"query": query, "variables": variables}),
            headers={**self.headers, "Content-Type": "application/json"},
        )

    def body(self, query: str, **variables: Any) -> dict[str, Any]:
        """The whole GraphQL response (data and errors); HTTP must be 200."""
        response = self.post(query, **variables)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a response that must have no errors."""
        found = self.body(query, **variables)
        assert "errors" not in found, found
        data: dict[str, Any] = found["data"]
        return data

    def mutate(self, call: str, **variables: Any) -> dict[str, Any]:
        """Run ``call`` (e.g. ``receiveOrder(input: $input)``) with its variables, typed by
        ``TYPES``; return the CommandResult."""
        decl = ", ".join(f"${k}: {TYPES[k]}" for k in variables)
        header = f"mutation({decl})" if decl else "mutation"
        name = call.split("(", 1)[0]
        result: dict[str, Any] = self.data(f"{header} {{ {call} {{ {RESULT} }} }}", **variables)[
            name
        ]
        return result


#: GraphQL types of the variables the tests use.
TYPES = {
    "client": "RegisterClientInput!",
    "identity": "RecordIdentityInput!",
    "risk": "AssessRiskInput!",
    "contact": "RecordContactInput!",
    "order": "ReceiveOrderInput!",
    "fill": "RecordFillInput!",
    "staff": "RegisterStaffInput!",
    "id": "UUID!",
    "role": "Role!",
    "key": "String",
    "reason": "String!",
    "at": "DateTime!",
    "v": "Int",
    "hash": "String!",
}
