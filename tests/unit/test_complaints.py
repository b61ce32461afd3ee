"""Complaints: given events, when a command, then events or an error."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from domain import complaints as k
from domain.access import Role
from domain.complaints import Complaint
from domain.errors import Code, NotAllowed, ValidationError
from domain.policy import Policy, TimePolicy
from projections.complaints import evolve
from tests.harness import Domain

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Desk:
    """A branch's complaint desk: customer service (receives), a second customer service
    member, marketing (analyses and assigns), two branch managers (one proposes once, the
    other approves), on a clock in Shanghai."""

    d: Domain
    service: UUID
    colleague: UUID
    marketing: UUID
    manager: UUID
    deputy: UUID

    def receive(self, actor: UUID | None = None, **kw: Any) -> UUID:
        """A complaint received now (by customer service unless told)."""
        cid = uuid.uuid4()
        self.d.run(receipt(complaint_id=cid, **kw), actor or self.service)
        return cid

    def handled(self, **kw: Any) -> UUID:
        """A complaint taken into handling and assigned to operations."""
        cid = self.receive(**kw)
        self.d.run(k.TakeComplaintIntoHandling(complaint_id=cid), self.service)
        self.d.run(
            k.AssignComplaint(
                complaint_id=cid,
                cause=k.ComplaintCause.PROCESS_GAP,
                department=k.ResponsibleDepartment.OPERATIONS,
            ),
            self.marketing,
        )
        return cid

    def approved(self, resolution: str = "退还多收的佣金 120 元。", **kw: Any) -> UUID:
        """A complaint whose resolution customer service proposed and a manager approved."""
        cid = self.handled(**kw)
        self.d.run(k.ProposeResolution(complaint_id=cid, resolution=resolution), self.service)
        self.d.run(k.ApproveResolution(complaint_id=cid), self.manager)
        return cid

    def replied(self, **kw: Any) -> UUID:
        """A complaint replied to by phone with the approved text."""
        cid = self.approved(**kw)
        self.d.run(
            k.ReplyToComplaint(complaint_id=cid, channel=k.ComplaintChannel.PHONE), self.service
        )
        return cid

    def state(self, cid: UUID) -> Complaint:
        """The complaint as stored."""
        found: Complaint = self.d.app.get(Complaint, cid)
        return found


def receipt(**kw: Any) -> k.ReceiveComplaint:
    """A phone complaint about fees from an outside complainant, unless told otherwise."""
    args: dict[str, Any] = {
        "complaint_id": uuid.uuid4(),
        "channel": k.ComplaintChannel.PHONE,
        "category": k.ComplaintCategory.FEES,
        "content": "佣金比约定的高。",
        "complainant_name": "王五",
        "complainant_contact": "13900001111",
    }
    return k.ReceiveComplaint(**{**args, **kw})


def desk_at(now: datetime) -> Desk:
    """A desk whose clock stands at ``now``, with days in Shanghai."""
    d = Domain(now=now)
    d.app.policy = Policy(times=TimePolicy(timezone=SHANGHAI))
    return Desk(
        d,
        d.staff("customer_service"),
        d.staff("customer_service"),
        d.staff("marketing"),
        d.staff("branch_manager"),
        d.staff("branch_manager"),
    )


@pytest.fixture
def desk() -> Desk:
    return desk_at(datetime(2026, 11, 23, 4, 0, tzinfo=UTC))


def refused(desk: Desk, command: Any, actor: UUID, **context: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        desk.d.run(command, actor, **context)
    return caught.value


# -- receipt, numbering, deadlines ----------------------------------------------------------


def test_the_receiver_owns_the_complaint_and_it_is_numbered_from_one_in_its_month(
    desk: Desk,
) -> None:
    first, second = desk.receive(), desk.receive(desk.colleague)
    received = desk.d.events(first)[0]
    assert isinstance(received, Complaint.Received)
    assert (received.number, received.sequence, received.month) == ("CP-202611-0001", 1, "202611")
    assert desk.state(second).number == "CP-202611-0002"
    assert desk.state(first).owner == desk.state(first).first_responder == desk.service
    assert desk.state(second).owner == desk.colleague


def test_the_month_of_a_number_is_the_branchs_month_of_receipt() -> None:
    # 16:30 UTC on 30 November is 00:30 on 1 December in Shanghai.
    desk = desk_at(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    cid = desk.receive()
    assert desk.state(cid).number == "CP-202612-0001"
    assert desk.state(cid).received_on == date(2026, 12, 1)


def test_the_year_end_in_shanghai_starts_the_new_years_numbers() -> None:
    desk = desk_at(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC))
    december = desk.receive()
    desk.d.later(seconds=2)
    january = desk.receive()
    assert desk.state(december).number == "CP-202612-0001"
    assert desk.state(january).number == "CP-202701-0001"
    assert desk.state(january).reply_due_on == date(2027, 1, 16)


def test_each_branch_numbers_its_own_complaints(desk: Desk) -> None:
    other = desk.d.staff("customer_service", branch="BJ02")
    desk.receive()
    beijing = desk.receive(other)
    assert desk.state(beijing).number == "CP-202611-0001"
    assert desk.state(beijing).branch == "BJ02"


def test_the_reply_is_due_in_fifteen_calendar_days_and_the_branch_stage_in_five(
    desk: Desk,
) -> None:
    c = desk.state(desk.receive())
    assert (c.reply_due_on, c.stage_due_on) == (date(2026, 12, 8), date(2026, 11, 28))


def test_a_complainant_abroad_has_eighteen_days(desk: Desk) -> None:
    assert desk.state(desk.receive(abroad=True)).reply_due_on == date(2026, 12, 11)


def test_a_complainant_who_is_not_a_client_needs_a_contact(desk: Desk) -> None:
    error = refused(desk, receipt(complainant_contact=None), desk.service)
    assert (error.field, error.reason) == ("complainantContact", Code.REQUIRED)


def test_a_client_complaint_belongs_to_the_clients_branch(desk: Desk) -> None:
    manager = desk.d.staff("account_manager")
    client = desk.d.onboard(manager)
    cid = desk.receive(client_id=client, complainant_name=None, complainant_contact=None)
    assert (desk.state(cid).client_id, desk.state(cid).branch) == (client, "SH01")


def test_another_branchs_client_is_not_yours_to_receive_for(desk: Desk) -> None:
    client = desk.d.onboard(desk.d.staff("account_manager", branch="BJ02"))
    with pytest.raises(NotAllowed):
        desk.d.run(receipt(client_id=client), desk.service)


def test_a_trader_may_not_receive_complaints(desk: Desk) -> None:
    with pytest.raises(NotAllowed):
        desk.d.run(receipt(), desk.d.staff("trader"))


def test_a_complaint_fixes_the_deadline_terms_in_force_at_its_receipt(desk: Desk) -> None:
    before = desk.receive()
    head_office = desk.d.staff("head_office", branch="HQ")
    desk.d.run(k.SetComplaintDeadlines(reply_days=16), head_office, reason="new rule")
    after = desk.receive()
    events = [desk.d.events(c)[0] for c in (before, after)]
    assert [(e.policy_version, e.reply_days) for e in events] == [(0, 15), (1, 16)]
    assert desk.state(before).reply_due_on == date(2026, 12, 8)
    assert desk.state(after).reply_due_on == date(2026, 12, 9)


def test_setting_the_terms_in_force_records_nothing_new(desk: Desk) -> None:
    head_office = desk.d.staff("head_office", branch="HQ")
    desk.d.run(k.SetComplaintDeadlines(), head_office, reason="adopt")
    again = desk.d.run(k.SetComplaintDeadlines(reply_days=15), head_office, reason="again")
    assert not again.changed and again.version == 1


def test_stages_longer_than_the_reply_term_are_refused(desk: Desk) -> None:
    head_office = desk.d.staff("head_office", branch="HQ")
    error = refused(desk, k.SetComplaintDeadlines(marketing_days=9), head_office, reason="x")
    assert error.reason is Code.LIMIT_EXCEEDED


def test_a_shorter_term_abroad_than_at_home_is_refused(desk: Desk) -> None:
    head_office = desk.d.staff("head_office", branch="HQ")
    error = refused(desk, k.SetComplaintDeadlines(reply_days_abroad=14), head_office, reason="x")
    assert error.field == "replyDaysAbroad"


def test_only_head_office_changes_the_terms(desk: Desk) -> None:
    with pytest.raises(NotAllowed):
        desk.d.run(k.SetComplaintDeadlines(reply_days=20), desk.manager, reason="x")


# -- ownership -------------------------------------------------------------------------------


def test_a_transfer_is_a_reasoned_event_and_the_first_responder_stays(desk: Desk) -> None:
    cid = desk.receive()
    transfer = k.TransferComplaintOwnership(complaint_id=cid, new_owner=desk.colleague)
    assert refused(desk, transfer, desk.service).reason is Code.REASON_REQUIRED
    desk.d.run(transfer, desk.service, reason="on leave from tomorrow")
    event = desk.d.last(cid)
    assert isinstance(event, Complaint.OwnershipTransferred)
    assert (event.from_owner, event.to_owner) == (desk.service, desk.colleague)
    assert event.envelope.reason == "on leave from tomorrow"
    assert (desk.state(cid).owner, desk.state(cid).first_responder) == (
        desk.colleague,
        desk.service,
    )


def test_someone_other_than_the_owner_or_a_manager_cannot_transfer(desk: Desk) -> None:
    cid = desk.receive()
    with pytest.raises(NotAllowed):
        desk.d.run(
            k.TransferComplaintOwnership(complaint_id=cid, new_owner=desk.marketing),
            desk.colleague,
            reason="taking it",
        )
    desk.d.run(
        k.TransferComplaintOwnership(complaint_id=cid, new_owner=desk.colleague),
        desk.manager,
        reason="owner on sick leave",
    )
    assert desk.state(cid).owner == desk.colleague


def test_a_complaint_goes_only_to_someone_of_the_branch_who_handles_complaints(
    desk: Desk,
) -> None:
    cid = desk.receive()
    for stranger in (desk.d.staff("trader"), desk.d.staff("customer_service", branch="BJ02")):
        error = refused(
            desk,
            k.TransferComplaintOwnership(complaint_id=cid, new_owner=stranger),
            desk.service,
            reason="x",
        )
        assert error.field == "newOwner"


# -- the handling form -----------------------------------------------------------------------


def test_taking_into_handling_starts_marketings_seven_days(desk: Desk) -> None:
    cid = desk.receive()
    desk.d.later(days=2)
    desk.d.run(k.TakeComplaintIntoHandling(complaint_id=cid), desk.service)
    assert desk.state(cid).status == "in_handling"
    assert desk.state(cid).stage_due_on == date(2026, 12, 2)


def test_only_marketing_assigns_unless_the_policy_designates_another_role(desk: Desk) -> None:
    cid = desk.receive()
    desk.d.run(k.TakeComplaintIntoHandling(complaint_id=cid), desk.service)
    assign = k.AssignComplaint(
        complaint_id=cid,
        cause=k.ComplaintCause.STAFF_ERROR,
        department=k.ResponsibleDepartment.TRADING,
    )
    with pytest.raises(NotAllowed):
        desk.d.run(assign, desk.service)
    head_office = desk.d.staff("head_office", branch="HQ")
    desk.d.run(
        k.SetComplaintDeadlines(analyst_role=Role.CUSTOMER_SERVICE),
        head_office,
        reason="the branch has no marketing staff",
    )
    desk.d.run(assign, desk.service)
    assert desk.state(cid).department == "trading"


def test_assignment_attributes_to_a_person_and_starts_the_departments_two_days(
    desk: Desk,
) -> None:
    cid = desk.receive()
    desk.d.run(k.TakeComplaintIntoHandling(complaint_id=cid), desk.service)
    desk.d.run(
        k.AssignComplaint(
            complaint_id=cid,
            cause=k.ComplaintCause.STAFF_ATTITUDE,
            department=k.ResponsibleDepartment.FRONT_OFFICE,
            attributed_to=desk.colleague,
        ),
        desk.marketing,
    )
    event = desk.d.last(cid)
    assert isinstance(event, Complaint.Assigned)
    assert (event.attributed_to, event.stage_due_on) == (desk.colleague, date(2026, 11, 25))


def test_a_complaint_is_not_assigned_before_it_is_taken_into_handling(desk: Desk) -> None:
    cid = desk.receive()
    error = refused(
        desk,
        k.AssignComplaint(
            complaint_id=cid,
            cause=k.ComplaintCause.OTHER,
            department=k.ResponsibleDepartment.OPERATIONS,
        ),
        desk.marketing,
    )
    assert error.reason is Code.INVALID_STATE


def test_investigation_notes_are_recorded_in_the_handling_form(desk: Desk) -> None:
    cid = desk.handled()
    desk.d.run(k.AddInvestigationNote(complaint_id=cid, note="通话录音已调取"), desk.colleague)
    event = desk.d.last(cid)
    assert isinstance(event, Complaint.NoteAdded) and event.note == "通话录音已调取"


def test_the_proposer_cannot_approve(desk: Desk) -> None:
    cid = desk.handled()
    desk.d.run(k.ProposeResolution(complaint_id=cid, resolution="退款。"), desk.manager)
    error = refused(desk, k.ApproveResolution(complaint_id=cid), desk.manager)
    assert error.reason is Code.SAME_PERSON
    desk.d.run(k.ApproveResolution(complaint_id=cid), desk.deputy)
    assert desk.state(cid).approved_resolution == "退款。"


def test_customer_service_cannot_approve(desk: Desk) -> None:
    cid = desk.handled()
    desk.d.run(k.ProposeResolution(complaint_id=cid, resolution="退款。"), desk.service)
    with pytest.raises(NotAllowed):
        desk.d.run(k.ApproveResolution(complaint_id=cid), desk.colleague)


def test_a_returned_resolution_goes_back_to_the_department_with_a_reason(desk: Desk) -> None:
    cid = desk.handled()
    desk.d.run(k.ProposeResolution(complaint_id=cid, resolution="道歉。"), desk.service)
    desk.d.later(days=1)
    returning = k.ReturnResolution(complaint_id=cid)
    assert refused(desk, returning, desk.manager).reason is Code.REASON_REQUIRED
    desk.d.run(returning, desk.manager, reason="也要退还多收的费用")
    c = desk.state(cid)
    assert (c.status, c.stage_due_on, c.proposal) == ("assigned", date(2026, 11, 26), None)


# -- the reply -------------------------------------------------------------------------------


def test_a_reply_that_departs_from_the_approved_resolution_is_refused(desk: Desk) -> None:
    cid = desk.approved("退还多收的佣金 120 元。")
    error = refused(
        desk,
        k.ReplyToComplaint(
            complaint_id=cid,
            channel=k.ComplaintChannel.PHONE,
            content="退还多收的佣金 120 元，并赠送一个月免佣。",
        ),
        desk.service,
    )
    assert (error.field, error.reason) == ("content", Code.RULE)
    assert desk.state(cid).status == "approved"


def test_a_reply_may_differ_from_the_approved_text_in_white_space_only(desk: Desk) -> None:
    cid = desk.approved("退还多收的佣金 120 元。")
    desk.d.run(
        k.ReplyToComplaint(
            complaint_id=cid, channel=k.ComplaintChannel.LETTER, content="退还多收的佣金\n120 元。"
        ),
        desk.service,
    )
    assert desk.state(cid).status == "replied"


def test_a_reply_without_content_sends_the_approved_resolution(desk: Desk) -> None:
    cid = desk.replied(resolution="恢复账户的网上交易权限。")
    event = desk.d.last(cid)
    assert isinstance(event, Complaint.Replied)
    assert event.content == "恢复账户的网上交易权限。"


def test_no_reply_before_approval(desk: Desk) -> None:
    cid = desk.handled()
    desk.d.run(k.ProposeResolution(complaint_id=cid, resolution="退款。"), desk.service)
    error = refused(
        desk,
        k.ReplyToComplaint(complaint_id=cid, channel=k.ComplaintChannel.PHONE, content="退款。"),
        desk.service,
    )
    assert error.reason is Code.INVALID_STATE


@pytest.mark.parametrize(("days", "on_time"), [(15, True), (16, False)])
def test_a_reply_on_the_due_date_is_on_time_and_the_day_after_is_late(
    desk: Desk, days: int, on_time: bool
) -> None:
    cid = desk.approved()
    desk.d.later(days=days)
    desk.d.run(k.ReplyToComplaint(complaint_id=cid, channel=k.ComplaintChannel.EMAIL), desk.service)
    event = desk.d.last(cid)
    assert isinstance(event, Complaint.Replied)
    assert (event.replied_on, event.within_deadline) == (
        date(2026, 11, 23) + timedelta(days=days),
        on_time,
    )


def test_resolving_at_once_is_recorded_as_such_and_counts_as_the_reply(desk: Desk) -> None:
    cid = desk.receive()
    desk.d.run(
        k.ResolveComplaintAtOnce(
            complaint_id=cid, resolution="当场解释了收费标准。", cause=k.ComplaintCause.UNFOUNDED
        ),
        desk.service,
    )
    event = desk.d.last(cid)
    assert isinstance(event, Complaint.ResolvedAtOnce) and event.within_deadline
    assert desk.state(cid).status == "replied"


def test_a_complaint_in_the_handling_form_is_not_resolved_at_once(desk: Desk) -> None:
    cid = desk.handled()
    error = refused(
        desk,
        k.ResolveComplaintAtOnce(
            complaint_id=cid, resolution="x", cause=k.ComplaintCause.UNFOUNDED
        ),
        desk.service,
    )
    assert error.reason is Code.INVALID_STATE


# -- feedback, closing, reopening ------------------------------------------------------------


def test_a_satisfied_complainant_lets_the_complaint_close(desk: Desk) -> None:
    cid = desk.replied()
    desk.d.run(k.RecordComplaintFeedback(complaint_id=cid, satisfied=True), desk.service)
    desk.d.run(k.CloseComplaint(complaint_id=cid), desk.service)
    assert desk.state(cid).status == "closed"


def test_closing_without_satisfaction_needs_a_reason(desk: Desk) -> None:
    cid = desk.replied()
    error = refused(desk, k.CloseComplaint(complaint_id=cid), desk.service)
    assert (error.field, error.reason) == ("reason", Code.REASON_REQUIRED)
    desk.d.run(k.CloseComplaint(complaint_id=cid), desk.service, reason="三次回访未接通")
    assert desk.state(cid).status == "closed"


def test_an_unsatisfied_complainant_reopens_it_with_a_new_reply_deadline(desk: Desk) -> None:
    cid = desk.replied()
    desk.d.run(k.RecordComplaintFeedback(complaint_id=cid, satisfied=False), desk.service)
    desk.d.later(days=3)
    desk.d.run(k.ReopenComplaint(complaint_id=cid), desk.service, reason="客户不接受退款金额")
    c = desk.state(cid)
    assert (c.status, c.reply_due_on, c.stage_due_on) == (
        "in_handling",
        date(2026, 12, 11),
        date(2026, 12, 3),
    )
    assert c.approved_resolution is None


def test_a_satisfied_complaint_is_not_reopened(desk: Desk) -> None:
    cid = desk.replied()
    desk.d.run(k.RecordComplaintFeedback(complaint_id=cid, satisfied=True), desk.service)
    desk.d.run(k.CloseComplaint(complaint_id=cid), desk.service)
    error = refused(desk, k.ReopenComplaint(complaint_id=cid), desk.service, reason="x")
    assert error.reason is Code.INVALID_STATE


# -- lateness --------------------------------------------------------------------------------


def test_a_stage_is_late_the_day_after_its_due_date_and_the_reply_likewise() -> None:
    due = date(2026, 11, 28)
    assert k.late_stages("received", due, date(2026, 12, 8), due) == []
    assert k.late_stages("received", due, date(2026, 12, 8), due + timedelta(days=1)) == [
        (k.ComplaintStage.BRANCH, due)
    ]
    assert k.late_stages("approved", None, date(2026, 12, 8), date(2026, 12, 9)) == [
        (k.ComplaintStage.REPLY, date(2026, 12, 8))
    ]
    assert k.late_stages("replied", None, date(2026, 12, 8), date(2027, 1, 1)) == []


def test_chasing_records_each_late_stage_and_is_refused_when_nothing_is_late(
    desk: Desk,
) -> None:
    cid = desk.receive()
    error = refused(desk, k.ChaseComplaint(complaint_id=cid), desk.manager)
    assert error.reason is Code.INVALID_STATE
    desk.d.later(days=16)
    desk.d.run(k.ChaseComplaint(complaint_id=cid, note="请今天回复"), desk.manager)
    chased = [e for e in desk.d.events(cid) if isinstance(e, Complaint.Chased)]
    assert [(e.stage, e.due_on) for e in chased] == [
        ("branch", date(2026, 11, 28)),
        ("reply", date(2026, 12, 8)),
    ]


# -- the queue row ---------------------------------------------------------------------------


def test_the_queue_row_follows_the_events_and_keeps_the_first_reply(desk: Desk) -> None:
    cid = desk.replied()
    desk.d.run(k.RecordComplaintFeedback(complaint_id=cid, satisfied=False), desk.service)
    desk.d.later(days=1)
    desk.d.run(k.ReopenComplaint(complaint_id=cid), desk.service, reason="仍不满意")
    row = None
    for position, event in enumerate(desk.d.events(cid), start=1):
        row = evolve(row, event, position)
    assert row is not None
    assert (row.status, row.stage, row.reopened, row.version) == ("in_handling", "marketing", 1, 8)
    assert (row.first_replied_on, row.replied_within_deadline) == (date(2026, 11, 23), True)
    assert (row.stage_due_on, row.reply_due_on) == (date(2026, 12, 1), date(2026, 12, 9))
    assert row.next_due_on == date(2026, 12, 1)
    assert row.approved_resolution is None and row.first_responder == desk.service


# -- numbers under a race --------------------------------------------------------------------


def test_a_receipt_that_loses_the_race_for_a_number_is_decided_again_and_takes_the_next(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, rival = desk.d.app, uuid.uuid4()
    save = app.save
    raced: list[bool] = []

    def racing_save(*aggregates: Any, **kwargs: Any) -> Any:
        if not raced:  # a colleague's receipt is saved between our decision and our save
            raced.append(True)
            desk.d.run(receipt(complaint_id=rival), desk.colleague)
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(app, "save", racing_save)
    mine = desk.receive()
    assert (desk.state(rival).number, desk.state(mine).number) == (
        "CP-202611-0001",
        "CP-202611-0002",
    )
    counter = desk.d.events(k.numbering_id("SH01", "202611"))
    assert [e.originator_version for e in counter] == [1, 2, 3]
