"""Demo expenses and budgets: the authority matrix (two versions), budget lines of both
branches for this quarter and year, and expenses in every state — paid, approved, waiting at
each level, rejected, withdrawn, amended, one over budget, and one duplicate invoice refused."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from api.demo import Seeder
from api.demo.staff import staff_id
from domain import expenses as x
from domain.access import Role
from domain.envelope import SYSTEM_ACTOR
from domain.periods import period_bounds, quarter_of
from domain.staff import RegisterStaff

#: Expense people the base demo staff lacks: (key, name, branch, roles).
PEOPLE: list[tuple[str, str, str, list[Role]]] = [
    ("head-sh", "马丽", "SH01", [Role.DEPARTMENT_HEAD]),
    ("head-bj", "高峰", "BJ02", [Role.DEPARTMENT_HEAD]),
    ("finance-bj", "何静", "BJ02", [Role.FINANCE]),
    ("hof-1", "冯财", "HQ", [Role.HEAD_OFFICE, Role.FINANCE]),
    ("hof-2", "褚会", "HQ", [Role.HEAD_OFFICE, Role.FINANCE]),
]
MANAGER_SH, MANAGER_BJ, HEAD_OFFICE = staff_id(0), staff_id(7), staff_id(9)
CLERK, TRADER, MARKETING, FINANCE_SH = staff_id(3), staff_id(2), staff_id(6), staff_id(5)
TRADER_BJ = staff_id(8)


def person(key: str) -> UUID:
    """The id of one of PEOPLE."""
    return uuid5(NAMESPACE_URL, f"backoffice:demo:expenses:{key}")


def expense_id(n: int) -> UUID:
    """The id of demo expense ``n``."""
    return uuid5(NAMESPACE_URL, f"backoffice:demo:expense:{n}")


class Story:
    """Runs the demo's expense commands at times within this quarter, oldest first."""

    def __init__(self, s: Seeder) -> None:
        self.s = s
        today = s.runtime.business_date(s.now)
        self.quarter = quarter_of(today)
        self.year = str(today.year)
        start = period_bounds(self.quarter)[0]
        self.earliest = datetime.combine(start, time(2, 0), tzinfo=s.now.tzinfo)

    def at(self, days_ago: float) -> datetime:
        """``days_ago`` before now, but never before the quarter began."""
        return max(self.s.now - timedelta(days=days_ago), self.earliest)

    def line(self, branch: str, department: str, category: str, kind: str, period: str) -> UUID:
        """The id of a budget line."""
        return x.budget_id(branch, department, category, kind, period)

    def submit(
        self, n: int, who: UUID, days_ago: float, line: UUID, amount: str, **terms: str
    ) -> bool:
        """Demo expense ``n`` charged to ``line`` (its department and category)."""
        budget = self.s.runtime.app.get(x.Budget, line)
        when = self.at(days_ago)
        return self.s.run(
            f"expense:{n}",
            who,
            when,
            x.SubmitExpense(
                expense_id=expense_id(n),
                department=budget.department,
                category=budget.category,
                amount=Decimal(amount),
                vendor=terms.get("vendor", "上海锦江商旅有限公司"),
                invoice_number=terms.get("invoice", f"3100{n:08d}"),
                incurred_on=self.s.runtime.business_date(when),
                budget_id=line,
                description=terms.get("about", "差旅费"),
                attachments=[hashlib.sha256(f"demo attachment {n}".encode()).hexdigest()],
            ),
            may_fail="duplicate" in terms,
        )

    def approve(self, n: int, who: UUID, days_ago: float, over: bool = False) -> None:
        """One approval of demo expense ``n``."""
        command = x.ApproveExpense(expense_id=expense_id(n), acknowledge_over_budget=over)
        self.s.run(f"approve:{n}:{who}", who, self.at(days_ago), command)

    def pay(self, n: int, who: UUID, days_ago: float) -> None:
        """Finance pays demo expense ``n``."""
        command = x.PayExpense(expense_id=expense_id(n), payment_reference=f"ICBC-{n:06d}")
        self.s.run(f"pay:{n}", who, self.at(days_ago), command)


def seed(s: Seeder) -> None:
    """Seed the matrix, budget lines and expenses (deterministic; safe to run again)."""
    for key, name, branch, roles in PEOPLE:
        member = RegisterStaff(staff_id=person(key), name=name, branch=branch, roles=roles)
        s.run(f"staff:{key}", SYSTEM_ACTOR, s.now, member, "demo data")
    story = Story(s)
    q, y = story.quarter, story.year
    s.run(
        "matrix:1",
        HEAD_OFFICE,
        story.at(60),
        x.SetAuthorityMatrix(
            department_head_limit=Decimal(5000), branch_manager_limit=Decimal(50000)
        ),
        "authority matrix of the year",
    )
    budgets = [
        ("SH01", "Operations", "travel", "expense", q, "50000"),
        ("SH01", "Operations", "office", "expense", q, "20000"),
        ("SH01", "IT", "equipment", "expense", q, "150000"),
        ("SH01", "Marketing", "events", "expense", q, "4000"),
        ("SH01", "Brokerage", "commission income", "revenue", y, "12000000"),
        ("SH01", "Administration", "rent", "cost", y, "1800000"),
        ("BJ02", "Operations", "travel", "expense", q, "30000"),
        ("BJ02", "Marketing", "events", "expense", q, "10000"),
    ]
    for branch, department, category, kind, period, amount in budgets:
        who = FINANCE_SH if branch == "SH01" else person("finance-bj")
        command = x.SetBudget(
            department=department,
            category=category,
            kind=x.BudgetKind(kind),
            period=period,
            amount=Decimal(amount),
        )
        s.run(f"budget:{branch}:{department}:{category}:{period}", who, story.at(59), command)
    travel = story.line("SH01", "Operations", "travel", "expense", q)
    office = story.line("SH01", "Operations", "office", "expense", q)
    equipment = story.line("SH01", "IT", "equipment", "expense", q)
    events = story.line("SH01", "Marketing", "events", "expense", q)
    s.run(
        "budget:revise:office",
        FINANCE_SH,
        story.at(50),
        x.ReviseBudget(budget_id=office, amount=Decimal(25000)),
        "two new hires need desks",
    )
    _sh01(story, travel, office, equipment, events)
    _bj02(story, story.line("BJ02", "Operations", "travel", "expense", q))
    _later(story, travel, equipment)


def _sh01(story: Story, travel: UUID, office: UUID, equipment: UUID, events: UUID) -> None:
    s, head, hof1, hof2 = story.s, person("head-sh"), person("hof-1"), person("hof-2")
    # Paid: a department head's step, then finance.
    story.submit(1, CLERK, 40, travel, "1280.00", about="北京出差高铁票")
    story.approve(1, head, 39)
    story.pay(1, FINANCE_SH, 38)
    # Approved and committed, not yet paid.
    story.submit(2, CLERK, 30, office, "3600.00", vendor="得力办公用品", about="打印机硒鼓")
    story.approve(2, head, 29)
    # Large: the branch manager, then two of head-office finance; one has approved.
    story.submit(3, TRADER, 25, equipment, "68000.00", vendor="联想(上海)", about="交易终端")
    story.approve(3, MANAGER_SH, 24)
    story.approve(3, hof1, 23)
    # Rejected, and the same invoice submitted again (its claim was released).
    story.submit(4, CLERK, 20, travel, "2400.00", invoice="31009900001", about="周末旅游")
    s.run(
        "reject:4",
        head,
        story.at(19),
        x.RejectExpense(expense_id=expense_id(4)),
        "personal travel is not reimbursed",
    )
    story.submit(5, MARKETING, 18, travel, "2400.00", invoice="31009900001", about="客户拜访")
    # Withdrawn by its submitter.
    story.submit(6, CLERK, 17, office, "450.00", vendor="得力办公用品", about="文件夹")
    s.run("withdraw:6", CLERK, story.at(16), x.WithdrawExpense(expense_id=expense_id(6)))
    # A duplicate invoice (expense 1's): refused, nothing recorded.
    if story.submit(7, MARKETING, 15, travel, "1280.00", invoice="310000000001", duplicate="y"):
        raise RuntimeError("the demo's duplicate invoice was not refused")
    # Over budget: flagged at each level up to head-office finance, then approved.
    story.submit(8, MARKETING, 14, events, "4500.00", vendor="上海国际会议中心", about="客户沙龙")
    story.approve(8, head, 13, over=True)
    story.approve(8, MANAGER_SH, 12, over=True)
    story.approve(8, hof2, 11, over=True)
    # Waits for the department head.
    story.submit(9, CLERK, 10, travel, "860.00", about="市内交通")


def _bj02(story: Story, travel: UUID) -> None:
    head = person("head-bj")
    story.submit(20, TRADER_BJ, 21, travel, "2100.00", vendor="北京首旅", about="客户拜访")
    story.approve(20, head, 20)
    story.pay(20, person("finance-bj"), 19)
    story.submit(21, TRADER_BJ, 8, travel, "12800.00", vendor="北京首旅", about="团队培训")
    story.approve(21, MANAGER_BJ, 7)


def _later(story: Story, travel: UUID, equipment: UUID) -> None:
    s = story.s
    # Head office lowers the department head's limit: earlier expenses keep their chain.
    s.run(
        "matrix:2",
        HEAD_OFFICE,
        story.at(3),
        x.SetAuthorityMatrix(
            department_head_limit=Decimal(3000), branch_manager_limit=Decimal(50000)
        ),
        "tighter control of small expenses",
    )
    story.submit(10, CLERK, 2.5, travel, "4200.00", about="上海-深圳 机票")
    # Amended after an approval: the approval is void and the chain fixed again.
    story.submit(11, TRADER, 2, equipment, "56000.00", vendor="戴尔(中国)", about="服务器")
    story.approve(11, MANAGER_SH, 1.5)
    s.run(
        "amend:11",
        TRADER,
        story.at(1),
        x.AmendExpense(
            expense_id=expense_id(11),
            department="IT",
            category="equipment",
            amount=Decimal("52000.00"),
            vendor="戴尔(中国)",
            invoice_number=f"3100{11:08d}",
            incurred_on=s.runtime.business_date(story.at(2)),
            budget_id=equipment,
            description="服务器（报价更新）",
            attachments=[hashlib.sha256(b"demo attachment 11").hexdigest()],
        ),
    )
