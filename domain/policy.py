"""The configurable numbers of the rules, in one value the edge sets from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from domain.clients.rules import ClientPolicy
from domain.errors import Code, ValidationError
from domain.orders.suitability import SurveillancePolicy


@dataclass(frozen=True)
class TimePolicy:
    """How far business times given with a command may stray from the clock."""

    #: The branch's time zone: business dates are its calendar dates.
    timezone: tzinfo = UTC
    #: A time "now" on another machine may run a little ahead of ours.
    future_tolerance: timedelta = timedelta(minutes=2)
    #: How many business days back a time may be dated (0: the same business day only).
    backdate_days: int = 0

    def day_of(self, moment: datetime) -> date:
        """The branch's calendar date at ``moment``."""
        return moment.astimezone(self.timezone).date()

    def check(self, moment: datetime, now: datetime, field: str) -> datetime:
        """``moment`` if plausible: not in the future (beyond the tolerance) and not dated
        before the allowed back-dating window; an IMPLAUSIBLE_TIME error otherwise."""
        if moment > now + self.future_tolerance:
            raise ValidationError("a time cannot be in the future", field, Code.IMPLAUSIBLE_TIME)
        earliest = self.day_of(now) - timedelta(days=self.backdate_days)
        if self.day_of(moment) < earliest:
            window = (
                "the same business day"
                if self.backdate_days == 0
                else f"{self.backdate_days} business day(s)"
            )
            raise ValidationError(
                f"back-dating is allowed within {window} only", field, Code.IMPLAUSIBLE_TIME
            )
        return moment

    def check_day(self, day: date, now: datetime, field: str) -> date:
        """A business date: not after today (in the branch), not before the window."""
        today = self.day_of(now)
        if day > today:
            raise ValidationError("a date cannot be in the future", field, Code.IMPLAUSIBLE_TIME)
        return day


@dataclass(frozen=True)
class Policy:
    """Every configurable number of the domain's rules."""

    clients: ClientPolicy = field(default_factory=ClientPolicy)
    surveillance: SurveillancePolicy = field(default_factory=SurveillancePolicy)
    times: TimePolicy = field(default_factory=TimePolicy)
