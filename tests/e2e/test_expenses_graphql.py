"""Expenses and budgets through GraphQL alone, against real PostgreSQL with projections."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import Runtime
from domain.periods import quarter_of
from tests.conftest import add_staff

RESULT = """
    __typename
    ... on CommandSuccess { id version position }
    ... on ValidationError { message field code }
    ... on NotAllowed { message }
    ... on NotFound { message }
"""
TYPES = {
    "budget": "SetBudgetInput!",
    "expense": "SubmitExpenseInput!",
    "id": "UUID!",
    "v": "Int",
    "ack": "Boolean",
    "ref": "String!",
    "reason": "String!",
}
DETAIL = """
    id status amount currency amountCny chain chainMatrixVersion nextLevel overBudget version
    steps { level approver matrixVersion overBudget }
    approvals { approver level matrixVersion overBudget budgetAvailable }
    paidBy paymentReference
"""
PDF = hashlib.sha256(b"scan").hexdigest()


class Api:
    """GraphQL as one staff member."""

    def __init__(self, client: TestClient, token: str, staff_id: Any) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.id = str(staff_id)

    def query(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    def mutate(self, call: str, **variables: Any) -> dict[str, Any]:
        decl = ", ".join(f"${k}: {TYPES[k]}" for k in variables)
        name = call.split("(", 1)[0]
        data = self.query(f"mutation({decl}) {{ {call} {{ {RESULT} }} }}", **variables)
        return data[name]  # type: ignore[no-any-return]

    def ok(self, call: str, **variables: Any) -> dict[str, Any]:
        result = self.mutate(call, **variables)
        assert result["__typename"] == "CommandSuccess", result
        return result

    def expense(self, expense_id: str, position: int) -> dict[str, Any]:
        found = self.query(
            f"query($id: UUID!, $p: Int) {{ expense(id: $id, minPosition: $p) {{ {DETAIL} }} }}",
            id=expense_id,
            p=position,
        )
        return found["expense"]  # type: ignore[no-any-return]

    def inbox(self, position: int) -> list[str]:
        found = self.query("query($p: Int) { approvalInbox(minPosition: $p) { id } }", p=position)
        return [e["id"] for e in found["approvalInbox"]]

    def approve(self, expense_id: str, ack: bool = False) -> dict[str, Any]:
        return self.mutate(
            "approveExpense(expenseId: $id, acknowledgeOverBudget: $ack)", id=expense_id, ack=ack
        )


SUBMIT = "submitExpense(input: $expense)"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as c:
        yield c


@pytest.fixture
def people(runtime: Runtime, client: TestClient) -> dict[str, Any]:
    def api(name: str, branch: str, *roles: str) -> Api:
        principal, token = add_staff(runtime, name, branch, list(roles))
        return Api(client, token, principal.staff_id)

    found: dict[str, Any] = {
        "clerk": api("刘洋", "SH01", "customer_service"),
        "head": api("马丽", "SH01", "department_head"),
        "manager": api("王建国", "SH01", "branch_manager"),
        "finance": api("杨帆", "SH01", "finance"),
        "hof1": api("孙丽", "HQ", "head_office", "finance"),
        "hof2": api("钱进", "HQ", "head_office", "finance"),
    }
    today = runtime.business_date(runtime.clock())
    found["today"] = today.isoformat()
    found["period"] = quarter_of(today)
    line = found["finance"].ok(
        "setBudget(input: $budget)",
        budget={
            "department": "Operations",
            "category": "travel",
            "kind": "EXPENSE",
            "period": found["period"],
            "amount": "100000",
        },
    )
    found["line"] = line["id"]
    return found


def submit(p: dict[str, Any], amount: str, invoice: str = "INV-1", by: str = "clerk") -> Any:
    return p[by].mutate(
        SUBMIT,
        expense={
            "department": "Operations",
            "category": "travel",
            "amount": amount,
            "vendor": "ACME Travel Ltd",
            "invoiceNumber": invoice,
            "incurredOn": p["today"],
            "budgetId": p["line"],
            "description": "train tickets",
            "attachments": [PDF],
        },
    )


def test_an_expense_goes_from_submission_through_its_chain_to_payment(
    people: dict[str, Any],
) -> None:
    p = people
    submitted = submit(p, "60000.00")
    assert submitted["__typename"] == "CommandSuccess", submitted
    eid = submitted["id"]
    seen = p["clerk"].expense(eid, submitted["position"])
    assert seen["chain"] == ["BRANCH_MANAGER", "HEAD_OFFICE_FINANCE", "HEAD_OFFICE_FINANCE"]
    assert (seen["chainMatrixVersion"], seen["nextLevel"]) == (0, "BRANCH_MANAGER")
    assert eid in p["manager"].inbox(submitted["position"])
    assert eid not in p["hof1"].inbox(submitted["position"])
    step = p["manager"].ok(
        "approveExpense(expenseId: $id, expectedVersion: $v)", id=eid, v=seen["version"]
    )
    assert eid in p["hof1"].inbox(step["position"])
    step = p["hof1"].ok("approveExpense(expenseId: $id)", id=eid)
    assert eid not in p["hof1"].inbox(step["position"])
    step = p["hof2"].ok("approveExpense(expenseId: $id)", id=eid)
    paid = p["finance"].ok(
        "payExpense(expenseId: $id, paymentReference: $ref)", id=eid, ref="BANK-2026-0001"
    )
    done = p["finance"].expense(eid, paid["position"])
    assert (done["status"], done["paymentReference"]) == ("PAID", "BANK-2026-0001")
    assert done["paidBy"] == p["finance"].id
    assert [s["approver"] for s in done["steps"]] == [p[k].id for k in ("manager", "hof1", "hof2")]
    assert {s["matrixVersion"] for s in done["steps"]} == {0}
    report = p["finance"].query(
        "query($period: String!, $p: Int) { budgetVsActual(period: $period, minPosition: $p) {"
        " budgetId budgeted committed paid variance percentUsed } }",
        period=p["period"],
        p=paid["position"],
    )["budgetVsActual"]
    assert report == [
        {
            "budgetId": p["line"],
            "budgeted": "100000",
            "committed": "0",
            "paid": "60000",
            "variance": "40000",
            "percentUsed": "60.00",
        }
    ]


def test_self_approval_is_refused_with_same_person(people: dict[str, Any]) -> None:
    eid = submit(people, "300", by="head")["id"]
    refused = people["head"].approve(eid)
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "SAME_PERSON")


def test_a_second_approval_by_the_same_person_in_one_chain_is_refused(
    people: dict[str, Any],
) -> None:
    eid = submit(people, "60000")["id"]
    people["manager"].ok("approveExpense(expenseId: $id)", id=eid)
    people["hof1"].ok("approveExpense(expenseId: $id)", id=eid)
    refused = people["hof1"].approve(eid)
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "SAME_PERSON")


def test_a_payer_who_approved_is_refused_with_same_person(
    people: dict[str, Any], runtime: Runtime, client: TestClient
) -> None:
    principal, token = add_staff(runtime, "赵敏", "SH01", ["finance", "department_head"])
    both = Api(client, token, principal.staff_id)
    eid = submit(people, "300")["id"]
    both.ok("approveExpense(expenseId: $id)", id=eid)
    refused = both.mutate("payExpense(expenseId: $id, paymentReference: $ref)", id=eid, ref="P1")
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "SAME_PERSON")


def test_a_duplicate_invoice_is_refused_with_duplicate(people: dict[str, Any]) -> None:
    submit(people, "300", "FP-0001")
    refused = submit(people, "300", "fp-0001", by="finance")
    assert (refused["__typename"], refused["code"], refused["field"]) == (
        "ValidationError",
        "DUPLICATE",
        "invoiceNumber",
    )


def test_an_over_budget_approval_is_refused_then_flagged_for_the_next_level(
    people: dict[str, Any],
) -> None:
    p = people
    p["finance"].ok(
        'reviseBudget(budgetId: $id, amount: "1000", reason: $reason)',
        id=p["line"],
        reason="cut",
    )
    eid = submit(p, "1500")["id"]
    refused = p["head"].approve(eid)
    assert (refused["__typename"], refused["code"], refused["field"]) == (
        "ValidationError",
        "LIMIT_EXCEEDED",
        "acknowledgeOverBudget",
    )
    flagged = p["head"].approve(eid, ack=True)
    assert flagged["__typename"] == "CommandSuccess", flagged
    seen = p["head"].expense(eid, flagged["position"])
    assert seen["overBudget"] and seen["approvals"][0]["overBudget"]
    assert seen["approvals"][0]["budgetAvailable"] == "1000"
    assert (seen["status"], seen["chain"]) == ("SUBMITTED", ["DEPARTMENT_HEAD", "BRANCH_MANAGER"])
    assert eid in p["manager"].inbox(flagged["position"])


def test_an_approver_the_step_does_not_wait_for_is_not_allowed(people: dict[str, Any]) -> None:
    eid = submit(people, "300")["id"]
    refused = people["manager"].approve(eid)
    assert refused["__typename"] == "NotAllowed"


def test_a_submitter_reads_their_own_expenses_only(people: dict[str, Any]) -> None:
    mine = submit(people, "300")
    submit(people, "400", "OTHER", by="head")
    found = people["clerk"].query(
        "query($p: Int) { expenses(minPosition: $p) { nodes { id submittedBy } totalCount } }",
        p=mine["position"],
    )["expenses"]
    assert [e["id"] for e in found["nodes"]] == [mine["id"]]
    assert found["totalCount"] == 1  # the count is of what the caller may see, too


def test_the_authority_matrix_is_set_by_head_office_and_shown_with_its_tiers(
    runtime: Runtime, client: TestClient, people: dict[str, Any]
) -> None:
    principal, token = add_staff(runtime, "孙总", "HQ", ["head_office"])
    head_office = Api(client, token, principal.staff_id)
    call = (
        'setAuthorityMatrix(departmentHeadLimit: "8000", branchManagerLimit: "80000",'
        " topApprovers: 2, reason: $reason)"
    )
    refused = people["manager"].mutate(call, reason="mine")
    assert refused["__typename"] == "NotAllowed"
    set_at = head_office.ok(call, reason="annual review")["position"]
    eid = submit(people, "7000")["id"]
    seen = people["clerk"].query(
        "query($p: Int) { authorityMatrix(minPosition: $p) {"
        " version departmentHeadLimit tiers { upTo chain } } }",
        p=set_at,
    )["authorityMatrix"]
    assert seen["version"] == 1 and seen["departmentHeadLimit"] == "8000"
    assert seen["tiers"][2] == {
        "upTo": None,
        "chain": ["BRANCH_MANAGER", "HEAD_OFFICE_FINANCE", "HEAD_OFFICE_FINANCE"],
    }
    assert people["head"].approve(eid)["__typename"] == "CommandSuccess"
