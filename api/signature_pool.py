"""Event signatures checked in worker processes while the walk reads on.

The walk (``api.integrity``) stays one pass in notification order: it reads each row, checks
its chain hash and decides under which trusted key the row must verify. A key event's
signature is checked there and then, because whether it verifies decides which keys are
trusted for the rows after it. Every other row's check (public key, signature, message) is
queued here, sent to the workers in chunks, and its outcome put back where the walk would
have put it: the report is the one checking in line gives, problem for problem, in the same
order, whichever chunk finishes first.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType

from api.integrity import MISMATCH, Problem, Report
from api.signing import verifies

#: (public key, signature, message)
Check = tuple[bytes, bytes, bytes]


def default_jobs() -> int:
    """One process per CPU."""
    return os.cpu_count() or 1


def _failing(chunk: list[Check]) -> list[int]:
    """The offsets in ``chunk`` whose signature does not verify (run in a worker)."""
    return [i for i, check in enumerate(chunk) if not verifies(*check)]


class SignaturePool:
    """``jobs`` worker processes that check Ed25519 signatures; with one job, none: the walk
    checks each signature in line, in this process."""

    def __init__(self, jobs: int, *, chunk: int = 1000) -> None:
        self.jobs = max(1, jobs)
        self.chunk = chunk
        self.executor: ProcessPoolExecutor | None = None
        if self.jobs > 1:
            # fork, not spawn or forkserver: those import the entry point again in every worker
            # (seconds for the CLI), and a worker needs nothing but ``_failing``. The workers
            # start here, at once, so enter the pool before starting any thread (a progress bar).
            self.executor = ProcessPoolExecutor(
                self.jobs, mp_context=multiprocessing.get_context("fork")
            )
            self.executor.submit(_failing, []).result()

    def __enter__(self) -> SignaturePool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.executor is not None:
            self.executor.shutdown(cancel_futures=True)
            self.executor = None

    def deferred(self, report: Report) -> Deferred | None:
        """Where a walk filling ``report`` queues its checks (None: check in line)."""
        return None if self.executor is None else Deferred(self, self.executor, report)


class Deferred:
    """One walk's queued checks, and where each outcome goes in its report."""

    def __init__(self, pool: SignaturePool, executor: ProcessPoolExecutor, report: Report) -> None:
        self.pool = pool
        self.executor = executor
        self.report = report
        self._checks: list[Check] = []
        #: per queued check: how many problems the report held when it was queued, and the row
        self._slots: list[tuple[int, int]] = []
        self._running: deque[tuple[Future[list[int]], list[tuple[int, int]]]] = deque()
        self._failed: list[tuple[int, int]] = []
        self._passed = 0

    def add(self, nid: int, key: bytes, signature: bytes, message: bytes) -> None:
        """Queue the check of row ``nid``, reported as if it were made now."""
        self._checks.append((key, signature, message))
        self._slots.append((len(self.report.problems), nid))
        if len(self._checks) >= self.pool.chunk:
            self._send()

    def _send(self) -> None:
        if not self._checks:
            return
        self._running.append((self.executor.submit(_failing, self._checks), self._slots))
        self._checks, self._slots = [], []
        # Bounded: the reader runs ahead of the workers by a few chunks, not the whole store.
        while len(self._running) > 2 * self.pool.jobs:
            self._take()

    def _take(self) -> None:
        future, slots = self._running.popleft()
        bad = future.result()
        self._passed += len(slots) - len(bad)
        self._failed.extend(slots[i] for i in bad)

    def settle(self) -> None:
        """Wait for every queued check and put each failure into the report where the walk
        would have put it in line; count the rest as signed."""
        self._send()
        while self._running:
            self._take()
        self.report.signed += self._passed
        self._passed = 0
        if not self._failed:
            return
        failed = iter(self._failed)
        self._failed = []
        merged = []
        nxt = next(failed, None)
        for at, problem in enumerate([*self.report.problems, None]):
            while nxt is not None and nxt[0] == at:
                merged.append(Problem(nxt[1], MISMATCH))
                nxt = next(failed, None)
            if problem is not None:
                merged.append(problem)
        self.report.problems[:] = merged
