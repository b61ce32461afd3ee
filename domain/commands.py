"""Commands as values. Each use case is one frozen, keyword-only dataclass whose fields are
typed (enums, value objects, bounded text: see ``domain.fields``), registered with a stable
name, the permission it needs and the aggregate it is about, and carrying its decision::

    @command("clients.freeze", Permission.SUPERVISE_CLIENTS, about=Client, reason=True)
    class FreezeClient(Command):
        '''Freeze a client.'''

        client_id: ClientId

        def decide(self, d: Decision[Client]) -> None:
            d.target.freeze(d.envelope)

``BackOffice.execute`` runs any command through one pipeline: intake → authorise → idempotency
→ load at the expected version → decide → save once (with uniqueness claims). The GraphQL
mutation and its input type are derived from the same class (``api/graphql/commands.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast, dataclass_transform
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.access import Permission, granting_role
from domain.envelope import CommandContext, Envelope
from domain.errors import Code, NotAllowed, ValidationError
from domain.fields import field_infos

if TYPE_CHECKING:
    from domain.policy import Policy

A = TypeVar("A", bound=Aggregate)
B = TypeVar("B", bound=Aggregate)


class Repository:
    """What a decision may read: aggregates from the event store (never a read model)."""

    def find(self, aggregate_id: UUID) -> Aggregate | None:  # pragma: no cover - interface
        """The aggregate with this id, or None."""
        raise NotImplementedError

    def exists(self, aggregate_id: UUID) -> bool:  # pragma: no cover - interface
        """True when any event of that id is stored."""
        raise NotImplementedError


@dataclass(frozen=True)
class Actor:
    """Who gives a command, as the event store has them now: roles and branch."""

    roles: frozenset[str]
    branch: str

    def may_act_for(self, branch: str | None) -> bool:
        """True when the actor may work on records of ``branch`` (None: not branch-scoped)."""
        return (
            branch is None
            or branch == self.branch
            or granting_role(self.roles, Permission.VIEW_ALL_BRANCHES) is not None
        )


@dataclass
class Decision(Generic[A]):
    """What a command's ``decide`` works with: the envelope its events carry, the context, the
    record it is about (``target``), the application's policy, and read access to other
    records. Aggregates to save besides the target go in ``also`` (e.g. uniqueness claims)."""

    envelope: Envelope
    context: CommandContext
    actor: Actor
    policy: Policy
    repository: Repository
    _target: A | None = None
    also: list[Aggregate] = field(default_factory=list)
    #: Ids this command needs to be new, with the refusal if one is taken: proved by the save
    #: (a taken id makes the new record's first event collide on the store's key), and read
    #: only when it collides or the id is not among the new records saved (``unproved_new``).
    new_ids: list[tuple[UUID, ValidationError]] = field(default_factory=list)

    @property
    def target(self) -> A:
        """The record the command is about, loaded at the expected version."""
        if self._target is None:
            raise RuntimeError("this command is not about an existing record")
        return self._target

    @property
    def today(self) -> date:
        """The branch's business date of the command."""
        return self.envelope.today

    @property
    def now(self) -> datetime:
        """The time the command was given (read at the edge)."""
        return self.envelope.occurred_at

    def record(self, event_class: type[Any], **fields: Any) -> None:
        """Record an event on the target, with this command's envelope."""
        self.record_on(self.target, event_class, **fields)

    def record_on(self, aggregate: Aggregate, event_class: type[Any], **fields: Any) -> None:
        """Record an event on ``aggregate`` (saved with the command), with this envelope."""
        aggregate.trigger_event(event_class, envelope=self.envelope, **fields)

    def new(self, cls: type[B], event_class: type[Any], **fields: Any) -> B:
        """A new record of class ``cls`` made by its creation event, with this envelope."""
        made = cls._create(event_class, envelope=self.envelope, **fields)
        assert isinstance(made, cls)
        return made

    def find(self, cls: type[B], aggregate_id: UUID) -> B | None:
        """The record of that class and id, or None."""
        found = self.repository.find(aggregate_id)
        return found if isinstance(found, cls) else None

    def get(self, cls: type[B], aggregate_id: UUID, field: str) -> B:
        """The record of that class and id; a ValidationError on ``field`` if there is none."""
        found = self.find(cls, aggregate_id)
        if found is None:
            raise ValidationError(
                f"no {cls.__name__.lower()} {aggregate_id}", field, Code.UNKNOWN_REFERENCE
            )
        return found

    def require_new(self, aggregate_id: UUID, field: str) -> None:
        """Refuse an id that is already taken (checked when the command is saved)."""
        self.new_ids.append(
            (aggregate_id, ValidationError(f"{aggregate_id} already exists", field, Code.DUPLICATE))
        )

    def scope(self, branch: str, field: str = "branch") -> str:
        """``branch``, if the actor may act for it; NotAllowed otherwise."""
        if not self.actor.may_act_for(branch):
            raise NotAllowed(f"records of branch {branch} are not open to {self.actor.branch}")
        return branch

    def claim(self, claim: Aggregate, message: str, field: str) -> None:
        """Save ``claim`` with the command; an existing claim of that id means a duplicate.
        A claim saved before, or by a concurrent command, makes the save fail on the store's
        primary key: the refusal is then ``message`` (``require_new``)."""
        self.new_ids.append((claim.id, ValidationError(message, field, Code.DUPLICATE)))
        self.also.append(claim)


@dataclass(frozen=True)
class CommandSpec:
    """How the application runs one command class."""

    command: type[Command]
    name: str
    permission: Permission
    about: type[Aggregate] | None
    target_field: str | None
    reason_required: bool
    summary: str
    #: How many times a save that lost a race is decided again on the store's new state.
    retries: int = 0

    @property
    def creates(self) -> bool:
        """True when the command makes a new record rather than changing one."""
        return self.about is None


class Command:
    """Base of every command value; see the module's docstring."""

    spec: ClassVar[CommandSpec]

    def decide(self, d: Decision[Any]) -> Aggregate | Sequence[Aggregate] | None:
        """Decide: call the target's methods (return None), or return the new aggregate(s)."""
        raise NotImplementedError


REGISTRY: dict[str, CommandSpec] = {}
C = TypeVar("C", bound=type[Command])


@dataclass_transform(kw_only_default=True, frozen_default=True)
def command(
    name: str,
    permission: Permission,
    *,
    about: type[Aggregate] | None = None,
    target: str | None = None,
    reason: bool = False,
    retries: int = 0,
) -> Callable[[C], C]:
    """Make a command class a frozen keyword-only dataclass and register it under ``name``.

    ``name`` is stored with idempotency keys: never change it once a command was run.
    ``about``: the aggregate an existing-record command loads (its id in the field ``target``,
    by default ``<about>_id``); without it the command creates records. ``reason``: the
    command needs a human reason. ``retries``: a save that lost a race to a concurrent
    command (the store's primary key) is decided again, up to this many times, on what the
    winner stored — for records every command of a kind advances, like a counter.
    """

    def register(cls: C) -> C:
        data_cls = dataclasses.dataclass(frozen=True, kw_only=True)(cls)
        if name in REGISTRY:
            raise ValueError(f"command name {name!r} is registered twice")
        target_field = target or (f"{about.__name__.lower()}_id" if about else None)
        names = {f.name for f in dataclasses.fields(data_cls)}  # type: ignore[arg-type]
        if target_field is not None and target_field not in names:
            raise TypeError(f"{cls.__name__} has no field {target_field!r} naming its record")
        field_infos(data_cls)  # fails now, not at the first request, on a field without limits
        spec = CommandSpec(
            command=data_cls,
            name=name,
            permission=permission,
            about=about,
            target_field=target_field,
            reason_required=reason,
            summary=inspect.cleandoc(cls.__doc__ or ""),
            retries=retries,
        )
        data_cls.spec = spec
        REGISTRY[name] = spec
        return cast(C, data_cls)

    return register


def _canonical(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | frozenset | set):
        return [_canonical(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def fingerprint(command: Command) -> str:
    """SHA-256 of what the caller asked for (derived fields left out), to tell a retry from
    a different command sent under a reused idempotency key."""
    payload = {
        info.name: _canonical(getattr(command, info.name))
        for info in field_infos(type(command))
        if not info.derived
    }
    text = json.dumps([command.spec.name, payload], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
