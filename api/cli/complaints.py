"""``backoffice complaints``: the overdue list (for a daily job), the analysis as CSV, and the
deadline terms in force."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import JsonFlag, emit_json, err, fail, group, open_configured, os_user, out
from domain.access import Role
from domain.complaints import DEFAULT_TERMS, ChaseComplaint, SetComplaintDeadlines
from domain.errors import DomainError
from projections import complaint_analysis as analysis_model
from projections import complaint_queries as queries

complaints_cli = group("complaints", "Complaints: the overdue list, the analysis, the deadlines.")

Branch = Annotated[str | None, typer.Option(help="One branch (default: every branch).")]


@complaints_cli.command("overdue")
def complaints_overdue(
    branch: Branch = None,
    chase: Annotated[
        bool, typer.Option(help="Record a chase (escalation) on each overdue complaint.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """List every late stage of every open complaint today (branch time zone), most overdue
    first; exit 1 when there is any, so a daily job can alert on it. With --chase, each
    overdue complaint is chased once a day (rerunning the job records nothing new)."""
    runtime = open_configured()
    try:
        runtime.runner.sync(runtime.runner.head())
        today = runtime.business_date(runtime.clock())
        with runtime.cursor() as curs:
            late = queries.overdue(curs, branch.upper() if branch else None, today)
        if chase:
            for complaint_id in dict.fromkeys(o.complaint_id for o in late):
                runtime.system(
                    ChaseComplaint(complaint_id=complaint_id, note="overdue on the daily list"),
                    f"daily overdue list of {today} run by {os_user()}",
                    key=f"complaints:chase:{complaint_id}:{today}",
                )
    except DomainError as exc:
        raise fail(exc.message, 2) from None
    finally:
        runtime.close()
    if as_json:
        emit_json({"today": today, "chased": chase, "overdue": late})
        if late:
            raise typer.Exit(1)
        return
    if not late:
        out.print(f"no complaint is overdue on {today}")
        return
    # One line per late stage, tab-separated (plain echo: rich would expand the tabs), so a
    # daily job's log stays greppable and cuttable.
    typer.echo("number\tbranch\tstatus\tlate stage\tdue on\tdays overdue\towner\tchased")
    for o in late:
        typer.echo(
            f"{o.number}\t{o.branch}\t{o.status}\t{o.late_stage}\t{o.due_on}"
            f"\t{o.days_overdue}\t{o.owner}\t{o.chased}"
        )
    err.print(f"{len(late)} late stage(s) on {today}" + (", chased" if chase else ""))
    raise typer.Exit(1)


@complaints_cli.command("analysis")
def complaints_analysis(
    period: Annotated[str, typer.Argument(help="2026, 2026-H1, 2026-Q3, 2026-11 or 2026-W48.")],
    branch: Branch = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write it as CSV.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Complaints received, chased, replied and called back in a period by category, cause,
    department and attributed person, and reply timeliness per owner, branch and month."""
    runtime = open_configured()
    try:
        runtime.runner.sync(runtime.runner.head())
        with runtime.cursor() as curs:
            found = analysis_model.analysis(
                curs, branch.upper() if branch else None, period, runtime.settings.branch_timezone
            )
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    finally:
        runtime.close()
    rows = analysis_rows(found)
    if out_file is not None:
        with out_file.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(CSV_HEADER)
            writer.writerows(rows)
        err.print(f"{len(rows)} line(s) written to {out_file}")
    if as_json:
        emit_json(found)
        return
    out.print(f"complaints {found.period}: {found.starts_on} to {found.ends_on}")
    typer.echo("dimension\tkey\treceived\tchased\treplied\tcalled back")
    for r in rows:
        if r[0] in analysis_model.DIMENSIONS or r[0] == "total":
            typer.echo("\t".join(str(v) for v in (r[0], r[1], *r[3:7])))
    out.print(f"reply timeliness: {found.reply_timeliness if found.reply_timeliness else '-'}")


CSV_HEADER = [
    "dimension",
    "key",
    "month",
    "received",
    "chased",
    "replied",
    "called_back",
    "replied_within_deadline",
    "timeliness",
]


def analysis_rows(found: analysis_model.ComplaintAnalysis) -> list[list[object]]:
    """The analysis as CSV rows (counts per dimension, then timeliness per owner and per
    branch and month)."""
    rows: list[list[object]] = []
    t = found.totals
    rows.append(["total", "", "", t.received, t.chased, t.replied, t.called_back, "", ""])
    for dimension, counts in (
        ("category", found.by_category),
        ("cause", found.by_cause),
        ("department", found.by_department),
        ("attributed_person", found.by_attributed_person),
    ):
        for c in counts:
            rows.append(
                [dimension, c.key or "", "", c.received, c.chased, c.replied, c.called_back, "", ""]
            )
    for line in found.timeliness_by_owner:
        rows.append(
            ["timeliness_owner", line.owner, line.month, "", "", line.replied, "",
             line.within_deadline, line.rate]
        )  # fmt: skip
    for line in found.timeliness_by_month:
        rows.append(
            ["timeliness_branch", line.branch, line.month, "", "", line.replied, "",
             line.within_deadline, line.rate]
        )  # fmt: skip
    return rows


@complaints_cli.command("deadlines")
def complaints_deadlines(
    reply_days: Annotated[int | None, typer.Option(help="Days to reply.")] = None,
    reply_days_abroad: Annotated[int | None, typer.Option(help="Days to reply abroad.")] = None,
    branch_days: Annotated[int | None, typer.Option(help="The branch's stage.")] = None,
    marketing_days: Annotated[int | None, typer.Option(help="Marketing's stage.")] = None,
    department_days: Annotated[int | None, typer.Option(help="The department's stage.")] = None,
    analyst_role: Annotated[
        Role | None, typer.Option(help="The role that analyses and assigns complaints.")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why (required to change them).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the deadline terms in force; with options, change them (recorded as an event,
    for complaints received from then on)."""
    runtime = open_configured()
    try:
        changes = [reply_days, reply_days_abroad, branch_days, marketing_days, department_days]
        if any(v is not None for v in changes) or analyst_role is not None:
            if not reason:
                raise fail("--reason is required to change the deadline terms", 2)
            result = runtime.system(
                SetComplaintDeadlines(
                    reply_days=reply_days,
                    reply_days_abroad=reply_days_abroad,
                    branch_days=branch_days,
                    marketing_days=marketing_days,
                    department_days=department_days,
                    analyst_role=analyst_role,
                ),
                f"{reason} (command line, {os_user()})",
            )
            err.print("recorded" if result.changed else "unchanged: those terms are in force")
            runtime.runner.sync(result.position or runtime.runner.head())
        with runtime.cursor() as curs:
            policy = queries.deadline_policy(curs)
    except DomainError as exc:
        raise fail(exc.message, 2) from None
    finally:
        runtime.close()
    terms = DEFAULT_TERMS if policy is None else policy
    analyst, version = ("marketing", 0) if policy is None else (policy.analyst_role, policy.version)
    if as_json:
        emit_json(
            {
                "reply_days": terms.reply_days,
                "reply_days_abroad": terms.reply_days_abroad,
                "branch_days": terms.branch_days,
                "marketing_days": terms.marketing_days,
                "department_days": terms.department_days,
                "analyst_role": analyst,
                "version": version,
            }
        )
        return
    out.print(
        f"reply {terms.reply_days} days ({terms.reply_days_abroad} abroad); stages: branch "
        f"{terms.branch_days}, marketing {terms.marketing_days}, department "
        f"{terms.department_days}; analysed by {analyst} (policy version {version})"
    )
