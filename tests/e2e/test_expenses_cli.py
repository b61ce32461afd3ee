"""``backoffice budgets …`` end to end against real PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from typer.testing import CliRunner

from api.cli import cli
from api.runtime import Runtime
from domain import expenses as x
from domain.periods import quarter_of
from tests.conftest import run, staff

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture
def spent(runtime: Runtime) -> tuple[str, UUID]:
    """A travel line of SH01 this quarter with 1,150 approved on it, then cut to 1,000 (15%
    over)."""
    finance, clerk = staff(runtime, "finance"), staff(runtime, "customer_service")
    head = staff(runtime, "department_head")
    today = runtime.business_date(runtime.clock())
    period = quarter_of(today)
    line = run(
        runtime,
        x.SetBudget(
            department="Operations",
            category="travel",
            kind=x.BudgetKind.EXPENSE,
            period=period,
            amount=Decimal(2000),
        ),
        finance,
    ).aggregate_id
    expense = uuid4()
    run(
        runtime,
        x.SubmitExpense(
            expense_id=expense,
            department="Operations",
            category="travel",
            amount=Decimal(1150),
            vendor="ACME",
            invoice_number="CLI-1",
            incurred_on=today,
            budget_id=line,
            description="tickets",
            attachments=[hashlib.sha256(b"a").hexdigest()],
        ),
        clerk,
    )
    run(runtime, x.ApproveExpense(expense_id=expense), head)
    run(runtime, x.ReviseBudget(budget_id=line, amount=Decimal(1000)), finance, reason="cut")
    return period, line


def test_budgets_report_prints_budget_vs_actual_and_writes_csv(
    spent: tuple[str, UUID], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table in one piece
    period, line = spent
    out = tmp_path / "report.csv"
    code, output = invoke(
        "budgets", "report", "--period", period, "--branch", "sh01", "--csv", str(out)
    )
    assert code == 0, output
    assert "Operations" in output and "115.00%" in output
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1
    assert rows[0]["budget_id"] == str(line)
    assert (rows[0]["budgeted"], rows[0]["committed"], rows[0]["paid"]) == ("1000", "1150", "0")
    assert (rows[0]["variance"], rows[0]["percent_used"]) == ("-150", "115.00")


def test_budgets_deviations_lists_lines_over_the_share_and_exits_1(
    spent: tuple[str, UUID],
) -> None:
    period, _ = spent
    code, output = invoke("budgets", "deviations", "--period", period)
    assert code == 1, output
    assert "more than 10% over budget" in output
    assert "SH01 Operations / travel (expense, " in output and "(+15.0%)" in output


def test_budgets_deviations_honours_the_configured_share(
    spent: tuple[str, UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    period, _ = spent
    monkeypatch.setenv("BUDGET_DEVIATION", "0.20")
    from api.settings import get_settings

    get_settings.cache_clear()
    code, output = invoke("budgets", "deviations", "--period", period)
    assert code == 0, output
    assert ": 0" in output


def test_budgets_report_refuses_a_period_that_is_not_one(settings: object) -> None:
    code, output = invoke("budgets", "report", "--period", "2026-Q5")
    assert code == 2
    assert "2026-Q3" in output


def test_budgets_matrix_shows_the_defaults_before_head_office_sets_one(settings: object) -> None:
    code, output = invoke("budgets", "matrix")
    assert code == 0, output
    assert "version 0" in output and "5,000.00" in output and "50,000.00" in output
