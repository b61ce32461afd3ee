"""Complaints through GraphQL alone, against real PostgreSQL with projections running, on an
injected clock (days are Shanghai's calendar days)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.runtime import Runtime
from tests.conftest import add_staff, onboard
from tests.e2e.api import RESULT, Api


@dataclass
class Clock:
    """The runtime's clock, moved by the test."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def shanghai(self, text: str) -> None:
        """Set the clock to a Shanghai wall-clock time, e.g. 2026-12-31T23:59:00."""
        self.now = datetime.fromisoformat(text + "+08:00").astimezone(UTC)


def call(api: Api, text: str, **variables: tuple[str, Any]) -> dict[str, Any]:
    """Run the mutation ``text`` with typed variables (name=(type, value)); its result."""
    decl = ", ".join(f"${name}: {kind}" for name, (kind, _) in variables.items())
    header = f"mutation({decl})" if decl else "mutation"
    values = {name: value for name, (_, value) in variables.items()}
    result: dict[str, Any] = api.data(f"{header} {{ {text} {{ {RESULT} }} }}", **values)[
        text.split("(", 1)[0]
    ]
    return result


ID = "UUID!"
FIELDS = """id number status stage owner firstResponder replyDueOn stageDueOn daysLeft overdue
            lateStages cause department approvedResolution replyContent satisfied reopened
            complainantContact version timeline { eventType actorRole reason }"""


@dataclass
class Desk:
    """SH01's complaint desk on the API: customer service, a colleague, marketing, two branch
    managers, a trader, and an auditor at head office."""

    clock: Clock
    service: Api
    colleague: Api
    marketing: Api
    manager: Api
    deputy: Api
    trader: Api
    auditor: Api
    position: int = 0

    def ok(self, result: dict[str, Any]) -> dict[str, Any]:
        """A successful command's result (remembering its position to read it back)."""
        assert result["__typename"] == "CommandSuccess", result
        self.position = max(self.position, result["position"] or 0)
        return result

    def receive(self, api: Api | None = None, **fields: Any) -> str:
        """A complaint received now from an outside complainant; its id."""
        given = {
            "channel": "PHONE",
            "category": "FEES",
            "content": "佣金比约定的高。",
            "complainantName": "王五",
            "complainantContact": "13900001111",
            **fields,
        }
        done = self.ok(
            call(
                api or self.service,
                "receiveComplaint(input: $input)",
                input=("ReceiveComplaintInput!", given),
            )
        )
        return str(done["id"])

    def handle(self, cid: str) -> None:
        """Take into handling; marketing assigns it to operations."""
        self.ok(call(self.service, "takeComplaintIntoHandling(complaintId: $id)", id=(ID, cid)))
        assignment = {"complaintId": cid, "cause": "PROCESS_GAP", "department": "OPERATIONS"}
        self.ok(
            call(
                self.marketing,
                "assignComplaint(input: $a)",
                a=("AssignComplaintInput!", assignment),
            )
        )

    def approve(self, cid: str, resolution: str = "退还多收的佣金 120 元。") -> None:
        """Customer service proposes, the manager approves."""
        self.ok(
            call(
                self.service,
                "proposeResolution(complaintId: $id, resolution: $r)",
                id=(ID, cid),
                r=("String!", resolution),
            )
        )
        self.ok(call(self.manager, "approveResolution(complaintId: $id)", id=(ID, cid)))

    def reply(self, cid: str, api: Api | None = None) -> dict[str, Any]:
        """Reply by phone with the approved text."""
        return call(
            api or self.service,
            "replyToComplaint(complaintId: $id, channel: PHONE)",
            id=(ID, cid),
        )

    def get(self, cid: str, api: Api | None = None) -> dict[str, Any]:
        """The complaint as ``api`` (default: customer service) reads it, after the writes."""
        found: dict[str, Any] = (api or self.service).data(
            f"query($id: UUID, $p: Int) {{ complaint(id: $id, minPosition: $p) {{ {FIELDS} }} }}",
            id=cid,
            p=self.position,
        )["complaint"]
        return found

    def read(self, query: str, api: Api | None = None, **variables: Any) -> dict[str, Any]:
        """A query after the writes so far (``$p``, when declared, is the position to wait
        for)."""
        reader = api or self.manager
        # Top-level fields resolve concurrently: wait for the writes in a request of its own.
        reader.data(
            "query($p: Int) { complaints(first: 1, minPosition: $p) { nodes { id } } }",
            p=self.position,
        )
        if "$p" in query:
            variables["p"] = self.position
        return reader.data(query, **variables)


@pytest.fixture
def desk(runtime: Runtime) -> Iterator[Desk]:
    clock = Clock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    runtime.clock = clock

    def api(client: TestClient, name: str, roles: list[str], branch: str = "SH01") -> Api:
        principal, token = add_staff(runtime, name, branch, roles)
        return Api(client, token, principal.staff_id)

    with TestClient(create_app(runtime)) as client:
        yield Desk(
            clock,
            api(client, "刘洋", ["customer_service"]),
            api(client, "黄蕾", ["customer_service"]),
            api(client, "赵敏", ["marketing"]),
            api(client, "王建国", ["branch_manager"]),
            api(client, "周强", ["branch_manager"]),
            api(client, "张伟", ["trader"]),
            api(client, "郑华", ["auditor"], "HQ"),
        )


# -- the whole life ------------------------------------------------------------------------


def test_a_complaint_goes_from_receipt_to_closure_through_graphql(desk: Desk) -> None:
    cid = desk.receive()
    desk.handle(cid)
    desk.ok(
        call(
            desk.colleague,
            "addInvestigationNote(complaintId: $id, note: $n)",
            id=(ID, cid),
            n=("String!", "已调取通话录音"),
        )
    )
    desk.approve(cid)
    desk.clock.now += timedelta(days=3)
    desk.ok(desk.reply(cid))
    desk.ok(
        call(
            desk.service, "recordComplaintFeedback(complaintId: $id, satisfied: true)", id=(ID, cid)
        )
    )
    desk.ok(call(desk.service, "closeComplaint(complaintId: $id)", id=(ID, cid)))
    c = desk.get(cid)
    assert (c["number"], c["status"], c["stage"], c["satisfied"]) == (
        "CP-202611-0001",
        "CLOSED",
        "DONE",
        True,
    )
    assert c["replyContent"] == c["approvedResolution"] == "退还多收的佣金 120 元。"
    assert (c["cause"], c["department"], c["daysLeft"], c["overdue"]) == (
        "PROCESS_GAP",
        "OPERATIONS",
        None,
        False,
    )
    assert [s["eventType"] for s in c["timeline"]] == [
        "Received",
        "TakenIntoHandling",
        "Assigned",
        "NoteAdded",
        "ResolutionProposed",
        "ResolutionApproved",
        "Replied",
        "FeedbackRecorded",
        "Closed",
    ]


def test_an_unsatisfied_complainant_reopens_the_complaint_through_graphql(desk: Desk) -> None:
    cid = desk.receive()
    desk.handle(cid)
    desk.approve(cid)
    desk.ok(desk.reply(cid))
    desk.ok(
        call(
            desk.service,
            "recordComplaintFeedback(complaintId: $id, satisfied: false)",
            id=(ID, cid),
        )
    )
    desk.clock.now += timedelta(days=2)
    desk.ok(
        call(
            desk.service,
            "reopenComplaint(complaintId: $id, reason: $why)",
            id=(ID, cid),
            why=("String!", "客户不接受退款金额"),
        )
    )
    c = desk.get(cid)
    assert (c["status"], c["reopened"], c["replyDueOn"], c["daysLeft"]) == (
        "IN_HANDLING",
        1,
        "2026-12-10",
        15,
    )
    assert c["timeline"][-1] == {
        "eventType": "Reopened",
        "actorRole": "customer_service",
        "reason": "客户不接受退款金额",
    }


def test_a_number_finds_the_complaint_in_your_branch(desk: Desk) -> None:
    cid = desk.receive()
    found = desk.read(
        'query($p: Int) { complaint(number: "CP-202611-0001", minPosition: $p) { id } }'
    )
    assert found["complaint"] == {"id": cid}


def test_a_transfer_changes_the_owner_and_keeps_the_first_responder(desk: Desk) -> None:
    cid = desk.receive()
    desk.ok(
        call(
            desk.service,
            "transferComplaintOwnership(complaintId: $id, newOwner: $to, reason: $why)",
            id=(ID, cid),
            to=(ID, str(desk.colleague.id)),
            why=("String!", "下周休假"),
        )
    )
    c = desk.get(cid)
    assert (c["owner"], c["firstResponder"]) == (str(desk.colleague.id), str(desk.service.id))


# -- refusals --------------------------------------------------------------------------------


def test_the_proposer_cannot_approve_through_graphql(desk: Desk) -> None:
    cid = desk.receive()
    desk.handle(cid)
    desk.ok(
        call(
            desk.manager,
            "proposeResolution(complaintId: $id, resolution: $r)",
            id=(ID, cid),
            r=("String!", "退款。"),
        )
    )
    refused = call(desk.manager, "approveResolution(complaintId: $id)", id=(ID, cid))
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "SAME_PERSON")
    desk.ok(call(desk.deputy, "approveResolution(complaintId: $id)", id=(ID, cid)))


def test_a_reply_that_departs_from_the_approved_resolution_is_refused_through_graphql(
    desk: Desk,
) -> None:
    cid = desk.receive()
    desk.handle(cid)
    desk.approve(cid, "退还多收的佣金 120 元。")
    refused = call(
        desk.service,
        "replyToComplaint(complaintId: $id, channel: LETTER, content: $c)",
        id=(ID, cid),
        c=("String", "退还多收的佣金 120 元，另赠送一个月免佣。"),
    )
    assert (refused["__typename"], refused["field"], refused["code"]) == (
        "ValidationError",
        "content",
        "RULE",
    )
    assert desk.get(cid)["status"] == "APPROVED"


def test_a_trader_may_not_receive_a_complaint(desk: Desk) -> None:
    refused = call(
        desk.trader,
        "receiveComplaint(input: $input)",
        input=(
            "ReceiveComplaintInput!",
            {"channel": "PHONE", "category": "FEES", "content": "x", "complainantContact": "1"},
        ),
    )
    assert refused["__typename"] == "NotAllowed"


def test_customer_service_sees_the_last_four_of_a_contact_and_the_manager_all(
    desk: Desk,
) -> None:
    cid = desk.receive()
    assert desk.get(cid)["complainantContact"] == "*******1111"
    assert desk.get(cid, desk.manager)["complainantContact"] == "13900001111"


def test_the_client_profile_lists_the_clients_complaints(desk: Desk, runtime: Runtime) -> None:
    manager = add_staff(runtime, "李娜", "SH01", ["account_manager"])[0]
    client = onboard(runtime, manager.staff_id)
    cid = desk.receive(clientId=str(client), complainantName=None, complainantContact=None)
    found = desk.read(
        "query($id: UUID!, $p: Int) { client(id: $id, minPosition: $p) {"
        " complaints { id number category } } }",
        id=str(client),
    )
    assert found["client"]["complaints"] == [
        {"id": cid, "number": "CP-202611-0001", "category": "FEES"}
    ]


def test_an_auditor_at_head_office_reads_every_branchs_queue(desk: Desk) -> None:
    cid = desk.receive()
    other = desk.receive()
    found = desk.read(
        'query($p: Int) { complaints(filter: {branch: "SH01"}, first: 1, minPosition: $p) {'
        " nodes { id } totalCount pageInfo { hasNextPage } } }",
        desk.auditor,
    )
    page = found["complaints"]
    assert [n["id"] for n in page["nodes"]] in ([cid], [other])  # received at the same moment
    assert (page["totalCount"], page["pageInfo"]) == (2, {"hasNextPage": True})
    refused = call(desk.auditor, "closeComplaint(complaintId: $id)", id=(ID, cid))
    assert refused["__typename"] == "NotAllowed"


# -- deadlines on both sides, across month and year ends (Asia/Shanghai) ----------------------

OVERDUE = (
    "query($p: Int) { overdueComplaints(minPosition: $p) { number lateStage dueOn daysOverdue } }"
)


def test_a_complaint_received_before_midnight_on_the_last_of_the_month_keeps_that_month(
    desk: Desk,
) -> None:
    desk.clock.shanghai("2026-11-30T23:59:00")
    before = desk.receive()
    desk.clock.shanghai("2026-12-01T00:00:30")
    after = desk.receive()
    assert [desk.get(c)["number"] for c in (before, after)] == ["CP-202611-0001", "CP-202612-0001"]
    assert [desk.get(c)["replyDueOn"] for c in (before, after)] == ["2026-12-15", "2026-12-16"]


def test_the_branch_stage_is_late_from_the_first_minute_of_the_day_after_in_shanghai(
    desk: Desk,
) -> None:
    desk.clock.shanghai("2026-12-17T10:00:00")
    cid = desk.receive()
    desk.clock.shanghai("2026-12-22T23:59:00")
    assert desk.read(OVERDUE)["overdueComplaints"] == []
    assert (desk.get(cid)["overdue"], desk.get(cid)["daysLeft"]) == (False, 10)
    desk.clock.shanghai("2026-12-23T00:00:30")  # still the 22nd in UTC
    assert desk.read(OVERDUE)["overdueComplaints"] == [
        {"number": "CP-202612-0001", "lateStage": "BRANCH", "dueOn": "2026-12-22", "daysOverdue": 1}
    ]
    assert desk.get(cid)["lateStages"] == ["BRANCH"]


def test_the_reply_is_overdue_from_the_day_after_its_due_date_across_the_year_end(
    desk: Desk,
) -> None:
    desk.clock.shanghai("2026-12-17T10:00:00")
    cid = desk.receive()
    desk.handle(cid)
    desk.approve(cid)
    desk.clock.shanghai("2027-01-01T23:59:00")
    c = desk.get(cid)
    assert (c["replyDueOn"], c["daysLeft"], c["overdue"]) == ("2027-01-01", 0, False)
    desk.clock.shanghai("2027-01-02T00:00:30")  # still 1 January in UTC
    assert desk.read(OVERDUE)["overdueComplaints"] == [
        {"number": "CP-202612-0001", "lateStage": "REPLY", "dueOn": "2027-01-01", "daysOverdue": 1}
    ]
    assert desk.read(
        "query($p: Int) { complaints(filter: {overdue: true}, minPosition: $p) { nodes { id } } }"
    )["complaints"]["nodes"] == [{"id": cid}]


def test_a_complaint_from_abroad_has_three_more_days_across_the_month_end(desk: Desk) -> None:
    desk.clock.shanghai("2026-11-20T09:00:00")
    home, abroad = desk.receive(), desk.receive(abroad=True)
    desk.clock.shanghai("2026-12-06T09:00:00")
    late = desk.read(OVERDUE)["overdueComplaints"]
    assert {(o["number"], o["lateStage"]) for o in late} == {
        ("CP-202611-0001", "BRANCH"),
        ("CP-202611-0001", "REPLY"),
        ("CP-202611-0002", "BRANCH"),
    }
    assert (desk.get(home)["replyDueOn"], desk.get(abroad)["replyDueOn"]) == (
        "2026-12-05",
        "2026-12-08",
    )


def test_reply_timeliness_counts_the_due_date_as_on_time_and_the_day_after_as_late(
    desk: Desk,
) -> None:
    desk.clock.shanghai("2026-12-17T10:00:00")
    on_time, late = desk.receive(), desk.receive()
    for cid in (on_time, late):
        desk.handle(cid)
        desk.approve(cid)
    desk.clock.shanghai("2027-01-01T23:59:00")
    desk.ok(desk.reply(on_time))
    desk.clock.shanghai("2027-01-02T00:00:30")
    desk.ok(desk.reply(late))
    found = desk.read(
        "query($p: Int) {"
        ' jan: branchPerformance(branch: "SH01", period: "2027-01") { complaintReplyTimeliness }'
        ' dec: branchPerformance(branch: "SH01", period: "2026-12") { complaintReplyTimeliness }'
        ' a: complaintAnalysis(period: "2027-01", branch: "SH01") {'
        "   replyTimeliness totals { received replied }"
        "   timelinessByOwner { owner month replied withinDeadline rate } }"
        ' w: complaintAnalysis(period: "2026-W53") { totals { replied } }'
        " complaints(minPosition: $p) { nodes { number } } }"
    )
    assert found["jan"]["complaintReplyTimeliness"] == "0.5000"
    assert found["dec"]["complaintReplyTimeliness"] is None
    assert found["a"]["replyTimeliness"] == "0.5000"
    assert found["a"]["totals"] == {"received": 0, "replied": 2}
    assert found["a"]["timelinessByOwner"] == [
        {
            "owner": str(desk.service.id),
            "month": "2027-01",
            "replied": 2,
            "withinDeadline": 1,
            "rate": "0.5000",
        }
    ]
    assert found["w"]["totals"] == {"replied": 2}


def test_the_analysis_counts_by_category_cause_department_and_person_for_a_half_year(
    desk: Desk,
) -> None:
    desk.clock.shanghai("2026-11-02T10:00:00")
    fees, service = desk.receive(), desk.receive(category="SERVICE")
    desk.handle(fees)
    desk.clock.shanghai("2026-11-20T10:00:00")
    desk.ok(
        call(
            desk.manager, "chaseComplaint(complaintId: $id, note: $n)", id=(ID, service),
            n=("String", "请尽快处理"),
        )
    )  # fmt: skip
    found = desk.read(
        "query($p: Int) { complaints(minPosition: $p) { nodes { id } }"
        ' complaintAnalysis(period: "2026-H2") {'
        " totals { received chased replied calledBack }"
        " byCategory { key received chased } byCause { key received }"
        " byDepartment { key received } byAttributedPerson { key received } } }"
    )["complaintAnalysis"]
    assert found["totals"] == {"received": 2, "chased": 1, "replied": 0, "calledBack": 0}
    assert sorted(map(tuple, (c.values() for c in found["byCategory"]))) == [
        ("fees", 1, 0),
        ("service", 1, 1),
    ]
    assert {c["key"]: c["received"] for c in found["byCause"]} == {"process_gap": 1, None: 1}
    assert {c["key"]: c["received"] for c in found["byAttributedPerson"]} == {
        "unit:operations": 1,
        None: 1,
    }


def test_chasing_needs_something_late(desk: Desk) -> None:
    cid = desk.receive()
    refused = call(desk.manager, "chaseComplaint(complaintId: $id)", id=(ID, cid))
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "INVALID_STATE")


def test_head_office_changes_the_deadlines_for_complaints_received_afterwards(
    desk: Desk, runtime: Runtime
) -> None:
    before = desk.receive()
    _, token = add_staff(runtime, "孙丽", "HQ", ["head_office"])
    head_office = Api(desk.service.client, token)
    desk.ok(
        call(
            head_office,
            "setComplaintDeadlines(replyDays: 14, reason: $why)",
            why=("String!", "新规"),
        )
    )
    after = desk.receive()
    terms = desk.read("{ complaintDeadlines { replyDays version } }")
    assert terms["complaintDeadlines"] == {"replyDays": 14, "version": 1}
    assert (desk.get(before)["replyDueOn"], desk.get(after)["replyDueOn"]) == (
        "2026-12-08",
        "2026-12-07",
    )
