"""A complaint from receipt to closure, the monthly counter that numbers complaints, and the
deadline policy: the records' events and how each changes them (the rules are with the
commands, ``domain.complaints.commands``)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from domain.complaints.rules import AWAITING_REPLY, ComplaintStatus, DeadlineTerms
from domain.envelope import BackofficeAggregate, Envelope
from domain.errors import Code, ValidationError


class Complaint(BackofficeAggregate):
    """One complaint, owned by the staff member who received it (the first responder)."""

    def __init__(self) -> None:
        self.number = ""
        self.branch = ""
        self.client_id: UUID | None = None
        self.abroad = False
        self.received_on: date | None = None
        self.first_responder: UUID | None = None
        self.owner: UUID | None = None
        self.status = ComplaintStatus.RECEIVED.value
        self.limits: dict[str, int] = {}
        self.reply_days = 0
        self.reply_due_on: date | None = None
        self.stage_due_on: date | None = None
        self.department: str | None = None
        self.proposed_by: UUID | None = None
        self.proposal: str | None = None
        self.approved_resolution: str | None = None
        self.replies = 0
        self.satisfied: bool | None = None

    class Received(BackofficeAggregate.Created):
        """The complaint was received by ``envelope.actor``, who owns it from now on; the
        deadline terms in force (``policy_version``, 0: the defaults) are fixed with it."""

        envelope: Envelope
        complaint_id: UUID
        number: str
        month: str
        sequence: int
        branch: str
        channel: str
        client_id: UUID | None
        complainant_name: str | None
        complainant_contact: str | None
        content: str
        category: str
        quality: bool
        abroad: bool
        received_at: datetime
        received_on: date
        policy_version: int
        reply_days: int
        branch_days: int
        marketing_days: int
        department_days: int
        reply_due_on: date
        stage_due_on: date

        def apply(self, c: Complaint) -> None:
            c.number, c.branch, c.client_id = self.number, self.branch, self.client_id
            c.abroad, c.received_on = self.abroad, self.received_on
            c.first_responder = c.owner = self.envelope.actor
            c.reply_days, c.reply_due_on = self.reply_days, self.reply_due_on
            c.stage_due_on = self.stage_due_on
            c.limits = {
                "branch": self.branch_days,
                "marketing": self.marketing_days,
                "department": self.department_days,
            }

    class ResolvedAtOnce(BackofficeAggregate.Event):
        """Resolved on the spot: the resolution was the reply."""

        envelope: Envelope
        resolution: str
        cause: str
        department: str | None
        attributed_to: UUID | None
        replied_on: date
        within_deadline: bool

        def apply(self, c: Complaint) -> None:
            c.status = ComplaintStatus.REPLIED.value
            c.approved_resolution, c.department = self.resolution, self.department
            c.stage_due_on = None
            c.replies += 1

    class OwnershipTransferred(BackofficeAggregate.Event):
        """The owner handed the complaint on, for the reason in the envelope; the first
        responder stays the same."""

        envelope: Envelope
        from_owner: UUID
        to_owner: UUID

        def apply(self, c: Complaint) -> None:
            c.owner = self.to_owner

    class TakenIntoHandling(BackofficeAggregate.Event):
        """Not resolvable at once: the handling form starts, with marketing's analysis."""

        envelope: Envelope
        stage_due_on: date

        def apply(self, c: Complaint) -> None:
            c.status, c.stage_due_on = ComplaintStatus.IN_HANDLING.value, self.stage_due_on

    class Assigned(BackofficeAggregate.Event):
        """The cause was analysed and the department that fixes it assigned; the complaint
        is attributed to a person, or failing that to the department."""

        envelope: Envelope
        cause: str
        department: str
        attributed_to: UUID | None
        stage_due_on: date

        def apply(self, c: Complaint) -> None:
            c.status, c.stage_due_on = ComplaintStatus.ASSIGNED.value, self.stage_due_on
            c.department = self.department

    class NoteAdded(BackofficeAggregate.Event):
        """An investigation note."""

        envelope: Envelope
        note: str

    class ResolutionProposed(BackofficeAggregate.Event):
        """A resolution was proposed (by ``envelope.actor``) for the manager's approval."""

        envelope: Envelope
        resolution: str

        def apply(self, c: Complaint) -> None:
            c.status, c.stage_due_on = ComplaintStatus.PROPOSED.value, None
            c.proposal, c.proposed_by = self.resolution, self.envelope.actor

    class ResolutionApproved(BackofficeAggregate.Event):
        """The manager in charge approved the proposal: the reply may say only this."""

        envelope: Envelope
        resolution: str

        def apply(self, c: Complaint) -> None:
            c.status, c.approved_resolution = ComplaintStatus.APPROVED.value, self.resolution

    class ResolutionReturned(BackofficeAggregate.Event):
        """The manager returned the proposal (the reason is in the envelope); the department
        works on it again."""

        envelope: Envelope
        stage_due_on: date

        def apply(self, c: Complaint) -> None:
            c.status, c.stage_due_on = ComplaintStatus.ASSIGNED.value, self.stage_due_on
            c.proposal = c.proposed_by = None

    class Replied(BackofficeAggregate.Event):
        """The complainant was told the approved resolution."""

        envelope: Envelope
        content: str
        channel: str
        replied_on: date
        within_deadline: bool

        def apply(self, c: Complaint) -> None:
            c.status, c.stage_due_on = ComplaintStatus.REPLIED.value, None
            c.replies += 1

    class FeedbackRecorded(BackofficeAggregate.Event):
        """The complainant's feedback on the reply (the call-back)."""

        envelope: Envelope
        satisfied: bool
        note: str | None

        def apply(self, c: Complaint) -> None:
            c.satisfied = self.satisfied
            c.status = (
                ComplaintStatus.SATISFIED if self.satisfied else ComplaintStatus.DISSATISFIED
            ).value

    class Chased(BackofficeAggregate.Event):
        """A late stage was chased (escalated)."""

        envelope: Envelope
        stage: str
        due_on: date
        note: str | None

    class Closed(BackofficeAggregate.Event):
        """The complaint was closed."""

        envelope: Envelope

        def apply(self, c: Complaint) -> None:
            c.status = ComplaintStatus.CLOSED.value

    class Reopened(BackofficeAggregate.Event):
        """The complainant was not satisfied: handling starts again (marketing's analysis),
        with a new reply deadline counted from today."""

        envelope: Envelope
        reply_due_on: date
        stage_due_on: date

        def apply(self, c: Complaint) -> None:
            c.status = ComplaintStatus.IN_HANDLING.value
            c.reply_due_on, c.stage_due_on = self.reply_due_on, self.stage_due_on
            c.proposal = c.proposed_by = c.approved_resolution = None
            c.satisfied = None

    @staticmethod
    def create_id(complaint_id: UUID, **_: object) -> UUID:
        """The id is chosen at the edge and passed in."""
        return complaint_id

    def require(self, *statuses: ComplaintStatus, action: str) -> None:
        """Refuse ``action`` unless the complaint is in one of ``statuses``."""
        if self.status not in statuses:
            raise ValidationError(
                f"cannot {action} a complaint that is {self.status}",
                "complaintId",
                Code.INVALID_STATE,
            )

    @property
    def awaiting_reply(self) -> bool:
        """True while the reply is owed."""
        return self.status in AWAITING_REPLY


class ComplaintNumbering(BackofficeAggregate):
    """The counter of one branch's complaints received in one month: advanced in the same
    save as the complaint it numbers, so two concurrent receipts cannot take one number (the
    store's primary key) and a number is issued only with its complaint (no gaps)."""

    def __init__(self) -> None:
        self.branch = ""
        self.month = ""
        self.issued = 0

    class Started(BackofficeAggregate.Created):
        """The month's first complaint of the branch."""

        envelope: Envelope
        numbering_id: UUID
        branch: str
        month: str

        def apply(self, n: ComplaintNumbering) -> None:
            n.branch, n.month = self.branch, self.month

    class Issued(BackofficeAggregate.Event):
        """The next number went to a complaint."""

        envelope: Envelope
        sequence: int
        complaint_id: UUID

        def apply(self, n: ComplaintNumbering) -> None:
            n.issued = self.sequence

    @staticmethod
    def create_id(numbering_id: UUID, **_: object) -> UUID:
        """Derived from the branch and the month."""
        return numbering_id


class ComplaintPolicy(BackofficeAggregate):
    """The deadline terms in force and the role that analyses and assigns complaints;
    changed only by a recorded event (its version is what a complaint fixes at receipt)."""

    def __init__(self) -> None:
        self.terms = DeadlineTerms()
        self.analyst_role = "marketing"

    class Adopted(BackofficeAggregate.Created):
        """The first recorded terms."""

        envelope: Envelope
        policy_id: UUID
        reply_days: int
        reply_days_abroad: int
        branch_days: int
        marketing_days: int
        department_days: int
        analyst_role: str

        def apply(self, p: ComplaintPolicy) -> None:
            p.terms = DeadlineTerms(
                self.reply_days,
                self.reply_days_abroad,
                self.branch_days,
                self.marketing_days,
                self.department_days,
            )
            p.analyst_role = self.analyst_role

    class Changed(BackofficeAggregate.Event):
        """New terms (for complaints received from now on)."""

        envelope: Envelope
        reply_days: int
        reply_days_abroad: int
        branch_days: int
        marketing_days: int
        department_days: int
        analyst_role: str

        def apply(self, p: ComplaintPolicy) -> None:
            p.terms = DeadlineTerms(
                self.reply_days,
                self.reply_days_abroad,
                self.branch_days,
                self.marketing_days,
                self.department_days,
            )
            p.analyst_role = self.analyst_role

    @staticmethod
    def create_id(policy_id: UUID, **_: object) -> UUID:
        """A singleton."""
        return policy_id
