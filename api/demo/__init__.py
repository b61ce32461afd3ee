"""Demo data for a fresh store: a head office and two branches, their staff, a few hundred
clients in every state and a few thousand orders. One module per record kind; nothing here
is on the request path (only ``backoffice demo`` and ``serve --demo`` use it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from uuid import NAMESPACE_URL, UUID, uuid5

from api.runtime import Runtime
from domain.commands import Command
from domain.envelope import CommandContext
from domain.errors import DomainError

#: (stage, done, total) of a long seeding step, for progress bars.
Progress = Callable[[str, int, int], None]


@dataclass
class Seeder:
    """Runs demo commands at given (past) business times, each under an idempotency key so
    that an interrupted seeding resumes without doubles; remembers the last position."""

    runtime: Runtime
    now: datetime
    position: int = 0
    progress: Progress | None = None
    stages: dict[str, int] = field(default_factory=dict)

    def run(
        self,
        key: str,
        actor: UUID,
        at: datetime,
        command: Command,
        reason: str | None = None,
        *,
        may_fail: bool = False,
    ) -> bool:
        """Run ``command`` as ``actor`` at ``at``; False when a refusal was expected."""
        context = seeding_context(
            self.runtime, actor, min(at, self.now), f"backoffice:demo:{key}", reason, f"demo:{key}"
        )
        try:
            result = self.runtime.app.execute(command, context)
        except DomainError:
            if may_fail:
                return False
            raise
        self.position = max(self.position, result.position or 0)
        return True

    def report(self, stage: str, done: int, total: int) -> None:
        """Advance the progress bar of ``stage``."""
        if self.progress is not None:
            self.progress(stage, done, total)


def seeding_context(
    runtime: Runtime,
    actor: UUID,
    when: datetime,
    name: str,
    reason: str | None,
    idempotency_key: str | None = None,
) -> CommandContext:
    """The context of a seeded command (demo or generated history) at business time ``when``:
    its correlation id is derived from ``name``, so a re-run gives the same ids."""
    correlation = uuid5(NAMESPACE_URL, name)
    return CommandContext(
        actor=actor,
        occurred_at=when,
        business_date=runtime.business_date(when),
        correlation_id=correlation,
        causation_id=correlation,
        reason=reason,
        idempotency_key=idempotency_key,
    )


def seed(
    runtime: Runtime,
    token_file: Path,
    progress: Progress | None = None,
    *,
    clients: int = 300,
    orders: int = 2000,
) -> str:
    """Seed the demo branches once; return the demo admin's token (kept in ``token_file``)."""
    from api.demo import clients as demo_clients
    from api.demo import complaints as demo_complaints
    from api.demo import expenses as demo_expenses
    from api.demo import orders as demo_orders
    from api.demo import staff as demo_staff

    if token_file.exists() and runtime.app.exists(demo_staff.DEMO_ADMIN):
        return token_file.read_text().strip()
    seeder = Seeder(runtime, runtime.clock(), progress=progress)
    token = demo_staff.seed(seeder)
    runtime.runner.sync(seeder.position)  # the account managers must exist before clients
    demo_clients.seed(seeder, clients)
    demo_orders.seed(seeder, orders, clients)
    demo_complaints.seed(seeder, client_count=clients)
    demo_expenses.seed(seeder)
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    runtime.runner.sync(seeder.position, timeout=120)
    return token
