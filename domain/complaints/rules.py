"""Complaints: the vocabularies, the numbering, the stages and their deadlines.

Deadlines are counted in calendar days in the branch's time zone: a complaint received on
1 November with a 15-day reply term is due on 16 November, replied on time on that day and
overdue from the 17th. Every due date is computed from the terms the complaint fixed at
receipt (the ``ComplaintPolicy`` version then in force), never typed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5


class ComplaintChannel(StrEnum):
    """How a complaint came in (and how a reply goes out)."""

    PHONE = "phone"
    COUNTER = "counter"
    LETTER = "letter"
    EMAIL = "email"
    ONLINE = "online"
    REGULATOR_REFERRAL = "regulator_referral"


class ComplaintCategory(StrEnum):
    """What a complaint is about."""

    SERVICE = "service"
    TRADING = "trading"
    PRODUCT = "product"
    FEES = "fees"
    INFORMATION_SECURITY = "information_security"
    STAFF_CONDUCT = "staff_conduct"
    OTHER = "other"


class ComplaintCause(StrEnum):
    """The cause found by the analysis (for the half-yearly analysis)."""

    STAFF_ERROR = "staff_error"
    STAFF_ATTITUDE = "staff_attitude"
    PROCESS_GAP = "process_gap"
    SYSTEM_FAILURE = "system_failure"
    PRODUCT_DESIGN = "product_design"
    INSUFFICIENT_DISCLOSURE = "insufficient_disclosure"
    MARKET_MOVEMENT = "market_movement"
    THIRD_PARTY = "third_party"
    UNFOUNDED = "unfounded"
    OTHER = "other"


class ResponsibleDepartment(StrEnum):
    """The unit that fixes what the complaint is about (a complaint is attributed to a
    person, or failing that to this unit)."""

    FRONT_OFFICE = "front_office"
    CUSTOMER_SERVICE = "customer_service"
    MARKETING = "marketing"
    TRADING = "trading"
    OPERATIONS = "operations"
    RISK = "risk"
    INFORMATION_TECHNOLOGY = "information_technology"
    FINANCE = "finance"
    COMPLIANCE = "compliance"
    BRANCH_MANAGEMENT = "branch_management"
    HEAD_OFFICE = "head_office"


class ComplaintStatus(StrEnum):
    """Where a complaint is in its life."""

    RECEIVED = "received"
    IN_HANDLING = "in_handling"
    ASSIGNED = "assigned"
    PROPOSED = "proposed"
    APPROVED = "approved"
    REPLIED = "replied"
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"
    CLOSED = "closed"


class ComplaintStage(StrEnum):
    """Who has to act next: the branch (first responder), marketing (analysis and
    assignment), the responsible department (the fix), the manager (approval), the reply,
    the complainant's feedback, closing; ``reply`` is also the overall reply deadline."""

    BRANCH = "branch"
    MARKETING = "marketing"
    DEPARTMENT = "department"
    APPROVAL = "approval"
    REPLY = "reply"
    FEEDBACK = "feedback"
    CLOSING = "closing"
    DONE = "done"


#: The stage each status is in.
STAGE_OF: dict[str, ComplaintStage] = {
    ComplaintStatus.RECEIVED: ComplaintStage.BRANCH,
    ComplaintStatus.IN_HANDLING: ComplaintStage.MARKETING,
    ComplaintStatus.ASSIGNED: ComplaintStage.DEPARTMENT,
    ComplaintStatus.PROPOSED: ComplaintStage.APPROVAL,
    ComplaintStatus.APPROVED: ComplaintStage.REPLY,
    ComplaintStatus.REPLIED: ComplaintStage.FEEDBACK,
    ComplaintStatus.SATISFIED: ComplaintStage.CLOSING,
    ComplaintStatus.DISSATISFIED: ComplaintStage.CLOSING,
    ComplaintStatus.CLOSED: ComplaintStage.DONE,
}
#: Statuses in which the reply is still owed.
AWAITING_REPLY = frozenset(
    {
        ComplaintStatus.RECEIVED,
        ComplaintStatus.IN_HANDLING,
        ComplaintStatus.ASSIGNED,
        ComplaintStatus.PROPOSED,
        ComplaintStatus.APPROVED,
    }
)


@dataclass(frozen=True)
class DeadlineTerms:
    """The configurable terms, in calendar days (DESIGN §4: reply in 15, 18 abroad; the
    branch 5, marketing 7, the department that fixes it 2)."""

    reply_days: int = 15
    reply_days_abroad: int = 18
    branch_days: int = 5
    marketing_days: int = 7
    department_days: int = 2

    def reply_term(self, abroad: bool) -> int:
        """Days to reply to a complainant at home or abroad."""
        return self.reply_days_abroad if abroad else self.reply_days

    def stage_limits(self) -> dict[str, int]:
        """The limit of each stage that has one."""
        return {
            ComplaintStage.BRANCH.value: self.branch_days,
            ComplaintStage.MARKETING.value: self.marketing_days,
            ComplaintStage.DEPARTMENT.value: self.department_days,
        }


DEFAULT_TERMS = DeadlineTerms()


def due_on(start: date, days: int) -> date:
    """The last calendar day on which something started on ``start`` is on time."""
    return start + timedelta(days=days)


def late_stages(
    status: str,
    stage_due: date | None,
    reply_due: date | None,
    today: date,
) -> list[tuple[ComplaintStage, date]]:
    """The stages that are late on ``today`` (the current stage past its limit, and the
    reply past its deadline), with their due dates; empty when nothing is late."""
    late: list[tuple[ComplaintStage, date]] = []
    stage = STAGE_OF[status]
    if stage_due is not None and stage_due < today and stage is not ComplaintStage.REPLY:
        late.append((stage, stage_due))
    if status in AWAITING_REPLY and reply_due is not None and reply_due < today:
        late.append((ComplaintStage.REPLY, reply_due))
    return late


def month_of(day: date) -> str:
    """The numbering month of a business date, e.g. 202611."""
    return f"{day:%Y%m}"


def complaint_number(month: str, sequence: int) -> str:
    """CP-YYYYMM-NNNN."""
    return f"CP-{month}-{sequence:04d}"


def numbering_id(branch: str, month: str) -> UUID:
    """The id of the counter of one branch's complaints received in one month."""
    return uuid5(NAMESPACE_URL, f"backoffice:complaint-numbering:{branch}:{month}")


POLICY_ID = uuid5(NAMESPACE_URL, "backoffice:complaint-policy")


def same_text(a: str, b: str) -> bool:
    """True when two texts say the same (runs of white space do not count)."""
    return " ".join(a.split()) == " ".join(b.split())
