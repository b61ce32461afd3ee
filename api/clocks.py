"""The two clocks of every event, and times given without a zone.

Each stored event has two times. The **recording clock** is when the store recorded it (the
library's own ``timestamp``, read from the server's clock as the event is saved). The
**business clock** is the time the command gave (``envelope.occurred_at``: when the client
gave the order, when the fill was executed — what the staff member says happened, checked by
``TimePolicy``). They differ whenever something is entered after the fact, and always for
seeded or migrated data. Every time filter says which one it reads, and a time without a
zone is taken in the branch's time zone (``BRANCH_TIMEZONE``), everywhere: GraphQL, REST and
the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")


class Clock(StrEnum):
    """Which time of an event a moment or a range is compared with: RECORDED, when the store
    recorded it; BUSINESS, the time the command gave (when it happened, as the staff member
    entered it)."""

    RECORDED = "recorded"
    BUSINESS = "business"


def branch_time(value: datetime, zone: str) -> datetime:
    """``value`` with a zone: a time without one is a wall-clock time in ``zone``."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=ZoneInfo(zone))
    return value


def maybe_branch_time(value: datetime | None, zone: str) -> datetime | None:
    """``branch_time`` for an optional value."""
    return None if value is None else branch_time(value, zone)


def event_time(event: Any, clock: Clock) -> datetime:
    """The time of a decoded stored event by ``clock``."""
    if clock is Clock.BUSINESS:
        occurred: datetime = event.envelope.occurred_at
        return occurred
    recorded: datetime = event.timestamp
    return recorded


def up_to(
    events: Sequence[T], at: datetime, clock: Clock, event: Callable[[T], Any] = lambda e: e
) -> list[T]:
    """A record's events (in version order) up to ``at`` by ``clock``: the longest prefix
    whose times are all at or before ``at``. A record replays from a prefix only (a version
    cannot apply without the ones before it), so the first event after ``at`` ends it, even
    when a later one was back-dated to before ``at``."""
    out: list[T] = []
    for item in events:
        if event_time(event(item), clock) > at:
            break
        out.append(item)
    return out
