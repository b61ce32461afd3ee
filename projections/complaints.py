"""The complaint queue, each complaint's timeline, and the deadline policy in force (the
queries are in ``projections.complaint_queries``). Days left and lateness depend on the day
asked about, so they are computed when read (``late_stages``), from the due dates the
events carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from domain.complaints import (
    Complaint,
    ComplaintCategory,
    ComplaintCause,
    ComplaintChannel,
    ComplaintPolicy,
    ComplaintStage,
    ComplaintStatus,
    ResponsibleDepartment,
)
from domain.complaints.rules import AWAITING_REPLY, STAGE_OF
from projections.base import (
    Evolver,
    ReadModel,
    col,
    on,
    replace,
    to_json,
    upsert,
)
from projections.rows import RowTable


@dataclass(frozen=True)
class ComplaintRow:
    """One row of ``complaints``: a complaint as the queue has it."""

    id: UUID = col("The complaint's id.")
    number: str = col("CP-YYYYMM-NNNN: the month of receipt and its sequence in the branch.")
    branch: str = col("The branch complained about.")
    month: str = col("The numbering month, YYYYMM (branch time zone).")
    sequence: int = col("Its number within the branch and month, from 1, without gaps.")
    channel: str = col("How it came in.", enum=ComplaintChannel)
    client_id: UUID | None = col("The complainant, when a client of the branch.")
    complainant_name: str | None = col("An outside complainant's name (null: client or anonymous).")
    complainant_contact: str | None = col("Where the reply goes (masked by role).")
    content: str = col("What the complainant says.")
    category: str = col("What it is about.", enum=ComplaintCategory)
    quality: bool = col("A quality complaint.")
    abroad: bool = col("The complainant lives abroad (longer reply deadline).")
    received_at: datetime = col("When it came in (business time).")
    received_on: date = col("The branch's business date of receipt.")
    first_responder: UUID = col("Who received it; it stays attributed to them for analysis.")
    owner: UUID = col("Who owns it now (changed only by a recorded, reasoned transfer).")
    status: str = col("Where it is in its life.", enum=ComplaintStatus)
    stage: str = col("Who has to act next.", enum=ComplaintStage)
    stage_due_on: date | None = col(
        "The last day of the current stage (branch, marketing, department)."
    )
    reply_due_on: date = col(
        "The last day to reply (15 days from receipt, 18 abroad; counted again from a reopening)."
    )
    policy_version: int = col("The deadline policy version fixed at receipt (0: the defaults).")
    reply_days: int = col("The reply term it was given, in calendar days.")
    version: int = col("The record's version: pass it as expectedVersion.")
    position: int = col("Notification id of the record's last event.")
    next_due_on: date | None = col("The earliest deadline still pending.", default=None)
    cause: str | None = col("The cause found by the analysis.", enum=ComplaintCause, default=None)
    department: str | None = col(
        "The department that fixes it.", enum=ResponsibleDepartment, default=None
    )
    attributed_to: UUID | None = col(
        "The staff member it is attributed to (null: attributed to the department).", default=None
    )
    assigned_by: UUID | None = col("Who analysed and assigned it.", default=None)
    proposed_resolution: str | None = col("The resolution awaiting approval.", default=None)
    proposed_by: UUID | None = col("Who proposed it.", default=None)
    approved_resolution: str | None = col(
        "The approved resolution: what the reply may say.", default=None
    )
    approved_by: UUID | None = col("The manager in charge who approved it.", default=None)
    resolved_at_once: bool = col("Resolved on the spot, without the handling form.", default=False)
    first_replied_on: date | None = col("The business date of the first reply.", default=None)
    replied_within_deadline: bool | None = col(
        "Whether the first reply met its deadline.", default=None
    )
    last_replied_on: date | None = col("The business date of the latest reply.", default=None)
    reply_content: str | None = col("What the latest reply said.", default=None)
    reply_channel: str | None = col("How it went out.", enum=ComplaintChannel, default=None)
    satisfied: bool | None = col(
        "The complainant's latest feedback (null: none yet).", default=None
    )
    fed_back_at: datetime | None = col("When the feedback was recorded.", default=None)
    closed_at: datetime | None = col("When it was closed.", default=None)
    reopened: int = col("Times reopened.", default=0)
    notes: int = col("Investigation notes (the timeline has them).", default=0)
    chased: int = col("Times a late stage was chased.", default=0)
    last_chased_at: datetime | None = col("When it was last chased.", default=None)


def settle(row: ComplaintRow) -> ComplaintRow:
    """The stage and the earliest pending deadline after a change of status."""
    stage = STAGE_OF[row.status]
    pending = [row.stage_due_on] if row.stage_due_on is not None else []
    if row.status in AWAITING_REPLY:
        pending.append(row.reply_due_on)
    return replace(row, stage=stage.value, next_due_on=min(pending, default=None))


evolve: Evolver[ComplaintRow] = Evolver()


@evolve.creates(Complaint.Received)
def _received(e: Complaint.Received, position: int) -> ComplaintRow:
    return settle(
        ComplaintRow(
            id=e.originator_id,
            number=e.number,
            branch=e.branch,
            month=e.month,
            sequence=e.sequence,
            channel=e.channel,
            client_id=e.client_id,
            complainant_name=e.complainant_name,
            complainant_contact=e.complainant_contact,
            content=e.content,
            category=e.category,
            quality=e.quality,
            abroad=e.abroad,
            received_at=e.received_at,
            received_on=e.received_on,
            first_responder=e.envelope.actor,
            owner=e.envelope.actor,
            status=ComplaintStatus.RECEIVED.value,
            stage=ComplaintStage.BRANCH.value,
            stage_due_on=e.stage_due_on,
            reply_due_on=e.reply_due_on,
            policy_version=e.policy_version,
            reply_days=e.reply_days,
            version=e.originator_version,
            position=position,
        )
    )


def _replied(
    row: ComplaintRow, on_day: date, within: bool, content: str, channel: str
) -> ComplaintRow:
    first = row.first_replied_on is None
    return replace(
        row,
        status=ComplaintStatus.REPLIED.value,
        stage_due_on=None,
        first_replied_on=on_day if first else row.first_replied_on,
        replied_within_deadline=within if first else row.replied_within_deadline,
        last_replied_on=on_day,
        reply_content=content,
        reply_channel=channel,
    )


@evolve.on(Complaint.ResolvedAtOnce)
def _at_once(row: ComplaintRow, e: Complaint.ResolvedAtOnce, _: int) -> ComplaintRow:
    row = replace(
        row,
        resolved_at_once=True,
        cause=e.cause,
        department=e.department,
        attributed_to=e.attributed_to,
        approved_resolution=e.resolution,
    )
    return settle(_replied(row, e.replied_on, e.within_deadline, e.resolution, row.channel))


@evolve.on(Complaint.OwnershipTransferred)
def _transferred(row: ComplaintRow, e: Complaint.OwnershipTransferred, _: int) -> ComplaintRow:
    return replace(row, owner=e.to_owner)


@evolve.on(Complaint.TakenIntoHandling)
def _handling(row: ComplaintRow, e: Complaint.TakenIntoHandling, _: int) -> ComplaintRow:
    return settle(
        replace(row, status=ComplaintStatus.IN_HANDLING.value, stage_due_on=e.stage_due_on)
    )


@evolve.on(Complaint.Assigned)
def _assigned(row: ComplaintRow, e: Complaint.Assigned, _: int) -> ComplaintRow:
    return settle(
        replace(
            row,
            status=ComplaintStatus.ASSIGNED.value,
            stage_due_on=e.stage_due_on,
            cause=e.cause,
            department=e.department,
            attributed_to=e.attributed_to,
            assigned_by=e.envelope.actor,
        )
    )


@evolve.on(Complaint.NoteAdded)
def _note(row: ComplaintRow, _e: object, _: int) -> ComplaintRow:
    return replace(row, notes=row.notes + 1)


@evolve.on(Complaint.ResolutionProposed)
def _proposed(row: ComplaintRow, e: Complaint.ResolutionProposed, _: int) -> ComplaintRow:
    return settle(
        replace(
            row,
            status=ComplaintStatus.PROPOSED.value,
            stage_due_on=None,
            proposed_resolution=e.resolution,
            proposed_by=e.envelope.actor,
        )
    )


@evolve.on(Complaint.ResolutionApproved)
def _approved(row: ComplaintRow, e: Complaint.ResolutionApproved, _: int) -> ComplaintRow:
    return settle(
        replace(
            row,
            status=ComplaintStatus.APPROVED.value,
            approved_resolution=e.resolution,
            approved_by=e.envelope.actor,
        )
    )


@evolve.on(Complaint.ResolutionReturned)
def _returned(row: ComplaintRow, e: Complaint.ResolutionReturned, _: int) -> ComplaintRow:
    return settle(
        replace(
            row,
            status=ComplaintStatus.ASSIGNED.value,
            stage_due_on=e.stage_due_on,
            proposed_resolution=None,
            proposed_by=None,
        )
    )


@evolve.on(Complaint.Replied)
def _reply(row: ComplaintRow, e: Complaint.Replied, _: int) -> ComplaintRow:
    return settle(_replied(row, e.replied_on, e.within_deadline, e.content, e.channel))


@evolve.on(Complaint.FeedbackRecorded)
def _feedback(row: ComplaintRow, e: Complaint.FeedbackRecorded, _: int) -> ComplaintRow:
    status = ComplaintStatus.SATISFIED if e.satisfied else ComplaintStatus.DISSATISFIED
    return settle(
        replace(row, status=status.value, satisfied=e.satisfied, fed_back_at=e.envelope.occurred_at)
    )


@evolve.on(Complaint.Chased)
def _chased(row: ComplaintRow, e: Complaint.Chased, _: int) -> ComplaintRow:
    return replace(row, chased=row.chased + 1, last_chased_at=e.envelope.occurred_at)


@evolve.on(Complaint.Closed)
def _closed(row: ComplaintRow, e: Complaint.Closed, _: int) -> ComplaintRow:
    return settle(
        replace(row, status=ComplaintStatus.CLOSED.value, closed_at=e.envelope.occurred_at)
    )


@evolve.on(Complaint.Reopened)
def _reopened(row: ComplaintRow, e: Complaint.Reopened, _: int) -> ComplaintRow:
    return settle(
        replace(
            row,
            status=ComplaintStatus.IN_HANDLING.value,
            reply_due_on=e.reply_due_on,
            stage_due_on=e.stage_due_on,
            proposed_resolution=None,
            proposed_by=None,
            approved_resolution=None,
            approved_by=None,
            satisfied=None,
            closed_at=None,
            reopened=row.reopened + 1,
        )
    )


def step(event: DomainEventProtocol[Any], position: int) -> dict[str, Any]:
    """The timeline row of one complaint event: who did what, when, in which role, and why."""
    envelope = event.envelope  # type: ignore[attr-defined]
    details = {
        k: to_json(v)
        for k, v in event.__dict__.items()
        if k not in ("originator_id", "originator_version", "timestamp", "envelope")
    }
    return {
        "complaint_id": event.originator_id,
        "version": event.originator_version,
        "position": position,
        "event_type": type(event).__name__,
        "occurred_at": envelope.occurred_at,
        "actor": envelope.actor,
        "actor_role": envelope.actor_role,
        "reason": envelope.reason,
        "details": Jsonb(details),
    }


TABLE = RowTable("complaints", ComplaintRow)
get = TABLE.get


class ComplaintModel(ReadModel):
    """Rows in ``complaints``, ``complaint_timeline`` and ``complaint_policy``."""

    name = "complaints"
    tables = ("complaints", "complaint_timeline", "complaint_policy")

    @on(*evolve.events)
    def row(self, curs: Cursor[DictRow], event: Any, position: int) -> None:
        """The queue row and the timeline entry of the event."""
        TABLE.evolve(curs, evolve, event, position)
        upsert(curs, "complaint_timeline", step(event, position), key="complaint_id, version")

    @on(ComplaintPolicy.Adopted, ComplaintPolicy.Changed)
    def policy(self, curs: Cursor[DictRow], event: Any, position: int) -> None:
        """The terms in force."""
        env = event.envelope
        upsert(
            curs,
            "complaint_policy",
            {
                "id": event.originator_id,
                "reply_days": event.reply_days,
                "reply_days_abroad": event.reply_days_abroad,
                "branch_days": event.branch_days,
                "marketing_days": event.marketing_days,
                "department_days": event.department_days,
                "analyst_role": event.analyst_role,
                "changed_at": env.occurred_at,
                "changed_by": env.actor,
                "reason": env.reason,
                "version": event.originator_version,
                "position": position,
            },
        )
