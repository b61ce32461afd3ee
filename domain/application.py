"""The application service: one entry point, ``execute``, runs every command through one
pipeline — intake → authorise → idempotency → load at the expected version → decide → save."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, ClassVar, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder

# Every record kind registers its commands and event topics when its package is imported.
import domain.clients
import domain.complaints
import domain.disclosures
import domain.expenses
import domain.instruments
import domain.keys
import domain.orders
import domain.retention  # noqa: F401
from domain.access import granting_role, roles_with
from domain.actors import Actors, Recheck, StaleActor
from domain.commands import Actor, Command, CommandSpec, Decision, Repository, fingerprint
from domain.envelope import SYSTEM_BRANCH, SYSTEM_ROLE, CommandContext, Envelope
from domain.errors import (
    Code,
    ConcurrencyConflict,
    DomainError,
    NotAllowed,
    NotFound,
    ValidationError,
)
from domain.fields import Text, check_text, intake
from domain.orders import ClientFacts, InstrumentFacts
from domain.policy import Policy
from domain.snapshots import SnapshottingApplication
from domain.staff import Staff
from domain.transcodings import DateAsISO, EnvelopeAsDict, FactsAsDict


@dataclass(frozen=True)
class CommandResult:
    """What a command returns: the record, its new version, and the log position to wait for.

    ``changed`` is False when the command found nothing to record (e.g. a catalogue line
    identical to what is in force); ``replayed`` when its idempotency key was seen before."""

    aggregate_id: UUID
    version: int
    position: int | None
    replayed: bool = False
    changed: bool = True


@dataclass(frozen=True)
class CommandRecord:
    """The idempotency row saved in the same transaction as a command's events."""

    idempotency_key: str
    command: str
    actor: UUID
    aggregate_id: UUID
    aggregate_version: int
    fingerprint: str | None = None


@runtime_checkable
class CommandLog(Protocol):
    """A recorder that keeps idempotency keys beside the events (api.store implements it)."""

    def find_command(self, idempotency_key: str) -> tuple[CommandRecord, int | None] | None:
        """The command saved under this key and the position of its event, if any."""


@runtime_checkable
class CommandScope(Protocol):
    """A recorder that can hold what one command needs (api.store: one pooled connection)."""

    def command_scope(self) -> AbstractContextManager[None]:
        """Entered around everything one command reads and writes."""


def _first(aggregate: Aggregate) -> bool:
    """True when the aggregate's pending events begin the record (version 1)."""
    return bool(aggregate.pending_events[0].originator_version == 1)


class _Store(Repository):
    def __init__(self, app: BackOffice) -> None:
        self.app = app

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        return self.app.find(aggregate_id)

    def exists(self, aggregate_id: UUID) -> bool:
        return self.app.exists(aggregate_id)


_KEY = Text(200, min_length=1)
_REASON = Text(2000, multiline=True, min_length=0)


def _checked(context: CommandContext) -> CommandContext:
    """The caller's idempotency key and reason go into the store too: bounded, clean text."""
    key, reason = context.idempotency_key, context.reason
    return replace(
        context,
        idempotency_key=None if key is None else check_text(key, _KEY, "idempotencyKey"),
        reason=None if reason is None else check_text(reason, _REASON, "reason") or None,
    )


class _LostRace(Exception):
    """A save lost to a concurrent command; the command may be decided again."""


#: How often a command is decided again because its actor's record changed meanwhile.
FRESH_ATTEMPTS = 3


class BackOffice(SnapshottingApplication):
    """Every command of the back office. Its events go to ``backoffice_events``."""

    name = "BackOffice"
    env: ClassVar[dict[str, str]] = {"IS_SNAPSHOTTING_ENABLED": "n"}
    #: The configurable numbers of the rules; the edge sets them from settings.
    policy: Policy = Policy()

    @cached_property
    def _scoped(self) -> bool:
        return isinstance(self.recorder, CommandScope)

    @cached_property
    def _keeps_commands(self) -> bool:
        # Checked once: a runtime protocol check on every command costs more than the query.
        return isinstance(self.recorder, CommandLog)

    @cached_property
    def actors(self) -> Actors | None:
        """Remembered actors, when the store proves them at the save (``domain.actors``)."""
        return Actors() if getattr(self.recorder, "proves_actors", False) else None

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(EnvelopeAsDict())
        transcoder.register(DateAsISO())
        transcoder.register(FactsAsDict(ClientFacts, "client_facts"))
        transcoder.register(FactsAsDict(InstrumentFacts, "instrument_facts"))

    # -- the pipeline -------------------------------------------------------------------------

    def execute(
        self, command: Command, context: CommandContext, *, _attempt: int = 0
    ) -> CommandResult:
        """Run one command as ``context.actor``; expected refusals are DomainErrors. A save
        that lost a race is decided again (``_attempt``) when the command allows it."""
        scope = self.recorder.command_scope() if self._scoped else nullcontext()  # type: ignore[attr-defined]
        with scope:
            # First with the actor as remembered, if they are; again with the actor as stored
            # now, when the outcome did not prove the remembered rights current (Recheck) or
            # the save found them changed (StaleActor: rare, so bounded).
            for fresh in range(FRESH_ATTEMPTS + 1):
                try:
                    return self._execute(command, context, _attempt, remembered=fresh == 0)
                except Recheck:
                    continue
            raise ConcurrencyConflict(
                "the acting staff member's record kept changing", expected=None, actual=None
            )

    def _execute(
        self, command: Command, context: CommandContext, _attempt: int, *, remembered: bool
    ) -> CommandResult:
        at, actor = self._actor_at(context, remembered)
        try:
            result = self._decide_and_save(command, context, _attempt, at, actor)
        except DomainError:
            if at is not None and at[2]:
                raise Recheck from None  # refused on remembered rights: refuse on current ones
            raise
        if at is not None and at[2] and (result.replayed or not result.changed):
            raise Recheck  # nothing was written, so nothing proved the rights current
        return result

    def _decide_and_save(
        self,
        command: Command,
        context: CommandContext,
        _attempt: int,
        at: tuple[UUID, int, bool] | None,
        actor: Actor,
    ) -> CommandResult:
        spec = command.spec
        command = intake(command)
        context = _checked(context)
        envelope = self._authorise(spec, context, actor)
        if spec.reason_required and not (context.reason and context.reason.strip()):
            raise ValidationError("a reason is required", "reason", Code.REASON_REQUIRED)
        printed = fingerprint(command)
        replayed = self._replay(context, spec, printed)
        if replayed is not None:
            return replayed
        decision: Decision[Any] = Decision(envelope, context, actor, self.policy, _Store(self))
        if spec.about is not None and spec.target_field is not None:
            decision._target = self._load(
                spec.about, getattr(command, spec.target_field), context, actor
            )
        decided = command.decide(decision)
        if decided is None:
            aggregates = [decision.target]
        elif isinstance(decided, Aggregate):
            aggregates = [decided]
        else:
            aggregates = list(decided)
        aggregates += decision.also
        # A caller who named the version they expect gets the conflict, never a retry.
        retry = _attempt < spec.retries and context.expected_version is None
        try:
            return self._save(
                spec, context, printed, aggregates, decision.new_ids, at=at, retry=retry
            )
        except _LostRace:
            return self.execute(command, context, _attempt=_attempt + 1)

    def actor(self, context: CommandContext) -> Actor:
        """The actor's roles and branch now: the system actor, or an active staff member."""
        return self._actor_at(context, remembered=False)[1]

    def _actor_at(
        self, context: CommandContext, remembered: bool
    ) -> tuple[tuple[UUID, int, bool] | None, Actor]:
        """The actor, and for a staff member (id, version of their record, remembered?): the
        version the save proves current. Remembered rights are used only if ``remembered``."""
        if context.is_system:
            return None, Actor(frozenset({SYSTEM_ROLE}), SYSTEM_BRANCH)
        known = self.actors.get(context.actor) if remembered and self.actors else None
        if known is not None:
            return (context.actor, known[0], True), known[1]
        staff = self.find(context.actor)
        if not isinstance(staff, Staff) or not staff.active:
            if self.actors is not None:
                self.actors.forget(context.actor)
            raise NotAllowed("the acting staff member is not active")
        actor = self.seen(staff)
        return (staff.id, staff.version, False), actor

    def seen(self, staff: Staff) -> Actor:
        """The roles and branch of ``staff`` as just read from the store (remembered, if
        active, for later commands: the save proves them current)."""
        actor = Actor(frozenset(staff.roles), staff.branch)
        if self.actors is not None and staff.active:
            self.actors.remember(staff.id, staff.version, actor)
        return actor

    def _authorise(self, spec: CommandSpec, context: CommandContext, actor: Actor) -> Envelope:
        role = granting_role(actor.roles, spec.permission)
        if role is None:
            allowed = ", ".join(sorted(roles_with(spec.permission)))
            raise NotAllowed(f"{spec.permission.value} needs one of the roles: {allowed}")
        return context.envelope(role, actor.branch)

    def _load(
        self, cls: type[Aggregate], aggregate_id: UUID, context: CommandContext, actor: Actor
    ) -> Aggregate:
        found = self.find(aggregate_id)
        # An unknown id and a record of another branch get the same answer: no oracle.
        if not isinstance(found, cls) or not actor.may_act_for(getattr(found, "branch", None)):
            raise NotFound(f"{cls.__name__.lower()} {aggregate_id} not found")
        expected = context.expected_version
        if expected is not None and expected != found.version:
            raise ConcurrencyConflict(
                f"{cls.__name__.lower()} {aggregate_id} is at version {found.version}, "
                f"not {expected}",
                expected=expected,
                actual=found.version,
            )
        return found

    def _replay(
        self, context: CommandContext, spec: CommandSpec, printed: str
    ) -> CommandResult | None:
        key = context.idempotency_key
        if key is None:
            return None
        if not self._keeps_commands:
            raise ValidationError("this store does not keep idempotency keys", "idempotencyKey")
        found = self.recorder.find_command(key)  # type: ignore[attr-defined]
        if found is None:
            return None
        record, position = found
        if record.command != spec.name or record.actor != context.actor:
            raise ValidationError(
                "this idempotency key was already used for a different command",
                "idempotencyKey",
                Code.IDEMPOTENCY_KEY_REUSED,
            )
        if record.fingerprint is not None and record.fingerprint != printed:
            raise ValidationError(
                "this idempotency key was already used with a different payload",
                "idempotencyKey",
                Code.IDEMPOTENCY_KEY_REUSED,
            )
        return CommandResult(record.aggregate_id, record.aggregate_version, position, True)

    def _save(
        self,
        spec: CommandSpec,
        context: CommandContext,
        printed: str,
        aggregates: Sequence[Aggregate],
        new_ids: Sequence[tuple[UUID, ValidationError]] = (),
        *,
        at: tuple[UUID, int, bool] | None = None,
        retry: bool = False,
    ) -> CommandResult:
        aggregate = aggregates[0]
        if not any(a.pending_events for a in aggregates):
            self._refuse_taken(new_ids)
            return CommandResult(aggregate.id, aggregate.version, None, changed=False)
        # An id to be new that is not the first event of a record saved here is read now.
        created = {a.id for a in aggregates if a.pending_events[:1] and _first(a)}
        self._refuse_taken([n for n in new_ids if n[0] not in created])
        kwargs: dict[str, Any] = {}
        if at is not None and self.actors is not None:
            kwargs["actor_at"] = (at[0], at[1])
        if context.idempotency_key is not None:
            kwargs["command_record"] = CommandRecord(
                context.idempotency_key,
                spec.name,
                context.actor,
                aggregate.id,
                aggregate.version,
                printed,
            )
        try:
            recordings = self.save(*aggregates, **kwargs)
        except StaleActor:
            assert self.actors is not None and at is not None
            self.actors.forget(at[0])
            raise Recheck from None
        except IntegrityError:
            # Either a retry with the same key won the race, or an id to be new was taken, or
            # another writer took a version (or a uniqueness claim) first.
            replayed = self._replay(context, spec, printed)
            if replayed is not None:
                return replayed
            self._refuse_taken(new_ids)
            if retry:
                raise _LostRace from None
            for other in aggregates[1:]:
                if other.version == 1 and self.exists(other.id):
                    raise ValidationError(
                        f"{type(other).__name__} was taken concurrently", None, Code.DUPLICATE
                    ) from None
            raise ConcurrencyConflict(
                f"{type(aggregate).__name__.lower()} {aggregate.id} was changed concurrently",
                expected=context.expected_version,
                actual=self.stored_version(aggregate.id),
            ) from None
        if self.actors is not None:
            for saved in aggregates:  # e.g. a role revoked: the member is read afresh
                self.actors.forget(saved.id)
        position = max((r.notification.id for r in recordings), default=None)
        return CommandResult(aggregate.id, aggregate.version, position)

    def _refuse_taken(self, new_ids: Sequence[tuple[UUID, ValidationError]]) -> None:
        for aggregate_id, refusal in new_ids:
            if self.exists(aggregate_id):
                raise refusal

    # -- reading the store ----------------------------------------------------------------

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate with this id as stored now, or None."""
        try:
            found: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found

    def get(self, cls: type[Any], aggregate_id: UUID) -> Any:
        """The aggregate of that class and id (for tools and tests; the API reads projections)."""
        found = self.find(aggregate_id)
        if not isinstance(found, cls):
            raise NotFound(f"{cls.__name__.lower()} {aggregate_id} not found")
        return found

    def exists(self, aggregate_id: UUID) -> bool:
        """True when any event of that id is stored."""
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def stored_version(self, aggregate_id: UUID) -> int | None:
        """The version of the newest stored event of that id (None when there is none)."""
        found = self.recorder.select_events(aggregate_id, desc=True, limit=1)
        return found[0].originator_version if found else None
