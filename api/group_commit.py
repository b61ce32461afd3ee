"""Group commit: writes that arrive while another is being committed are coalesced into one
transaction, so that many commands share one pass through the writers' table lock.

Leader and followers, with no timer: a writer that finds nobody writing becomes the leader and
writes at once (an uncontended command waits for nothing); writers that arrive meanwhile queue
up, and when the leader is done one of them leads everything that queued. Each writer gets its
own outcome — its result or its own exception — and only once the leader has one for it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, TypeVar

W = TypeVar("W")
R = TypeVar("R")


class Job(Generic[W, R]):
    """One writer's work and, once decided, its outcome."""

    __slots__ = ("work", "done", "_result", "_error")

    def __init__(self, work: W) -> None:
        self.work = work
        self.done = False
        self._result: R | None = None
        self._error: BaseException | None = None

    def succeed(self, result: R) -> None:
        """Written (the caller acknowledges only after its transaction committed)."""
        self._result, self.done = result, True

    def fail(self, error: BaseException) -> None:
        """Not written: the writer gets ``error``."""
        self._error, self.done = error, True

    def outcome(self) -> R:
        """The result, or the exception raised in the writer's own thread."""
        if self._error is not None:
            raise self._error
        assert self.done
        return self._result  # type: ignore[return-value]


class GroupCommit(Generic[W, R]):
    """Runs ``write(jobs)`` for groups of concurrent submissions, one group at a time.

    ``write`` must decide every job of the group (``succeed`` or ``fail``); a job it leaves
    undecided, or every job when it raises, fails with its exception."""

    def __init__(self, write: Callable[[Sequence[Job[W, R]]], None], max_group: int = 64) -> None:
        self._write = write
        self._max_group = max_group
        self._cond = threading.Condition()
        self._queue: list[Job[W, R]] = []
        self._leading = False
        #: How many groups and jobs were written (for tests and metrics).
        self.groups = 0
        self.jobs = 0

    def submit(self, work: W) -> R:
        """Write ``work`` (alone, or with whatever queued meanwhile) and return its result."""
        job: Job[W, R] = Job(work)
        with self._cond:
            self._queue.append(job)
            while self._leading and not job.done:
                self._cond.wait()
            if job.done:
                return job.outcome()
            # Lead: this job and the oldest of the others, up to the group's size, in the
            # order they arrived (an earlier command is written first).
            others = [j for j in self._queue if j is not job]
            chosen = {id(j) for j in others[: self._max_group - 1]}
            group = [j for j in self._queue if j is job or id(j) in chosen]
            self._queue = others[self._max_group - 1 :]
            self._leading = True
        try:
            self._write(group)
        except BaseException as exc:
            for undecided in group:
                if not undecided.done:
                    undecided.fail(exc)
        finally:
            for undecided in group:
                if not undecided.done:
                    undecided.fail(RuntimeError("group commit left a write undecided"))
            with self._cond:
                self.groups += 1
                self.jobs += len(group)
                self._leading = False
                self._cond.notify_all()
        return job.outcome()

    def waiting(self) -> int:
        """How many writes are queued behind the current leader."""
        with self._cond:
            return len(self._queue)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the leadership without writing: submissions queue up meanwhile and are written
        as one group when the block ends (tests use it to make a group deterministically)."""
        with self._cond:
            while self._leading:
                self._cond.wait()
            self._leading = True
        try:
            yield
        finally:
            with self._cond:
                self._leading = False
                self._cond.notify_all()
