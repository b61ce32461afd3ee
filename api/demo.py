"""Demo data for a fresh store: a head office and two branches with their staff."""

from __future__ import annotations

from pathlib import Path
from uuid import NAMESPACE_URL, uuid4, uuid5

from api.auth import new_token, token_hash
from api.runtime import Runtime
from domain.envelope import SYSTEM_ACTOR, SYSTEM_ROLE, Command

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
]


def system_command(runtime: Runtime, reason: str, key: str | None = None) -> Command:
    """A command given by the operator on the command line (not by a staff member)."""
    # A keyed command keeps its correlation id across retries; others get a fresh one.
    correlation = uuid5(NAMESPACE_URL, f"backoffice:cli:{key}") if key else uuid4()
    now = runtime.clock()
    return Command(
        actor=SYSTEM_ACTOR,
        actor_roles=frozenset({SYSTEM_ROLE}),
        branch_id="HQ",
        occurred_at=now,
        business_date=runtime.business_date(now),
        correlation_id=correlation,
        causation_id=correlation,
        reason=reason,
        idempotency_key=key,
    )


def seed(runtime: Runtime, token_file: Path) -> str | None:
    """Seed the demo branch once; return the demo admin's token (kept in ``token_file``)."""
    app = runtime.app
    if token_file.exists() and app.recorder.select_events(DEMO_ADMIN, limit=1):
        return token_file.read_text().strip()
    position = 0
    result = app.register_staff(
        system_command(runtime, "demo data", "demo:admin"),
        staff_id=DEMO_ADMIN,
        name="Demo Admin",
        branch="HQ",
        roles=["admin"],
    )
    for i, (name, branch, roles) in enumerate(STAFF):
        r = app.register_staff(
            system_command(runtime, "demo data", f"demo:staff:{i}"),
            staff_id=uuid5(NAMESPACE_URL, f"backoffice:demo:staff:{i}"),
            name=name,
            branch=branch,
            roles=roles,
        )
        position = max(position, r.position or 0)
    token = new_token()
    r = app.issue_token(
        system_command(runtime, "demo admin token"),
        staff_id=DEMO_ADMIN,
        token_hash=token_hash(token),
    )
    position = max(position, r.position or 0, result.position or 0)
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    runtime.runner.sync(position)
    return token
