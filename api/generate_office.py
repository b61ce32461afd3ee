"""The generator's back-office stories: complaints, yearly budget lines and expenses."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from api.generation import Actor, Branch, Plan, ident
from domain import complaints as k
from domain import expenses as x
from domain.commands import Command

# -- complaints -----------------------------------------------------------------------------

CONTENT = {
    k.ComplaintCategory.FEES: "账户佣金比开户时约定的高，要求解释并退还多收部分。",
    k.ComplaintCategory.SERVICE: "柜台排队一个多小时，工作人员态度冷淡。",
    k.ComplaintCategory.TRADING: "委托下单后没有成交回报，错过了卖出时机。",
    k.ComplaintCategory.PRODUCT: "购买的理财产品风险等级与宣传不符。",
    k.ComplaintCategory.INFORMATION_SECURITY: "接到推销电话，怀疑个人信息泄露。",
    k.ComplaintCategory.STAFF_CONDUCT: "客户经理承诺保本收益。",
    k.ComplaintCategory.OTHER: "营业部门口停车位不足。",
}


def complaint_task(
    g: Actor, plan: Plan, i: int, start: datetime, span: timedelta, branches: list[Branch]
) -> Callable[[], None]:
    def task() -> None:
        rng = random.Random(f"{plan.seed}:complaint:{i}")
        b = branches[rng.randrange(len(branches))]
        cid = ident(plan.seed, "complaint", i)
        at = start + timedelta(days=1) + (span - timedelta(days=2)) * rng.random()
        at = at.replace(hour=rng.randint(1, 8), minute=rng.randint(0, 59))
        category = rng.choice(list(k.ComplaintCategory))
        key = f"cp{i}"
        if not g.run(
            f"{key}:receive",
            b.service,
            at,
            k.ReceiveComplaint(
                complaint_id=cid,
                channel=rng.choice(list(k.ComplaintChannel)),
                category=category,
                content=CONTENT[category],
                complainant_name=rng.choice(["周先生", "吴女士", "郑先生"]),
                complainant_contact=f"139{rng.randint(10_000_000, 99_999_999)}",
                received_at=at,
            ),
        ):
            return

        def step(name: str, actor: UUID, command: Command, reason: str | None = None) -> bool:
            nonlocal at
            at += timedelta(days=rng.randint(0, 3), hours=rng.randint(1, 5))
            return g.run(f"{key}:{name}", actor, at, command, reason)

        if rng.random() < 0.4:
            step(
                "at-once",
                b.service,
                k.ResolveComplaintAtOnce(
                    complaint_id=cid,
                    resolution="当场解释了收费标准，客户表示理解。",
                    cause=k.ComplaintCause.UNFOUNDED,
                ),
            )
        else:
            steps: list[tuple[str, UUID, Command]] = [
                ("handling", b.service, k.TakeComplaintIntoHandling(complaint_id=cid)),
                (
                    "assign",
                    b.marketing,
                    k.AssignComplaint(
                        complaint_id=cid,
                        cause=rng.choice(list(k.ComplaintCause)),
                        department=rng.choice(list(k.ResponsibleDepartment)),
                    ),
                ),
                (
                    "propose",
                    b.service,
                    k.ProposeResolution(complaint_id=cid, resolution="已致歉并完成整改。"),
                ),
                ("approve", b.supervisor, k.ApproveResolution(complaint_id=cid)),
                (
                    "reply",
                    b.service,
                    k.ReplyToComplaint(complaint_id=cid, channel=k.ComplaintChannel.PHONE),
                ),
            ]
            for name, actor, command in steps:
                if not step(name, actor, command):
                    return
        satisfied = rng.random() < 0.85
        step(
            "feedback", b.service, k.RecordComplaintFeedback(complaint_id=cid, satisfied=satisfied)
        )
        step(
            "close",
            b.service,
            k.CloseComplaint(complaint_id=cid),
            None if satisfied else "客户坚持原诉求",
        )

    return task


# -- budgets and expenses -------------------------------------------------------------------

#: Expense lines of each branch, one per year: (department, category).
EXPENSE_LINES = [("Operations", "travel"), ("Operations", "office"), ("Marketing", "events")]


def years(start: datetime, now: datetime) -> Iterator[int]:
    yield from range(start.year, now.year + 1)


def budgets(g: Actor, plan: Plan, start: datetime, branches: list[Branch], hq: UUID) -> None:
    """The authority matrix once, then each branch's budget lines of every year."""
    assert plan.expenses is not None
    if not plan.expenses:
        return
    per_line = max(1, plan.expenses // max(1, plan.branches * plan.years * len(EXPENSE_LINES)))
    matrix = x.SetAuthorityMatrix(
        department_head_limit=Decimal(5000), branch_manager_limit=Decimal(50000)
    )
    g.run("matrix", hq, start, matrix, "authority matrix", may_fail=False)
    for year in years(start, g.now):
        opens = max(start, datetime(year, 1, 1, 2, tzinfo=UTC))
        for b in branches:
            for department, category in EXPENSE_LINES:
                command = x.SetBudget(
                    department=department,
                    category=category,
                    kind=x.BudgetKind.EXPENSE,
                    period=str(year),
                    amount=Decimal(per_line * 4000 + 10_000),
                )
                key = f"budget:{b.code}:{category}:{year}"
                g.run(key, b.finance, opens, command, may_fail=False)


def expense_task(
    g: Actor, plan: Plan, i: int, start: datetime, span: timedelta, branches: list[Branch]
) -> Callable[[], None]:
    def task() -> None:
        rng = random.Random(f"{plan.seed}:expense:{i}")
        b = branches[rng.randrange(len(branches))]
        eid = ident(plan.seed, "expense", i)
        at = start + timedelta(days=1) + (span - timedelta(days=3)) * rng.random()
        at = max(at, datetime(at.year, 1, 1, 3, tzinfo=UTC)).replace(hour=rng.randint(1, 8))
        department, category = rng.choice(EXPENSE_LINES)
        line = x.budget_id(b.code, department, category, "expense", str(at.year))
        key = f"e{i}"
        if not g.run(
            f"{key}:submit",
            b.service,
            at,
            x.SubmitExpense(
                expense_id=eid,
                department=department,
                category=category,
                amount=Decimal(rng.randint(5_000, 480_000)) / 100,
                vendor=rng.choice(["上海锦江商旅有限公司", "得力办公用品", "上海国际会议中心"]),
                invoice_number=f"{plan.seed % 1000:03d}{i:09d}",
                incurred_on=g.runtime.business_date(at),
                budget_id=line,
                description="差旅费" if category == "travel" else "办公及活动支出",
                attachments=[hashlib.sha256(f"{plan.seed}:attachment:{i}".encode()).hexdigest()],
            ),
        ):
            return
        at += timedelta(days=rng.randint(0, 3), hours=1)
        if rng.random() < 0.05:
            g.run(f"{key}:reject", b.head, at, x.RejectExpense(expense_id=eid), "not reimbursable")
            return
        if not g.run(f"{key}:approve", b.head, at, x.ApproveExpense(expense_id=eid)):
            return
        if rng.random() < 0.9:
            at += timedelta(days=rng.randint(0, 5), hours=1)
            pay = x.PayExpense(expense_id=eid, payment_reference=f"ICBC-{plan.seed}-{i:07d}")
            g.run(f"{key}:pay", b.finance, at, pay)

    return task
