"""The commands of the handling form after assignment: a resolution proposed, approved by the
manager in charge (never the proposer) or returned, the reply (only what was approved), the
complainant's feedback, closing, and reopening when the complainant is not satisfied."""

from __future__ import annotations

from domain.access import Permission
from domain.commands import Command, Decision, command
from domain.complaints.aggregate import Complaint
from domain.complaints.commands import ComplaintId, Resolution
from domain.complaints.rules import ComplaintChannel, ComplaintStatus, due_on, same_text
from domain.errors import Code, ValidationError
from domain.fields import describe
from domain.values import Note


@command("propose_resolution", Permission.HANDLE_COMPLAINTS, about=Complaint)
class ProposeResolution(Command):
    """Propose the resolution the department found, for the manager in charge to approve."""

    complaint_id: ComplaintId
    resolution: Resolution

    def decide(self, d: Decision[Complaint]) -> None:
        d.target.require(ComplaintStatus.ASSIGNED, action="propose a resolution for")
        d.record(Complaint.ResolutionProposed, resolution=self.resolution)


@command("approve_resolution", Permission.APPROVE_COMPLAINTS, about=Complaint)
class ApproveResolution(Command):
    """Approve the proposed resolution (the manager in charge, who is not the proposer):
    the reply may then say exactly this."""

    complaint_id: ComplaintId

    def decide(self, d: Decision[Complaint]) -> None:
        c = d.target
        c.require(ComplaintStatus.PROPOSED, action="approve a resolution of")
        if d.envelope.actor == c.proposed_by:
            raise ValidationError(
                "the proposer cannot approve their own resolution", "complaintId", Code.SAME_PERSON
            )
        assert c.proposal is not None
        d.record(Complaint.ResolutionApproved, resolution=c.proposal)


@command("return_resolution", Permission.APPROVE_COMPLAINTS, about=Complaint, reason=True)
class ReturnResolution(Command):
    """Return the proposed resolution to the department (`reason` is required): its stage
    starts again today."""

    complaint_id: ComplaintId

    def decide(self, d: Decision[Complaint]) -> None:
        c = d.target
        c.require(ComplaintStatus.PROPOSED, action="return a resolution of")
        day = d.policy.times.day_of(d.now)
        d.record(Complaint.ResolutionReturned, stage_due_on=due_on(day, c.limits["department"]))


@command("reply_to_complaint", Permission.HANDLE_COMPLAINTS, about=Complaint)
class ReplyToComplaint(Command):
    """Reply to the complainant with the approved resolution. A reply whose content departs
    from it is refused; without `content` the approved text is sent as it is."""

    complaint_id: ComplaintId
    channel: ComplaintChannel
    content: Resolution | None = describe(
        "The reply as sent: it may say only what the approved resolution says (white space "
        "aside). Default: the approved resolution.",
        default=None,
    )

    def decide(self, d: Decision[Complaint]) -> None:
        c = d.target
        c.require(ComplaintStatus.APPROVED, action="reply to")
        approved = c.approved_resolution
        assert approved is not None and c.reply_due_on is not None
        if self.content is not None and not same_text(self.content, approved):
            raise ValidationError(
                "the reply may say only what the approved resolution says",
                "content",
                Code.RULE,
            )
        day = d.policy.times.day_of(d.now)
        d.record(
            Complaint.Replied,
            content=approved if self.content is None else self.content,
            channel=self.channel.value,
            replied_on=day,
            within_deadline=day <= c.reply_due_on,
        )


@command("record_complaint_feedback", Permission.HANDLE_COMPLAINTS, about=Complaint)
class RecordComplaintFeedback(Command):
    """Record the complainant's feedback on the reply (the call-back): satisfied or not."""

    complaint_id: ComplaintId
    satisfied: bool = describe("True when the complainant is satisfied with the reply.")
    note: Note | None = None

    def decide(self, d: Decision[Complaint]) -> None:
        d.target.require(ComplaintStatus.REPLIED, action="record feedback on")
        d.record(Complaint.FeedbackRecorded, satisfied=self.satisfied, note=self.note)


@command("close_complaint", Permission.HANDLE_COMPLAINTS, about=Complaint)
class CloseComplaint(Command):
    """Close a replied complaint. Unless the complainant said they are satisfied, `reason`
    is required (e.g. not reachable after the call-backs)."""

    complaint_id: ComplaintId

    def decide(self, d: Decision[Complaint]) -> None:
        c = d.target
        c.require(
            ComplaintStatus.REPLIED,
            ComplaintStatus.SATISFIED,
            ComplaintStatus.DISSATISFIED,
            action="close",
        )
        if c.status != ComplaintStatus.SATISFIED and not (d.envelope.reason or "").strip():
            raise ValidationError(
                "closing without the complainant's satisfaction needs a reason",
                "reason",
                Code.REASON_REQUIRED,
            )
        d.record(Complaint.Closed)


@command("reopen_complaint", Permission.HANDLE_COMPLAINTS, about=Complaint, reason=True)
class ReopenComplaint(Command):
    """Reopen a complaint whose complainant is not satisfied (`reason` is required): the
    handling form starts again with marketing's analysis, and a new reply deadline counts
    from today."""

    complaint_id: ComplaintId

    def decide(self, d: Decision[Complaint]) -> None:
        c = d.target
        c.require(ComplaintStatus.DISSATISFIED, ComplaintStatus.CLOSED, action="reopen")
        if c.satisfied:
            raise ValidationError(
                "the complainant said they are satisfied", "complaintId", Code.INVALID_STATE
            )
        day = d.policy.times.day_of(d.now)
        d.record(
            Complaint.Reopened,
            reply_due_on=due_on(day, c.reply_days),
            stage_due_on=due_on(day, c.limits["marketing"]),
        )
