"""Demo staff: a head office and two branches, and the demo admin's token."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from api.auth import new_token, token_hash
from api.demo import Seeder
from domain.access import Role
from domain.envelope import SYSTEM_ACTOR
from domain.staff import IssueToken, RegisterStaff

DEMO_ADMIN = uuid5(NAMESPACE_URL, "backoffice:demo:admin")

STAFF: list[tuple[str, str, list[str]]] = [
    ("王建国", "SH01", ["branch_manager"]),
    ("李娜", "SH01", ["account_manager"]),
    ("张伟", "SH01", ["trader"]),
    ("刘洋", "SH01", ["customer_service"]),
    ("陈静", "SH01", ["risk"]),
    ("杨帆", "SH01", ["finance"]),
    ("赵敏", "SH01", ["marketing"]),
    ("周强", "BJ02", ["branch_manager"]),
    ("吴磊", "BJ02", ["trader"]),
    ("孙丽", "HQ", ["head_office"]),
    ("郑华", "HQ", ["auditor"]),
    ("钱多多", "BJ02", ["account_manager"]),
    ("黄蕾", "SH01", ["account_manager"]),
    ("林峰", "BJ02", ["risk"]),
]


def staff_id(index: int) -> UUID:
    """The id of the demo staff member at ``index`` of STAFF."""
    return uuid5(NAMESPACE_URL, f"backoffice:demo:staff:{index}")


def seed(s: Seeder) -> str:
    """Register the demo staff and issue the demo admin's token; return the token."""
    s.run(
        "admin",
        SYSTEM_ACTOR,
        s.now,
        RegisterStaff(staff_id=DEMO_ADMIN, name="Demo Admin", branch="HQ", roles=[Role.ADMIN]),
        "demo data",
    )
    for i, (name, branch, roles) in enumerate(STAFF):
        s.run(
            f"staff:{i}",
            SYSTEM_ACTOR,
            s.now,
            RegisterStaff(
                staff_id=staff_id(i), name=name, branch=branch, roles=[Role(r) for r in roles]
            ),
            "demo data",
        )
    token = new_token()
    s.run(
        f"token:{token_hash(token)[:16]}",
        SYSTEM_ACTOR,
        s.now,
        IssueToken(staff_id=DEMO_ADMIN, token_hash=token_hash(token)),
        "demo admin token",
    )
    return token
