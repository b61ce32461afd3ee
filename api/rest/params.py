"""Query parameters of the REST endpoints: a parameter the endpoint does not know is refused
(a typo such as ``type=`` must not silently stream everything), and a time without a zone is
taken in the branch's time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import HTTPException, Request

from api.clocks import maybe_branch_time


def only(*names: str) -> Callable[[Request], None]:
    """A dependency refusing (422) any query parameter not in ``names``."""
    allowed = set(names)

    def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise HTTPException(
                422,
                f"unknown query parameter(s): {', '.join(unknown)};"
                f" known: {', '.join(sorted(allowed))}",
            )

    return check


def aware(request: Request, value: datetime | None) -> datetime | None:
    """``value`` with a zone: a time without one is in the branch's time zone."""
    return maybe_branch_time(value, request.app.state.runtime.settings.branch_timezone)
