"""Demo complaints: a few dozen over four months in every state — resolved at once, in each
stage of the handling form, replied, satisfied or not, closed, reopened — some overdue and
chased, some from abroad, several received on the last and first days of months."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from api.demo import Seeder
from api.demo.clients import client_id
from api.demo.staff import staff_id
from domain import complaints as k
from domain.clients import Client
from domain.commands import Command

# The SH01 desk: customer service receives, marketing analyses, the manager approves.
SERVICE, MARKETING, MANAGER, HEAD_OFFICE = staff_id(3), staff_id(6), staff_id(0), staff_id(9)
# People a complaint may be attributed to: the account manager and the trader.
PEOPLE = [staff_id(1), staff_id(2)]
BEIJING_MANAGER = staff_id(7)
#: Where each story stops (a complaint's state today), in turn.
TARGETS = [
    "received",
    "in_handling",
    "assigned",
    "proposed",
    "approved",
    "replied",
    "satisfied",
    "dissatisfied",
    "closed",
    "closed_unreachable",
    "reopened",
    "at_once",
]
CONTENT = {
    k.ComplaintCategory.FEES: "账户佣金比开户时约定的万分之二点五高，要求解释并退还多收部分。",
    k.ComplaintCategory.SERVICE: "柜台排队一个多小时，工作人员态度冷淡。",
    k.ComplaintCategory.TRADING: "委托下单后系统显示已报，但没有成交回报，错过了卖出时机。",
    k.ComplaintCategory.PRODUCT: "购买的理财产品风险等级与宣传不符。",
    k.ComplaintCategory.INFORMATION_SECURITY: "接到自称营业部员工的推销电话，怀疑个人信息泄露。",
    k.ComplaintCategory.STAFF_CONDUCT: "客户经理承诺保本收益。",
    k.ComplaintCategory.OTHER: "营业部门口停车位不足。",
}
RESOLUTIONS = [
    "经核查，佣金设置有误，已按约定费率调整并退还多收佣金 86.40 元。",
    "已向您致歉，并对相关工作人员进行服务规范培训。",
    "经核查，系统在当日 10:32 出现行情延迟，已按规定补偿您的损失。",
    "已为您重新进行风险测评，并提供符合您风险等级的产品说明。",
]


def complaint_id(i: int) -> UUID:
    """The id of the demo complaint number ``i``."""
    return uuid5(NAMESPACE_URL, f"backoffice:demo:complaint:{i}")


def seed(s: Seeder, count: int = 48, client_count: int = 300, seed: int = 2028) -> None:
    """Seed ``count`` complaints in every state (deterministic), after the deadline terms."""
    rng = random.Random(seed)
    s.run(
        "complaint-deadlines",
        HEAD_OFFICE,
        s.now - timedelta(days=200),
        k.SetComplaintDeadlines(),
        "adopt the terms of the complaint handling rules",
    )
    clients = [
        found.id
        for found in (s.runtime.app.find(client_id(i)) for i in range(client_count))
        if isinstance(found, Client) and found.branch == "SH01" and found.status == "active"
    ]
    zone = ZoneInfo(s.runtime.settings.branch_timezone)
    stories = sorted(
        (_receipt_time(rng, i, s.now, zone), i) for i in range(count)
    )  # numbers follow receipt order
    for n, (at, i) in enumerate(stories):
        _receive(s, rng, i, at, clients)
        s.report("demo complaints", n + 1, 2 * count)
    for n, (at, i) in enumerate(stories):
        _story(s, rng, i, at, TARGETS[i % len(TARGETS)])
        s.report("demo complaints", count + n + 1, 2 * count)
    for i in range(2):
        _beijing(s, i)


def _receipt_time(rng: random.Random, i: int, now: datetime, zone: ZoneInfo) -> datetime:
    """Spread over 120 days; every fourth on the last evening or first night of a month."""
    local = (now - timedelta(days=rng.randint(0, 120))).astimezone(zone)
    if i % 4 == 0:
        first = local.replace(day=1, hour=0, minute=rng.randint(5, 50))
        local = first - timedelta(minutes=rng.randint(20, 90)) if i % 8 == 0 else first
    else:
        local = local.replace(hour=rng.randint(9, 16), minute=rng.randint(0, 59))
    return min(local, now - timedelta(hours=1))


def _receive(s: Seeder, rng: random.Random, i: int, at: datetime, clients: list[UUID]) -> None:
    category = rng.choice(list(k.ComplaintCategory))
    client = rng.choice(clients) if clients and i % 3 == 0 else None
    anonymous = client is None and i % 5 == 0
    s.run(
        f"cp{i}:receive",
        SERVICE,
        at,
        k.ReceiveComplaint(
            complaint_id=complaint_id(i),
            channel=rng.choice(list(k.ComplaintChannel)),
            category=category,
            content=CONTENT[category],
            quality=category in (k.ComplaintCategory.SERVICE, k.ComplaintCategory.PRODUCT),
            client_id=client,
            complainant_name=None if client or anonymous else rng.choice(["周先生", "吴女士"]),
            complainant_contact=None if client else f"139{rng.randint(10_000_000, 99_999_999)}",
            abroad=i % 7 == 3,
            received_at=at,
        ),
    )


def _story(s: Seeder, rng: random.Random, i: int, at: datetime, target: str) -> None:
    """Take complaint ``i`` from receipt to ``target``, each step a few days after the last
    (never after now: recent complaints move faster, old stuck ones are overdue)."""
    cid = complaint_id(i)
    when = [at]

    def step(name: str, actor: UUID, command: Command, reason: str | None = None) -> None:
        when[0] = min(when[0] + timedelta(days=rng.randint(0, 3), hours=rng.randint(1, 5)), s.now)
        s.run(f"cp{i}:{name}", actor, when[0], command, reason)

    if target == "at_once":
        step(
            "at-once",
            SERVICE,
            k.ResolveComplaintAtOnce(
                complaint_id=cid, resolution="当场解释了收费标准，客户表示理解。",
                cause=k.ComplaintCause.UNFOUNDED,
            ),
        )  # fmt: skip
        step("feedback", SERVICE, k.RecordComplaintFeedback(complaint_id=cid, satisfied=True))
        step("close", SERVICE, k.CloseComplaint(complaint_id=cid))
        return
    if i % 9 == 4:
        step(
            "transfer",
            SERVICE,
            k.TransferComplaintOwnership(complaint_id=cid, new_owner=MARKETING),
            "承办人休假，移交营销部跟进",
        )
    plan = _plan(rng, i, cid, target)
    names = [name for name, *_ in plan]
    last = _LAST_STEP.get(target)
    if last is None:
        stop = len(plan)
    else:
        stop = len(names) - names[::-1].index(last) if last else 0
    for name, actor, command, reason in plan[:stop]:
        step(name, actor, command, reason)
    if target == "reopened":
        step("reopen", SERVICE, k.ReopenComplaint(complaint_id=cid), "客户对退款金额仍不满意")
    _chase_if_late(s, i, cid)


Step = tuple[str, UUID, Command, str | None]


def _plan(rng: random.Random, i: int, cid: UUID, target: str) -> list[Step]:
    department = rng.choice(list(k.ResponsibleDepartment))
    person = rng.choice(PEOPLE) if i % 2 else None
    resolution = rng.choice(RESOLUTIONS)
    steps: list[Step] = [
        ("handling", SERVICE, k.TakeComplaintIntoHandling(complaint_id=cid), None),
        (
            "assign",
            MARKETING,
            k.AssignComplaint(
                complaint_id=cid,
                cause=rng.choice(list(k.ComplaintCause)),
                department=department,
                attributed_to=person,
            ),
            None,
        ),
        (
            "note",
            SERVICE,
            k.AddInvestigationNote(complaint_id=cid, note="已调取录音和委托记录"),
            None,
        ),
        ("propose", SERVICE, k.ProposeResolution(complaint_id=cid, resolution=resolution), None),
    ]
    if i % 6 == 1:
        steps += [
            ("return", MANAGER, k.ReturnResolution(complaint_id=cid), "请补充对客户损失的说明"),
            ("propose2", SERVICE, k.ProposeResolution(complaint_id=cid, resolution=resolution),
             None),
        ]  # fmt: skip
    channel = rng.choice([k.ComplaintChannel.PHONE, k.ComplaintChannel.LETTER])
    steps += [
        ("approve", MANAGER, k.ApproveResolution(complaint_id=cid), None),
        ("reply", SERVICE, k.ReplyToComplaint(complaint_id=cid, channel=channel), None),
    ]
    if target == "closed_unreachable":
        return [*steps, ("close", SERVICE, k.CloseComplaint(complaint_id=cid), "三次回访未接通")]
    satisfied = target not in ("dissatisfied", "reopened")
    feedback = k.RecordComplaintFeedback(complaint_id=cid, satisfied=satisfied)
    return [
        *steps,
        ("feedback", SERVICE, feedback, None),
        (
            "close",
            SERVICE,
            k.CloseComplaint(complaint_id=cid),
            None if satisfied else "客户坚持原诉求",
        ),
    ]


#: The last step of the plan a story takes, by target ("": none; absent: every step).
_LAST_STEP = {
    "received": "",
    "in_handling": "handling",
    "assigned": "note",
    "proposed": "propose",
    "approved": "approve",
    "replied": "reply",
    "satisfied": "feedback",
    "dissatisfied": "feedback",
    "reopened": "feedback",
}


def _chase_if_late(s: Seeder, i: int, cid: UUID) -> None:
    """The manager chases what is late (refused, and skipped, when nothing is)."""
    s.run(f"cp{i}:chase", MANAGER, s.now, k.ChaseComplaint(complaint_id=cid), may_fail=True)


def _beijing(s: Seeder, i: int) -> None:
    """Two complaints at the Beijing branch, resolved at once by its manager."""
    cid = uuid5(NAMESPACE_URL, f"backoffice:demo:complaint:bj:{i}")
    at = s.now - timedelta(days=10 + 20 * i)
    s.run(
        f"cpbj{i}:receive",
        BEIJING_MANAGER,
        at,
        k.ReceiveComplaint(
            complaint_id=cid,
            channel=k.ComplaintChannel.COUNTER,
            category=k.ComplaintCategory.SERVICE,
            content="开户资料要求重复提交。",
            complainant_name="郑先生",
            complainant_contact="010-62001234",
            received_at=at,
        ),
    )
    s.run(
        f"cpbj{i}:at-once",
        BEIJING_MANAGER,
        at + timedelta(minutes=30),
        k.ResolveComplaintAtOnce(
            complaint_id=cid,
            resolution="当场说明了资料要求，并为客户办理完毕。",
            cause=k.ComplaintCause.PROCESS_GAP,
            department=k.ResponsibleDepartment.FRONT_OFFICE,
        ),
    )
