"""Who acts, remembered between commands, and proved current when the command is written.

A staff member's roles and branch are read from their record (two reads) before every command.
``Actors`` keeps them with the record's version, so a command can be decided without reading
them again; it is *only* used when the save proves them still current: the store checks, under
the writers' lock and in the transaction that writes the command, that the actor's record is
still at that version (``actor_at`` of the save), and refuses the write with ``StaleActor``
otherwise. So the rights a written command was decided on are the rights at its commit —
stricter than reading them first, which leaves a gap until the save.

An outcome that writes nothing (a refusal, a replay, nothing to change) proves nothing: the
application runs such a command again with the actor read afresh (``Recheck``).
"""

from __future__ import annotations

import threading
from uuid import UUID

from domain.commands import Actor

#: Beyond this many remembered actors the memory starts over (staff are a few hundred).
LIMIT = 10_000


class StaleActor(Exception):
    """The save found the actor's record changed since the version the command was decided
    on: nothing was written; decide again with the actor as stored now."""


class Recheck(Exception):
    """The command was decided with remembered rights and its outcome did not prove them."""


class Actors:
    """Staff id → (version of their record, roles and branch at that version)."""

    def __init__(self) -> None:
        self._known: dict[UUID, tuple[int, Actor]] = {}
        self._lock = threading.Lock()

    def get(self, staff_id: UUID) -> tuple[int, Actor] | None:
        """What is remembered of this staff member (to be proved at the save)."""
        return self._known.get(staff_id)

    def remember(self, staff_id: UUID, version: int, actor: Actor) -> None:
        """Remember an active member as read at ``version`` (a newer reading wins)."""
        with self._lock:
            known = self._known.get(staff_id)
            if known is not None and known[0] > version:
                return
            if len(self._known) >= LIMIT:
                self._known.clear()
            self._known[staff_id] = (version, actor)

    def forget(self, staff_id: UUID) -> None:
        """Drop what is remembered (the record changed, or was found inactive)."""
        with self._lock:
            self._known.pop(staff_id, None)
