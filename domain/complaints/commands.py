"""The commands of a complaint's first stage: receipt (numbered, with computed deadlines),
resolution at once, explicit transfers of ownership, the handling form's analysis and
assignment, investigation notes, chasing late stages, and the deadline policy."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from domain.access import Permission, Role, granting_role, roles_with
from domain.clients import Client
from domain.commands import Command, Decision, command
from domain.complaints.aggregate import Complaint, ComplaintNumbering, ComplaintPolicy
from domain.complaints.rules import (
    DEFAULT_TERMS,
    POLICY_ID,
    ComplaintCategory,
    ComplaintCause,
    ComplaintChannel,
    ComplaintStatus,
    DeadlineTerms,
    ResponsibleDepartment,
    complaint_number,
    due_on,
    late_stages,
    month_of,
    numbering_id,
)
from domain.envelope import SYSTEM_ROLE
from domain.errors import Code, NotAllowed, ValidationError
from domain.fields import Int, Ref, Text, describe, new_id
from domain.staff import Staff
from domain.values import At, BranchCode, ClientId, Note, PersonName, StaffId

ComplaintId = Annotated[UUID, Ref("The id of a complaint.")]
Content = Annotated[
    str,
    Text(
        5000, "What the complainant says, in their words (up to 5,000 characters).", multiline=True
    ),
]
Resolution = Annotated[
    str,
    Text(5000, "The resolution, as the complainant is to be told it.", multiline=True),
]
Contact = Annotated[
    str, Text(200, "How to reach the complainant: a phone number, an e-mail or an address.")
]
Days = Annotated[int, Int(1, 90, "A number of calendar days (1-90).")]
#: Fifty receipts at once in one branch and month each need at most 49 retries.
RACE_RETRIES = 100


def policy_of(d: Decision[Complaint]) -> ComplaintPolicy | None:
    """The deadline policy in force (None: the defaults apply, version 0)."""
    return d.find(ComplaintPolicy, POLICY_ID)


def attributed(d: Decision[Complaint], staff_id: UUID | None, branch: str) -> UUID | None:
    """``staff_id`` if it names a staff member of the branch (complaints are attributed to
    a person of the branch, or to a unit)."""
    if staff_id is None:
        return None
    member = d.find(Staff, staff_id)
    if member is None or member.branch != branch:
        raise ValidationError(
            f"no staff member {staff_id} in branch {branch}", "attributedTo", Code.UNKNOWN_REFERENCE
        )
    return staff_id


@command("receive_complaint", Permission.HANDLE_COMPLAINTS, retries=RACE_RETRIES)
class ReceiveComplaint(Command):
    """Receive a complaint: you own it from now on (first responder). It is numbered
    CP-YYYYMM-NNNN in the month of receipt (branch time zone), gaplessly, and its deadlines
    are computed from the terms in force: the reply in 15 days (18 abroad), the branch's
    stage in 5."""

    complaint_id: ComplaintId = new_id(
        "Chosen by the caller for safe retries; generated if absent."
    )
    channel: ComplaintChannel
    category: ComplaintCategory
    content: Content
    quality: bool = describe(
        "A quality complaint (about the quality of a service or product).", default=False
    )
    client_id: ClientId | None = describe(
        "The complainant, when a client; leave out for an outside or anonymous complainant.",
        default=None,
    )
    complainant_name: PersonName | None = describe(
        "An outside complainant's name; leave out when anonymous.", default=None
    )
    complainant_contact: Contact | None = describe(
        "Where to send the reply; required unless the complainant is a client.", default=None
    )
    abroad: bool = describe(
        "The complainant lives abroad (a longer reply deadline).", default=False
    )
    received_at: At | None = describe(
        "When the complaint came in; default: now. Back-dating is allowed within the same "
        "business day only.",
        default=None,
    )
    branch: BranchCode | None = describe(
        "The branch complained about; default: the client's, else yours.", default=None
    )

    def decide(self, d: Decision[Complaint]) -> Complaint:
        d.require_new(self.complaint_id, "id")
        if self.client_id is not None:
            client = d.get(Client, self.client_id, "clientId")
            branch = d.scope(client.branch, "clientId")
            if self.branch is not None and self.branch != branch:
                raise ValidationError(
                    f"the client is a client of branch {branch}", "branch", Code.RULE
                )
        else:
            if self.complainant_contact is None:
                raise ValidationError(
                    "a complainant who is not a client needs a contact for the reply",
                    "complainantContact",
                    Code.REQUIRED,
                )
            branch = d.scope(self.branch or d.actor.branch)
        at = d.policy.times.check(self.received_at or d.now, d.now, "receivedAt")
        day = d.policy.times.day_of(at)
        policy = policy_of(d)
        terms = DEFAULT_TERMS if policy is None else policy.terms
        month = month_of(day)
        counter = d.find(ComplaintNumbering, numbering_id(branch, month))
        if counter is None:
            counter = d.new(
                ComplaintNumbering,
                ComplaintNumbering.Started,
                numbering_id=numbering_id(branch, month),
                branch=branch,
                month=month,
            )
        sequence = counter.issued + 1
        d.record_on(
            counter, ComplaintNumbering.Issued, sequence=sequence, complaint_id=self.complaint_id
        )
        d.also.append(counter)
        reply_days = terms.reply_term(self.abroad)
        return d.new(
            Complaint,
            Complaint.Received,
            complaint_id=self.complaint_id,
            number=complaint_number(month, sequence),
            month=month,
            sequence=sequence,
            branch=branch,
            channel=self.channel.value,
            client_id=self.client_id,
            complainant_name=self.complainant_name,
            complainant_contact=self.complainant_contact,
            content=self.content,
            category=self.category.value,
            quality=self.quality,
            abroad=self.abroad,
            received_at=at,
            received_on=day,
            policy_version=0 if policy is None else policy.version,
            reply_days=reply_days,
            branch_days=terms.branch_days,
            marketing_days=terms.marketing_days,
            department_days=terms.department_days,
            reply_due_on=due_on(day, reply_days),
            stage_due_on=due_on(day, terms.branch_days),
        )


@command("resolve_complaint_at_once", Permission.HANDLE_COMPLAINTS, about=Complaint)
class ResolveComplaintAtOnce(Command):
    """Resolve a complaint on the spot, before the handling form: the resolution is the
    reply, recorded as such (feedback and closing follow as for any reply)."""

    complaint_id: ComplaintId
    resolution: Resolution
    cause: ComplaintCause
    department: ResponsibleDepartment | None = describe("The unit concerned, if any.", default=None)
    attributed_to: StaffId | None = describe(
        "The staff member the complaint is attributed to, if one.", default=None
    )

    def decide(self, d: Decision[Complaint]) -> None:
        c = d.target
        c.require(ComplaintStatus.RECEIVED, action="resolve at once")
        day = d.policy.times.day_of(d.now)
        assert c.reply_due_on is not None
        d.record(
            Complaint.ResolvedAtOnce,
            resolution=self.resolution,
            cause=self.cause.value,
            department=None if self.department is None else self.department.value,
            attributed_to=attributed(d, self.attributed_to, c.branch),
            replied_on=day,
            within_deadline=day <= c.reply_due_on,
        )


@command("transfer_complaint_ownership", Permission.HANDLE_COMPLAINTS, about=Complaint, reason=True)
class TransferComplaintOwnership(Command):
    """Hand a complaint to another member of the branch who handles complaints (the owner,
    or the manager in charge for an absent owner); `reason` is required. The complaint stays
    attributed to its first responder."""

    complaint_id: ComplaintId
    new_owner: StaffId = describe("The staff member who owns it from now on.")

    def decide(self, d: Decision[Complaint]) -> None:
        c = d.target
        if c.status == ComplaintStatus.CLOSED:
            raise ValidationError(
                "a closed complaint is not transferred", "complaintId", Code.INVALID_STATE
            )
        if (
            d.envelope.actor != c.owner
            and granting_role(d.actor.roles, Permission.APPROVE_COMPLAINTS) is None
        ):
            raise NotAllowed("only the owner or the manager in charge transfers a complaint")
        if self.new_owner == c.owner:
            raise ValidationError("they own it already", "newOwner", Code.RULE)
        member = d.find(Staff, self.new_owner)
        handlers = roles_with(Permission.HANDLE_COMPLAINTS)
        if (
            member is None
            or not member.active
            or member.branch != c.branch
            or not handlers & set(member.roles)
        ):
            raise ValidationError(
                f"the new owner must be an active member of {c.branch} who handles complaints",
                "newOwner",
                Code.UNKNOWN_REFERENCE,
            )
        assert c.owner is not None
        d.record(Complaint.OwnershipTransferred, from_owner=c.owner, to_owner=self.new_owner)


@command("take_complaint_into_handling", Permission.HANDLE_COMPLAINTS, about=Complaint)
class TakeComplaintIntoHandling(Command):
    """Not resolvable at once: start the handling form. Marketing's stage (analysis and
    assignment, 7 days) starts today."""

    complaint_id: ComplaintId

    def decide(self, d: Decision[Complaint]) -> None:
        c = d.target
        c.require(ComplaintStatus.RECEIVED, action="take into handling")
        day = d.policy.times.day_of(d.now)
        d.record(Complaint.TakenIntoHandling, stage_due_on=due_on(day, c.limits["marketing"]))


@command("assign_complaint", Permission.HANDLE_COMPLAINTS, about=Complaint)
class AssignComplaint(Command):
    """Marketing (or the role the policy designates) records the cause and assigns the
    department that fixes it, attributing the complaint to a person or, failing that, to the
    department. The department's stage (2 days) starts today; assigning again restarts it."""

    complaint_id: ComplaintId
    cause: ComplaintCause
    department: ResponsibleDepartment
    attributed_to: StaffId | None = describe(
        "The staff member the complaint is attributed to; leave out to attribute it to the "
        "department.",
        default=None,
    )

    def decide(self, d: Decision[Complaint]) -> None:
        c = d.target
        c.require(ComplaintStatus.IN_HANDLING, ComplaintStatus.ASSIGNED, action="assign")
        policy = policy_of(d)
        analyst = Role.MARKETING.value if policy is None else policy.analyst_role
        if analyst not in d.actor.roles and SYSTEM_ROLE not in d.actor.roles:
            raise NotAllowed(f"complaints are analysed and assigned by the {analyst} role")
        day = d.policy.times.day_of(d.now)
        d.record(
            Complaint.Assigned,
            cause=self.cause.value,
            department=self.department.value,
            attributed_to=attributed(d, self.attributed_to, c.branch),
            stage_due_on=due_on(day, c.limits["department"]),
        )


@command("add_investigation_note", Permission.HANDLE_COMPLAINTS, about=Complaint)
class AddInvestigationNote(Command):
    """Add a note to the investigation (while the complaint is in the handling form)."""

    complaint_id: ComplaintId
    note: Note

    def decide(self, d: Decision[Complaint]) -> None:
        d.target.require(
            ComplaintStatus.IN_HANDLING,
            ComplaintStatus.ASSIGNED,
            ComplaintStatus.PROPOSED,
            action="add a note to",
        )
        d.record(Complaint.NoteAdded, note=self.note)


@command("chase_complaint", Permission.APPROVE_COMPLAINTS, about=Complaint)
class ChaseComplaint(Command):
    """Chase (escalate) a complaint whose stage or reply is late: one Chased event per late
    stage. Refused when nothing is late."""

    complaint_id: ComplaintId
    note: Note | None = None

    def decide(self, d: Decision[Complaint]) -> None:
        c = d.target
        late = late_stages(c.status, c.stage_due_on, c.reply_due_on, d.policy.times.day_of(d.now))
        if not late:
            raise ValidationError("nothing about it is late", "complaintId", Code.INVALID_STATE)
        for stage, due in late:
            d.record(Complaint.Chased, stage=stage.value, due_on=due, note=self.note)


@command("set_complaint_deadlines", Permission.SET_COMPLAINT_DEADLINES, reason=True)
class SetComplaintDeadlines(Command):
    """Change the deadline terms (head office), for complaints received from now on; a term
    left out keeps its value. Nothing is recorded when nothing changes; `reason` is
    required."""

    reply_days: Days | None = describe("Days to reply (DESIGN: 15).", default=None)
    reply_days_abroad: Days | None = describe(
        "Days to reply to a complainant abroad (18).", default=None
    )
    branch_days: Days | None = describe("The branch's stage (5).", default=None)
    marketing_days: Days | None = describe("Marketing's stage (7).", default=None)
    department_days: Days | None = describe("The responsible department's stage (2).", default=None)
    analyst_role: Role | None = describe(
        "The role that analyses and assigns complaints (marketing).", default=None
    )

    def decide(self, d: Decision[ComplaintPolicy]) -> ComplaintPolicy:
        policy = d.find(ComplaintPolicy, POLICY_ID)
        now = DEFAULT_TERMS if policy is None else policy.terms
        terms = DeadlineTerms(
            self.reply_days or now.reply_days,
            self.reply_days_abroad or now.reply_days_abroad,
            self.branch_days or now.branch_days,
            self.marketing_days or now.marketing_days,
            self.department_days or now.department_days,
        )
        role = (
            self.analyst_role.value
            if self.analyst_role is not None
            else (Role.MARKETING.value if policy is None else policy.analyst_role)
        )
        _check(terms, role)
        fields = {**terms.__dict__, "analyst_role": role}
        if policy is None:
            return d.new(ComplaintPolicy, ComplaintPolicy.Adopted, policy_id=POLICY_ID, **fields)
        if terms != policy.terms or role != policy.analyst_role:
            d.record_on(policy, ComplaintPolicy.Changed, **fields)
        return policy


def _check(terms: DeadlineTerms, role: str) -> None:
    if terms.reply_days_abroad < terms.reply_days:
        raise ValidationError(
            "the reply term abroad cannot be shorter than at home",
            "replyDaysAbroad",
            Code.OUT_OF_RANGE,
        )
    stages = terms.branch_days + terms.marketing_days + terms.department_days
    if stages > terms.reply_days:
        raise ValidationError(
            f"the stages take {stages} days, more than the {terms.reply_days} days to reply",
            "replyDays",
            Code.LIMIT_EXCEEDED,
        )
    if role not in roles_with(Permission.HANDLE_COMPLAINTS):
        raise ValidationError(
            f"the {role} role does not handle complaints", "analystRole", Code.INVALID_CHOICE
        )
