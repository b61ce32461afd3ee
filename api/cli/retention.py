"""``backoffice retention``: the policy in force, the report, legal holds."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from api.cli.common import JsonFlag, emit_json, err, fail, group, open_configured, out, table
from api.runtime import adopt_configured_retention
from domain.errors import DomainError
from domain.retention import PRESETS, LiftLegalHold, PlaceLegalHold, RecordClass
from projections import retention as retention_model

retention_cli = group("retention", "Retention policy, legal holds, and the report.")


@retention_cli.command("policy")
def retention_policy(as_json: JsonFlag = False) -> None:
    """Show the presets in force (adopting RETENTION_PRESETS first if it changed)."""
    runtime = open_configured()
    try:
        result = adopt_configured_retention(runtime)
        runtime.runner.sync(runtime.runner.head())
        with runtime.cursor() as curs:
            presets = retention_model.presets_in_force(curs) or []
    except DomainError as exc:
        raise fail(exc.message, 2) from None
    finally:
        runtime.close()
    if result.changed:
        err.print("recorded the configured presets as the policy in force")
    if as_json:
        emit_json(
            {
                "presets": presets,
                "classes": {
                    cls.value: {
                        p: {"years": PRESETS[p][cls].years, "from": PRESETS[p][cls].clock.value}
                        for p in presets
                    }
                    for cls in RecordClass
                },
            }
        )
        return
    grid = table("record class", *presets)
    for cls in RecordClass:
        grid.add_row(
            cls.value,
            *(f"{PRESETS[p][cls].years}y from {PRESETS[p][cls].clock.value}" for p in presets),
        )
    out.print(f"in force: {', '.join(presets)} (the longest applies)")
    out.print(grid)


@retention_cli.command("report")
def retention_report(
    record_class: Annotated[
        RecordClass | None, typer.Option("--class", help="One record class.")
    ] = None,
    eligible: Annotated[bool, typer.Option(help="Only records eligible to leave now.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write every line as CSV.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """For every record: the preset that decides, the clock, and the earliest date it could
    leave primary storage. Nothing is deleted: this only reports."""
    runtime = open_configured()
    try:
        adopt_configured_retention(runtime)
        runtime.runner.sync(runtime.runner.head())
        today = runtime.business_date(runtime.clock())
        with runtime.cursor() as curs:
            presets = retention_model.presets_in_force(curs) or []
            lines = [
                line
                for line in retention_model.report(curs, presets, runtime.settings.branch_timezone)
                if (record_class is None or line.record_class == record_class.value)
                and (not eligible or line.eligible(today))
            ]
    finally:
        runtime.close()
    if as_json:
        emit_json(
            {
                "presets": presets,
                "today": today,
                "records": [
                    {
                        "record_id": x.record_id,
                        "record_class": x.record_class,
                        "booked_on": x.booked_on,
                        "relationship_ended_on": x.relationship_ended_on,
                        "preset": x.preset,
                        "earliest_removal": x.earliest_removal,
                        "held": x.held,
                        "eligible_now": x.eligible(today),
                    }
                    for x in lines
                ],
            }
        )
    summary = table("record class", "records", "held", "eligible now", "next eligible")
    for cls in RecordClass:
        mine = [x for x in lines if x.record_class == cls.value]
        dates = [x.earliest_removal for x in mine if x.earliest_removal and not x.held]
        summary.add_row(
            cls.value,
            str(len(mine)),
            str(sum(x.held for x in mine)),
            str(sum(x.eligible(today) for x in mine)),
            str(min(dates)) if dates else "-",
        )
    if not as_json:
        out.print(f"policy in force: {', '.join(presets)}; today {today}")
        out.print(summary)
    if out_file is not None:
        with out_file.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(
                [
                    "record_id",
                    "record_class",
                    "booked_on",
                    "relationship_ended_on",
                    "preset",
                    "earliest_removal",
                    "held",
                    "eligible_now",
                ]
            )
            for x in lines:
                writer.writerow(
                    [
                        x.record_id,
                        x.record_class,
                        x.booked_on,
                        x.relationship_ended_on or "",
                        x.preset,
                        x.earliest_removal or "",
                        x.held,
                        x.eligible(today),
                    ]
                )
        err.print(f"{len(lines)} line(s) written to {out_file}")


@retention_cli.command("hold")
def retention_hold(
    subject: Annotated[UUID, typer.Argument(help="A client or record id.")],
    reason: Annotated[str, typer.Option(help="Why (required): case, order, request.")],
) -> None:
    """Place a legal hold: every retention clock of the subject stops until lifted."""
    _hold(subject, reason, place=True)


@retention_cli.command("release")
def retention_release(
    subject: Annotated[UUID, typer.Argument(help="A client or record id.")],
    reason: Annotated[str, typer.Option(help="Why the hold ends (required).")],
) -> None:
    """Lift a legal hold."""
    _hold(subject, reason, place=False)


def _hold(subject: UUID, reason: str, *, place: bool) -> None:
    runtime = open_configured()
    try:
        command = PlaceLegalHold if place else LiftLegalHold
        runtime.system(command(subject_id=subject), reason)
    except DomainError as exc:
        raise fail(exc.message, 2) from None
    finally:
        runtime.close()
    out.print(f"legal hold {'placed on' if place else 'lifted from'} {subject}")
