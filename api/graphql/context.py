"""Per-request context: the runtime, the authenticated principal, read consistency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID, uuid4

from starlette.concurrency import run_in_threadpool
from strawberry.fastapi import BaseContext

from api.auth import Principal
from api.runtime import Runtime
from domain.envelope import CommandContext
from projections.runner import positions

if TYPE_CHECKING:
    from api.graphql.loaders import Loaders

#: Seconds between two looks at the read models' positions while waiting.
WAIT_INTERVAL = 0.02

T = TypeVar("T")


@dataclass
class ReadConsistency:
    """What a query asked for with ``minPosition`` and what the read models had reached."""

    requested: int
    positions: dict[str, int]

    @property
    def reached(self) -> bool:
        """True when every read model consulted was at or past the requested position."""
        return all(p >= self.requested for p in self.positions.values())


@dataclass
class Context(BaseContext):
    """Available to every resolver as ``info.context``."""

    runtime: Runtime
    principal: Principal
    correlation_id: UUID = field(default_factory=uuid4)
    consistency: list[ReadConsistency] = field(default_factory=list)
    #: When waits for minPosition give up (set by the first wait of the request).
    deadline: float | None = None

    def __post_init__(self) -> None:
        super().__init__()

    @cached_property
    def loaders(self) -> Loaders:
        """This request's DataLoaders (made on first use; they batch and cache within it)."""
        from api.graphql.loaders import Loaders  # they read through this context

        return Loaders(self)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking work (the library and psycopg are synchronous) off the event loop."""
        return await run_in_threadpool(fn, *args)

    def command_context(
        self,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        reason: str | None = None,
    ) -> CommandContext:
        """The context of one mutation of this request, given by its principal now."""
        return self.runtime.context(
            self.principal.staff_id,
            correlation_id=self.correlation_id,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            reason=reason,
        )

    async def wait_for(self, models: list[str], min_position: int | None) -> None:
        """Read-your-writes: wait until ``models`` reached ``min_position``, or the request's
        one deadline passed (READ_WAIT_TIMEOUT after its first wait: many waits in one
        document share it). Waiting sleeps on the event loop; no worker thread is held."""
        if min_position is None or min_position <= 0:
            return
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + self.runtime.settings.read_wait_timeout

        def read() -> dict[str, int]:
            with self.runtime.cursor() as curs:
                return positions(curs.connection, models)

        while True:
            seen = await self.run(read)
            if all(p >= min_position for p in seen.values()) or time.monotonic() >= self.deadline:
                break
            await asyncio.sleep(WAIT_INTERVAL)
        self.consistency.append(ReadConsistency(min_position, seen))
