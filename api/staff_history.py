"""Staff members as they stood at a past moment, replayed from the event store: a
reconstruction names the people who acted and the roles they held then, not today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from api.audit import RecordedEvent, recorded_events, replay_rows
from domain.application import BackOffice
from domain.envelope import SYSTEM_ACTOR
from projections import staff as staff_model


@dataclass(frozen=True)
class StaffThen:
    """A staff member's name, branch and roles at one moment."""

    name: str
    branch: str
    roles: tuple[str, ...]
    active: bool


class StaffHistory:
    """Looks staff members up as at a recording time, reading each one's events once."""

    def __init__(self, app: BackOffice, curs: Cursor[DictRow]) -> None:
        self._app = app
        self._curs = curs
        self._events: dict[UUID, list[RecordedEvent]] = {}

    def _staff_events(self, staff_id: UUID) -> list[RecordedEvent]:
        if staff_id not in self._events:
            found = recorded_events(self._app, self._curs, staff_id)
            # An actor id that is not a staff member's (the operator, or a test's) has no
            # staff events; anything else under that id is not evidence of a person.
            self._events[staff_id] = [
                r for r in found if type(r.event).__qualname__.startswith("Staff.")
            ]
        return self._events[staff_id]

    def as_at(self, staff_id: UUID, recorded_at: datetime) -> StaffThen | None:
        """The staff member as the log knew them when ``recorded_at`` was recorded; None for
        the operator's command line and for ids that are no staff member's."""
        if staff_id == SYSTEM_ACTOR:
            return None
        known = [r for r in self._staff_events(staff_id) if r.event.timestamp <= recorded_at]
        row: Any = replay_rows(known, staff_model.evolve) if known else None
        if row is None:
            return None
        return StaffThen(row.name, row.branch, tuple(row.roles), bool(row.active))

    def annotate(self, item: dict[str, Any], actor: UUID, recorded_at: datetime) -> None:
        """Add ``actor_name`` and ``actor_roles_then`` to one packaged event."""
        then = self.as_at(actor, recorded_at)
        item["actor_name"] = None if then is None else then.name
        item["actor_roles_then"] = None if then is None else list(then.roles)
