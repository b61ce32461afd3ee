"""``backoffice budgets``: budget vs actual, deviations reported upward, the authority matrix."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import JsonFlag, emit_json, err, fail, group, open_configured, out, table
from projections import budgets as budget_model
from projections import matrix as matrix_model

budgets_cli = group("budgets", "Budget vs actual, deviations, and the authority matrix.")

PeriodOption = Annotated[
    str, typer.Option("--period", help="2026, 2026-H1, 2026-Q3 or 2026-11 (business dates).")
]
BranchOption = Annotated[str | None, typer.Option("--branch", help="One branch (default: all).")]

CSV_COLUMNS = [
    "budget_id",
    "branch",
    "department",
    "category",
    "kind",
    "period",
    "status",
    "budgeted",
    "committed",
    "paid",
    "actual",
    "variance",
    "percent_used",
]


def _lines(
    period: str, branch: str | None, deviations: bool
) -> tuple[list[budget_model.BudgetVsActual], Decimal]:
    runtime = open_configured()
    try:
        runtime.runner.sync(runtime.runner.head())
        share = runtime.settings.budget_deviation
        with runtime.cursor() as curs:
            scope = branch.upper() if branch else None
            if deviations:
                return budget_model.deviations(curs, period, scope, share), share
            return budget_model.budget_vs_actual(curs, period, scope), share
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    finally:
        runtime.close()


def _line_json(x: budget_model.BudgetVsActual) -> dict[str, object]:
    return {
        "budget_id": x.budget_id,
        "branch": x.branch,
        "department": x.department,
        "category": x.category,
        "kind": x.kind,
        "period": x.period,
        "status": x.status,
        "budgeted": x.budgeted,
        "committed": x.committed,
        "paid": x.paid,
        "actual": x.actual,
        "variance": x.variance,
        "percent_used": x.percent_used,
        "deviation": x.deviation,
    }


def _table(lines: list[budget_model.BudgetVsActual]) -> Table:
    grid = table(
        "branch",
        "department",
        "category",
        "kind",
        "period",
        "budgeted",
        "committed",
        "paid",
        "variance",
        "% used",
    )
    for line in lines:
        grid.add_row(
            line.branch,
            line.department,
            line.category,
            line.kind,
            line.period,
            f"{line.budgeted:,.2f}",
            f"{line.committed:,.2f}",
            f"{line.paid:,.2f}",
            f"{line.variance:,.2f}",
            "-" if line.percent_used is None else f"{line.percent_used}%",
        )
    return grid


@budgets_cli.command("report")
def budgets_report(
    period: PeriodOption,
    branch: BranchOption = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write every line to this CSV file.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Budget vs actual (CNY) of every line whose period lies within PERIOD: budgeted,
    committed (approved, unpaid), paid, variance and % used."""
    lines, _ = _lines(period, branch, deviations=False)
    if csv_file is not None:
        _write_csv(csv_file, lines)
    if as_json:
        emit_json({"period": period.upper(), "lines": [_line_json(x) for x in lines]})
        return
    out.print(f"budget vs actual, {period.upper()}{f', {branch.upper()}' if branch else ''} (CNY)")
    out.print(_table(lines))
    for kind in ("revenue", "cost", "expense"):
        mine = [x for x in lines if x.kind == kind]
        if mine:
            budgeted = sum((x.budgeted for x in mine), Decimal(0))
            actual = sum((x.actual for x in mine), Decimal(0))
            out.print(f"{kind}: budgeted {budgeted:,.2f}, actual {actual:,.2f}")


def _write_csv(csv_file: Path, lines: list[budget_model.BudgetVsActual]) -> None:
    with csv_file.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for x in lines:
            writer.writerow(
                [
                    x.budget_id,
                    x.branch,
                    x.department,
                    x.category,
                    x.kind,
                    x.period,
                    x.status,
                    x.budgeted,
                    x.committed,
                    x.paid,
                    x.actual,
                    x.variance,
                    "" if x.percent_used is None else x.percent_used,
                ]
            )
    err.print(f"{len(lines)} line(s) written to {csv_file}")


@budgets_cli.command("deviations")
def budgets_deviations(
    period: PeriodOption, branch: BranchOption = None, as_json: JsonFlag = False
) -> None:
    """Cost and expense lines spent above budget by more than BUDGET_DEVIATION (default 10%)
    of it: what is reported upward. Exits 1 when there are any."""
    lines, share = _lines(period, branch, deviations=True)
    if as_json:
        emit_json(
            {"period": period.upper(), "share": share, "lines": [_line_json(x) for x in lines]}
        )
        if lines:
            raise typer.Exit(1)
        return
    out.print(f"lines more than {share * 100:.0f}% over budget in {period.upper()}: {len(lines)}")
    for x in lines:
        over = "" if x.deviation is None else f" (+{x.deviation * 100:.1f}%)"
        out.print(
            f"{x.branch} {x.department} / {x.category} ({x.kind}, {x.period}): budgeted "
            f"{x.budgeted:,.2f}, actual {x.actual:,.2f}{over}"
        )
    if lines:
        raise typer.Exit(1)


@budgets_cli.command("matrix")
def budgets_matrix(as_json: JsonFlag = False) -> None:
    """The authority matrix in force: who approves expenses up to which amount."""
    runtime = open_configured()
    try:
        runtime.runner.sync(runtime.runner.head())
        with runtime.cursor() as curs:
            found = matrix_model.matrix(curs)
    finally:
        runtime.close()
    assert found is not None  # the defaults when none was recorded
    if as_json:
        emit_json(found)
        return
    out.print(f"authority matrix version {found.version}")
    grid = table("up to (CNY)", "approved by, in order")
    for tier in found.tiers:
        grid.add_row(
            "no limit" if tier.up_to is None else f"{tier.up_to:,.2f}", " → ".join(tier.chain)
        )
    out.print(grid)
