"""Expenses and budgets, given events / when a command / then events or an error."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain import expenses as x
from domain.errors import Code, NotAllowed, NotFound, ValidationError
from tests.harness import Domain, money

PDF = hashlib.sha256(b"invoice scan").hexdigest()


class Branch:
    """SH01's expense people: a budget line (Operations / travel, 2026-Q4, 100,000 CNY)."""

    def __init__(self, d: Domain, amount: str = "100000") -> None:
        self.d = d
        self.clerk = d.staff("customer_service")
        self.head = d.staff("department_head")
        self.manager = d.staff("branch_manager")
        self.finance = d.staff("finance")
        self.hof1 = d.staff("head_office", "finance", branch="HQ")
        self.hof2 = d.staff("head_office", "finance", branch="HQ")
        self.head_office = d.staff("head_office", branch="HQ")
        self.line = self.budget(amount)

    def budget(self, amount: str, **overrides: Any) -> UUID:
        """A budget line set by branch finance."""
        values: dict[str, Any] = {
            "department": "Operations",
            "category": "travel",
            "kind": x.BudgetKind.EXPENSE,
            "period": "2026-Q4",
            "amount": money(amount),
        }
        values.update(overrides)
        return self.d.run(x.SetBudget(**values), self.finance).aggregate_id

    def submit(self, amount: str, invoice: str = "INV-1", **overrides: Any) -> UUID:
        """An expense submitted by the clerk."""
        values: dict[str, Any] = {
            "expense_id": uuid4(),
            "department": "Operations",
            "category": "travel",
            "amount": money(amount),
            "vendor": "ACME Travel Ltd",
            "invoice_number": invoice,
            "incurred_on": date(2026, 11, 20),
            "budget_id": self.line,
            "description": "train tickets",
            "attachments": [PDF],
        }
        values.update(overrides)
        actor = values.pop("actor", self.clerk)
        return self.d.run(x.SubmitExpense(**values), actor).aggregate_id

    def approve(self, expense: UUID, approver: UUID, acknowledge: bool = False) -> None:
        """One approval."""
        self.d.run(
            x.ApproveExpense(expense_id=expense, acknowledge_over_budget=acknowledge), approver
        )

    def expense(self, expense: UUID) -> x.Expense:
        """The expense as stored."""
        found: x.Expense = self.d.app.get(x.Expense, expense)
        return found

    def line_state(self) -> x.Budget:
        """The budget line as stored."""
        found: x.Budget = self.d.app.get(x.Budget, self.line)
        return found


@pytest.fixture
def b() -> Branch:
    return Branch(Domain())


def refused(fn: Any, code: Code) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        fn()
    assert caught.value.reason == code, caught.value
    return caught.value


def test_the_chain_an_expense_needs_is_fixed_from_the_default_matrix_at_submission(
    b: Branch,
) -> None:
    small, middle, large = (
        b.submit("5000", "A1"),
        b.submit("5000.01", "A2"),
        b.submit("60000", "A3"),
    )
    assert b.expense(small).chain == ["department_head"]
    assert b.expense(middle).chain == ["branch_manager"]
    assert b.expense(large).chain == [
        "branch_manager",
        "head_office_finance",
        "head_office_finance",
    ]
    assert b.expense(large).matrix_version == 0


def test_a_later_matrix_change_does_not_alter_the_chain_of_a_submitted_expense(b: Branch) -> None:
    expense = b.submit("8000")
    b.d.run(
        x.SetAuthorityMatrix(department_head_limit=money(10000), branch_manager_limit=money(80000)),
        b.head_office,
        reason="raise limits",
    )
    assert b.expense(expense).chain == ["branch_manager"]
    assert b.expense(b.submit("8000", "B2")).chain == ["department_head"]
    assert b.expense(b.submit("8000", "B3")).matrix_version == 1


def test_each_approval_records_the_matrix_version_it_was_made_under(b: Branch) -> None:
    expense = b.submit("60000")
    b.approve(expense, b.manager)
    b.d.run(
        x.SetAuthorityMatrix(department_head_limit=money(4000), branch_manager_limit=money(40000)),
        b.head_office,
        reason="tighten",
    )
    b.approve(expense, b.hof1)
    assert [a.matrix_version for a in b.expense(expense).approvals] == [0, 1]
    assert b.d.last(expense).matrix_version == 1


def test_only_head_office_sets_the_authority_matrix(b: Branch) -> None:
    with pytest.raises(NotAllowed):
        b.d.run(
            x.SetAuthorityMatrix(department_head_limit=money(1), branch_manager_limit=money(2)),
            b.manager,
            reason="mine",
        )


def test_a_matrix_whose_branch_limit_is_not_above_the_department_limit_is_refused(
    b: Branch,
) -> None:
    refused(
        lambda: b.d.run(
            x.SetAuthorityMatrix(
                department_head_limit=money(5000), branch_manager_limit=money(5000)
            ),
            b.head_office,
            reason="typo",
        ),
        Code.RULE,
    )


def test_nobody_approves_their_own_expense(b: Branch) -> None:
    expense = b.submit("300", actor=b.head)
    refused(lambda: b.approve(expense, b.head), Code.SAME_PERSON)


def test_nobody_approves_twice_in_one_chain(b: Branch) -> None:
    expense = b.submit("60000")
    b.approve(expense, b.manager)
    b.approve(expense, b.hof1)
    refused(lambda: b.approve(expense, b.hof1), Code.SAME_PERSON)
    b.approve(expense, b.hof2)
    assert b.expense(expense).status == "approved"


def test_an_approver_of_another_level_than_the_step_waits_for_is_not_allowed(b: Branch) -> None:
    expense = b.submit("300")
    with pytest.raises(NotAllowed):
        b.approve(expense, b.manager)


def test_a_department_head_of_another_branch_may_not_approve(b: Branch) -> None:
    expense = b.submit("300")
    other = b.d.staff("department_head", branch="BJ02")
    with pytest.raises(NotFound):
        b.approve(expense, other)


def test_an_expense_goes_from_submission_through_its_chain_to_payment(b: Branch) -> None:
    expense = b.submit("60000")
    for approver in (b.manager, b.hof1, b.hof2):
        b.approve(expense, approver)
    assert b.line_state().committed == Decimal(60000)
    b.d.run(x.PayExpense(expense_id=expense, payment_reference="BANK-001"), b.finance)
    assert b.expense(expense).status == "paid"
    assert (b.line_state().committed, b.line_state().paid) == (Decimal(0), Decimal(60000))
    kinds = [type(e).__name__ for e in b.d.events(expense)]
    assert kinds == ["Submitted", "ApprovalGiven", "ApprovalGiven", "ApprovalGiven", "Approved"] + [
        "Paid"
    ]


def test_a_payer_who_approved_the_expense_is_refused(b: Branch) -> None:
    payer = b.d.staff("finance", "department_head")
    expense = b.submit("300")
    b.approve(expense, payer)
    refused(
        lambda: b.d.run(x.PayExpense(expense_id=expense, payment_reference="P1"), payer),
        Code.SAME_PERSON,
    )


def test_the_submitter_may_not_pay_their_own_expense(b: Branch) -> None:
    expense = b.submit("300", actor=b.finance)
    b.approve(expense, b.head)
    refused(
        lambda: b.d.run(x.PayExpense(expense_id=expense, payment_reference="P1"), b.finance),
        Code.SAME_PERSON,
    )


def test_an_unapproved_expense_cannot_be_paid(b: Branch) -> None:
    expense = b.submit("300")
    refused(
        lambda: b.d.run(x.PayExpense(expense_id=expense, payment_reference="P1"), b.finance),
        Code.INVALID_STATE,
    )


def test_the_same_vendor_invoice_cannot_be_submitted_twice(b: Branch) -> None:
    b.submit("300", "FP 0001")
    error = refused(lambda: b.submit("300", "fp0001", vendor="acme  travel LTD"), Code.DUPLICATE)
    assert error.field == "invoiceNumber"


def test_an_invoice_whose_expense_was_rejected_may_be_submitted_again(b: Branch) -> None:
    first = b.submit("300")
    b.d.run(x.RejectExpense(expense_id=first), b.head, reason="wrong cost centre")
    again = b.submit("300")
    refused(lambda: b.submit("300"), Code.DUPLICATE)
    assert b.expense(again).claim_id != b.expense(first).claim_id


def test_an_invoice_whose_expense_was_withdrawn_may_be_submitted_again(b: Branch) -> None:
    first = b.submit("300")
    b.d.run(x.WithdrawExpense(expense_id=first), b.clerk)
    b.submit("300")


def test_only_the_submitter_withdraws_and_only_before_final_approval(b: Branch) -> None:
    expense = b.submit("300")
    with pytest.raises(NotAllowed):
        b.d.run(x.WithdrawExpense(expense_id=expense), b.d.staff("trader"))
    b.approve(expense, b.head)
    refused(lambda: b.d.run(x.WithdrawExpense(expense_id=expense), b.clerk), Code.INVALID_STATE)


def test_a_rejection_needs_a_reason(b: Branch) -> None:
    expense = b.submit("300")
    refused(lambda: b.d.run(x.RejectExpense(expense_id=expense), b.head), Code.REASON_REQUIRED)


def test_an_amendment_voids_the_approvals_so_far_and_fixes_the_chain_again(b: Branch) -> None:
    expense = b.submit("60000")
    b.approve(expense, b.manager)
    b.approve(expense, b.hof1)
    b.d.run(_amend(b, expense, amount=money(4000)), b.clerk)
    amended = b.expense(expense)
    assert (amended.approvals, amended.chain) == ([], ["department_head"])


def test_an_amendment_to_another_invoice_moves_the_claim(b: Branch) -> None:
    expense = b.submit("300", "OLD-1")
    b.d.run(_amend(b, expense, invoice_number="NEW-1"), b.clerk)
    b.submit("300", "OLD-1")
    refused(lambda: b.submit("300", "NEW-1"), Code.DUPLICATE)


def test_only_the_submitter_amends(b: Branch) -> None:
    expense = b.submit("300")
    with pytest.raises(NotAllowed):
        b.d.run(_amend(b, expense, amount=money(200)), b.head)


def _amend(b: Branch, expense: UUID, **changes: Any) -> x.AmendExpense:
    values: dict[str, Any] = {
        "expense_id": expense,
        "department": "Operations",
        "category": "travel",
        "amount": money(300),
        "vendor": "ACME Travel Ltd",
        "invoice_number": "INV-1",
        "incurred_on": date(2026, 11, 20),
        "budget_id": b.line,
        "description": "train tickets",
        "attachments": [PDF],
    }
    if "invoice_number" not in changes:
        values["invoice_number"] = b.expense(expense).invoice_number
    values.update(changes)
    return x.AmendExpense(**values)


def test_an_approval_past_the_budget_is_refused_unless_acknowledged(b: Branch) -> None:
    small = Branch(Domain(), amount="1000")
    expense = small.submit("1500")
    error = refused(lambda: small.approve(expense, small.head), Code.LIMIT_EXCEEDED)
    assert error.field == "acknowledgeOverBudget"
    assert small.expense(expense).approvals == []


def test_an_acknowledged_over_budget_approval_is_flagged_and_needs_the_next_level() -> None:
    small = Branch(Domain(), amount="1000")
    expense = small.submit("1500")
    small.approve(expense, small.head, acknowledge=True)
    flagged = small.expense(expense)
    assert flagged.approvals[0].over_budget
    assert flagged.chain == ["department_head", "branch_manager"]
    assert flagged.status == "submitted"
    small.approve(expense, small.manager, acknowledge=True)
    assert small.expense(expense).chain[-1] == "head_office_finance"
    small.approve(expense, small.hof1, acknowledge=True)
    assert small.expense(expense).status == "approved"
    assert small.line_state().committed == Decimal(1500)


def test_committed_expenses_count_against_the_next_approval_on_the_line() -> None:
    small = Branch(Domain(), amount="1000")
    first, second = small.submit("600", "F1"), small.submit("600", "F2")
    small.approve(first, small.head)
    refused(lambda: small.approve(second, small.head), Code.LIMIT_EXCEEDED)


def test_a_budget_line_is_set_once_per_branch_department_category_kind_and_period(
    b: Branch,
) -> None:
    refused(lambda: b.budget("5"), Code.DUPLICATE)
    b.budget("5", period="2026-11")


def test_a_revision_is_an_event_with_its_reason(b: Branch) -> None:
    b.d.run(x.ReviseBudget(budget_id=b.line, amount=money(120000)), b.finance, reason="new hire")
    revised = b.d.last(b.line)
    assert (revised.previous_amount, revised.amount) == (Decimal(100000), Decimal(120000))
    assert revised.envelope.reason == "new hire"
    refused(
        lambda: b.d.run(x.ReviseBudget(budget_id=b.line, amount=money(1)), b.finance),
        Code.REASON_REQUIRED,
    )


def test_a_closed_line_takes_no_submissions_and_no_approvals(b: Branch) -> None:
    expense = b.submit("300")
    b.d.run(x.CloseBudget(budget_id=b.line), b.finance)
    refused(lambda: b.submit("300", "C2"), Code.INVALID_STATE)
    refused(lambda: b.approve(expense, b.head), Code.INVALID_STATE)


def test_an_expense_must_fall_in_its_budget_lines_period_and_match_its_department(
    b: Branch,
) -> None:
    refused(lambda: b.submit("300", incurred_on=date(2026, 9, 30)), Code.OUT_OF_RANGE)
    refused(lambda: b.submit("300", department="IT"), Code.RULE)
    refused(lambda: b.submit("300", incurred_on=date(2026, 11, 24)), Code.IMPLAUSIBLE_TIME)


def test_a_revenue_line_takes_no_expenses(b: Branch) -> None:
    revenue = b.budget("900000", kind=x.BudgetKind.REVENUE)
    refused(lambda: b.submit("300", budget_id=revenue), Code.RULE)


def test_another_branchs_budget_line_is_an_unknown_reference(b: Branch) -> None:
    theirs = b.d.run(
        x.SetBudget(
            branch="BJ02",
            department="Operations",
            category="travel",
            kind=x.BudgetKind.EXPENSE,
            period="2026-Q4",
            amount=money(1),
        ),
        b.head_office,
    ).aggregate_id
    refused(lambda: b.submit("300", budget_id=theirs), Code.UNKNOWN_REFERENCE)


def test_an_invoice_in_another_currency_needs_its_cny_amount(b: Branch) -> None:
    refused(lambda: b.submit("100", currency=x.Currency.USD), Code.REQUIRED)
    expense = b.submit("100", currency=x.Currency.USD, amount_cny=money("720.50"))
    assert b.expense(expense).amount_cny == Decimal("720.50")


def test_an_expense_needs_an_attachment(b: Branch) -> None:
    refused(lambda: b.submit("300", attachments=[]), Code.REQUIRED)
