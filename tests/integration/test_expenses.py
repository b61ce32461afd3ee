"""Expenses on real PostgreSQL: concurrent duplicate invoices, concurrent approvals on one
budget line, and budget vs actual against a recomputation from the events."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from api.runtime import Runtime
from domain import expenses as x
from domain.application import CommandResult
from domain.errors import Code, DomainError, ValidationError
from domain.periods import quarter_of
from projections import budgets as budget_model
from projections import retention as retention_model
from tests.conftest import run, staff

PDF = hashlib.sha256(b"scan").hexdigest()


def _line(rt: Runtime, finance: UUID, amount: str = "100000", category: str = "travel") -> UUID:
    today = rt.business_date(rt.clock())
    return run(
        rt,
        x.SetBudget(
            department="Operations",
            category=category,
            kind=x.BudgetKind.EXPENSE,
            period=quarter_of(today),
            amount=Decimal(amount),
        ),
        finance,
    ).aggregate_id


def _submit(
    rt: Runtime, line: UUID, amount: str, invoice: str, category: str = "travel"
) -> x.SubmitExpense:
    return x.SubmitExpense(
        expense_id=uuid4(),
        department="Operations",
        category=category,
        amount=Decimal(amount),
        vendor="ACME Travel Ltd",
        invoice_number=invoice,
        incurred_on=rt.business_date(rt.clock()),
        budget_id=line,
        description="tickets",
        attachments=[PDF],
    )


def _race(calls: list[Callable[[], CommandResult]]) -> list[CommandResult | DomainError]:
    """Run the calls at once (released together by a barrier); their results or refusals."""
    barrier = threading.Barrier(len(calls))
    results: list[CommandResult | DomainError] = [None] * len(calls)  # type: ignore[list-item]

    def go(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except DomainError as exc:
            results[i] = exc

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_concurrent_submissions_of_one_invoice_exactly_one_succeeds(runtime: Runtime) -> None:
    finance, clerk = staff(runtime, "finance"), staff(runtime, "customer_service")
    other = staff(runtime, "trader")
    line = _line(runtime, finance)
    for round_ in range(5):
        invoice = f"RACE-{round_}"
        first, second = (
            _submit(runtime, line, "100", invoice),
            _submit(runtime, line, "100", invoice),
        )
        results = _race(
            [
                lambda c=first: run(runtime, c, clerk),  # type: ignore[misc]
                lambda c=second: run(runtime, c, other),  # type: ignore[misc]
            ]
        )
        won = [r for r in results if isinstance(r, CommandResult)]
        lost = [r for r in results if isinstance(r, ValidationError)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].reason == Code.DUPLICATE
        stored = [runtime.app.exists(c.expense_id) for c in (first, second)]
        assert sorted(stored) == [False, True]


def test_two_concurrent_final_approvals_on_one_line_cannot_both_pass_its_budget(
    runtime: Runtime,
) -> None:
    finance, clerk = staff(runtime, "finance"), staff(runtime, "customer_service")
    heads = [staff(runtime, "department_head"), staff(runtime, "department_head")]
    line = _line(runtime, finance, amount="1000")
    expenses = [_submit(runtime, line, "600", f"B-{i}") for i in range(2)]
    for e in expenses:
        run(runtime, e, clerk)
    results = _race(
        [
            lambda: run(runtime, x.ApproveExpense(expense_id=expenses[0].expense_id), heads[0]),
            lambda: run(runtime, x.ApproveExpense(expense_id=expenses[1].expense_id), heads[1]),
        ]
    )
    assert sum(isinstance(r, CommandResult) for r in results) == 1, results
    budget = runtime.app.get(x.Budget, line)
    assert budget.committed == Decimal(600)


def _recompute(runtime: Runtime) -> dict[UUID, tuple[Decimal, Decimal]]:
    """(committed, paid) per budget line, from the expense events alone."""
    app = runtime.app
    state: dict[UUID, dict[str, Any]] = {}
    for n in app.recorder.select_notifications(start=1, limit=100_000):
        event = app.mapper.to_domain_event(n)
        if not isinstance(event, x.Expense.Event):
            continue
        e = state.setdefault(event.originator_id, {})
        if isinstance(event, x.Expense.Submitted | x.Expense.Amended):
            e.update(line=event.budget_id, amount=event.amount_cny, status="submitted")
        elif isinstance(event, x.Expense.Approved):
            e["status"] = "approved"
        elif isinstance(event, x.Expense.Paid):
            e["status"] = "paid"
        elif isinstance(event, x.Expense.Rejected | x.Expense.Withdrawn):
            e["status"] = "closed"
    totals: dict[UUID, tuple[Decimal, Decimal]] = {}
    for e in state.values():
        committed, paid = totals.get(e["line"], (Decimal(0), Decimal(0)))
        if e["status"] == "approved":
            committed += e["amount"]
        elif e["status"] == "paid":
            paid += e["amount"]
        totals[e["line"]] = (committed, paid)
    return totals


def test_budget_vs_actual_equals_a_recomputation_from_the_events(runtime: Runtime) -> None:
    rt = runtime
    finance, clerk = staff(rt, "finance"), staff(rt, "customer_service")
    head, manager = staff(rt, "department_head"), staff(rt, "branch_manager")
    lines = [_line(rt, finance, "20000", "travel"), _line(rt, finance, "3000", "office")]
    ids = []
    for i, (line, category, amount) in enumerate(
        [
            (lines[0], "travel", "1200"),
            (lines[0], "travel", "8000"),
            (lines[0], "travel", "450.50"),
            (lines[1], "office", "2500"),
            (lines[1], "office", "900"),
            (lines[0], "travel", "300"),
        ]
    ):
        command = _submit(rt, line, amount, f"R-{i}", category)
        run(rt, command, clerk)
        ids.append(command.expense_id)
    approve = x.ApproveExpense
    run(rt, approve(expense_id=ids[0]), head)  # approved
    run(rt, approve(expense_id=ids[1]), manager)  # approved, then paid
    run(rt, x.PayExpense(expense_id=ids[1], payment_reference="P-1"), finance)
    run(rt, x.RejectExpense(expense_id=ids[2]), head, reason="no receipt")
    run(rt, approve(expense_id=ids[3]), head)  # approved, paid
    run(rt, x.PayExpense(expense_id=ids[3], payment_reference="P-2"), finance)
    run(rt, approve(expense_id=ids[4], acknowledge_over_budget=True), head)  # escalated
    run(rt, approve(expense_id=ids[4], acknowledge_over_budget=True), manager)
    run(rt, x.WithdrawExpense(expense_id=ids[5]), clerk)
    rt.runner.sync(rt.runner.head())
    with rt.cursor() as curs:
        period = quarter_of(rt.business_date(rt.clock()))
        report = budget_model.budget_vs_actual(curs, period, "SH01")
    projected = {r.budget_id: (r.committed, r.paid) for r in report}
    assert projected == _recompute(rt)
    assert projected[lines[1]] == (Decimal(0), Decimal(2500))  # the escalated one waits still


def test_expenses_and_budget_lines_are_in_the_retention_report(runtime: Runtime) -> None:
    finance, clerk = staff(runtime, "finance"), staff(runtime, "customer_service")
    line = _line(runtime, finance)
    command = _submit(runtime, line, "100", "KEEP-1")
    run(runtime, command, clerk)
    runtime.runner.sync(runtime.runner.head())
    with runtime.cursor() as curs:
        lines = list(retention_model.report(curs, ["cn-2025"], "Asia/Shanghai"))
    kept = {r.record_id: r for r in lines if r.record_class == "expenses_budgets"}
    assert set(kept) == {line, command.expense_id}
    booked = kept[command.expense_id].booked_on
    assert kept[command.expense_id].earliest_removal == booked.replace(year=booked.year + 10)
