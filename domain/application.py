"""The application service: one method per use case; each loads, decides, and saves once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from domain.access import Permission, granting_role, roles_with
from domain.envelope import Command, Envelope
from domain.errors import ConcurrencyConflict, NotAllowed, NotFound, ValidationError
from domain.staff import Staff

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class CommandResult:
    """What a command returns: the record, its new version, and the log position to wait for."""

    aggregate_id: UUID
    version: int
    position: int | None
    replayed: bool = False


@dataclass(frozen=True)
class CommandRecord:
    """The idempotency row saved in the same transaction as a command's events."""

    idempotency_key: str
    command: str
    actor: UUID
    aggregate_id: UUID
    aggregate_version: int


@runtime_checkable
class CommandLog(Protocol):
    """A recorder that keeps idempotency keys beside the events (api.store implements it)."""

    def find_command(self, idempotency_key: str) -> tuple[CommandRecord, int | None] | None:
        """The command saved under this key and the position of its event, if any."""


class EnvelopeAsDict(Transcoding):
    """Stores an Envelope as a plain mapping inside the event's JSON state."""

    type = Envelope
    name = "envelope"

    def encode(self, obj: Envelope) -> dict[str, Any]:
        return {
            "actor": obj.actor,
            "actor_role": obj.actor_role,
            "branch_id": obj.branch_id,
            "correlation_id": obj.correlation_id,
            "causation_id": obj.causation_id,
            "occurred_at": obj.occurred_at,
            "reason": obj.reason,
        }

    def decode(self, data: dict[str, Any]) -> Envelope:
        return Envelope(**data)


class BackOffice(Application[UUID]):
    """Every command of the back office. Its events go to ``backoffice_events``."""

    name = "BackOffice"
    env: ClassVar[dict[str, str]] = {"IS_SNAPSHOTTING_ENABLED": "n"}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(EnvelopeAsDict())

    # -- plumbing shared by every use case -----------------------------------------------

    def _authorize(self, cmd: Command, permission: Permission) -> Envelope:
        role = granting_role(cmd.actor_roles, permission)
        if role is None:
            allowed = ", ".join(sorted(roles_with(permission)))
            raise NotAllowed(f"{permission.value} needs one of the roles: {allowed}")
        return cmd.envelope(role)

    def _load(self, cls: type[A], aggregate_id: UUID, cmd: Command) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{cls.__name__.lower()} {aggregate_id} not found") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{cls.__name__.lower()} {aggregate_id} not found")
        if cmd.expected_version is not None and cmd.expected_version != aggregate.version:
            raise ConcurrencyConflict(
                f"{cls.__name__.lower()} {aggregate_id} is at version {aggregate.version}, "
                f"not {cmd.expected_version}",
                expected=cmd.expected_version,
                actual=aggregate.version,
            )
        return aggregate

    def _replay(self, cmd: Command, name: str) -> CommandResult | None:
        if cmd.idempotency_key is None:
            return None
        if not isinstance(self.recorder, CommandLog):
            raise ValidationError("this store does not keep idempotency keys", "idempotencyKey")
        found = self.recorder.find_command(cmd.idempotency_key)
        if found is None:
            return None
        record, position = found
        if record.command != name or record.actor != cmd.actor:
            raise ValidationError(
                "idempotency key was already used for a different command", "idempotencyKey"
            )
        return CommandResult(record.aggregate_id, record.aggregate_version, position, True)

    def _run(self, cmd: Command, name: str, decide: Callable[[], Aggregate]) -> CommandResult:
        """Run one command: replay it if its key was seen, else decide and save once."""
        replayed = self._replay(cmd, name)
        if replayed is not None:
            return replayed
        aggregate = decide()
        kwargs: dict[str, Any] = {}
        if cmd.idempotency_key is not None:
            kwargs["command_record"] = CommandRecord(
                cmd.idempotency_key, name, cmd.actor, aggregate.id, aggregate.version
            )
        try:
            recordings = self.save(aggregate, **kwargs)
        except IntegrityError:
            # Either a retry with the same key won the race, or another writer took the version.
            replayed = self._replay(cmd, name)
            if replayed is not None:
                return replayed
            raise ConcurrencyConflict(
                f"{type(aggregate).__name__.lower()} {aggregate.id} was changed concurrently",
                expected=cmd.expected_version,
                actual=None,
            ) from None
        position = recordings[-1].notification.id if recordings else None
        return CommandResult(aggregate.id, aggregate.version, position)

    # -- staff ---------------------------------------------------------------------------

    def register_staff(
        self, cmd: Command, *, staff_id: UUID, name: str, branch: str, roles: list[str]
    ) -> CommandResult:
        """Register a staff member."""
        envelope = self._authorize(cmd, Permission.MANAGE_STAFF)

        def decide() -> Aggregate:
            if self._exists(staff_id):
                raise ValidationError(f"staff {staff_id} already exists", "staffId")
            return Staff.register(envelope, staff_id, name, branch, roles)

        return self._run(cmd, "register_staff", decide)

    def grant_role(self, cmd: Command, *, staff_id: UUID, role: str) -> CommandResult:
        """Grant a role to a staff member."""
        return self._staff_command(cmd, "grant_role", staff_id, lambda s, e: s.grant_role(e, role))

    def revoke_role(self, cmd: Command, *, staff_id: UUID, role: str) -> CommandResult:
        """Revoke a role from a staff member."""
        return self._staff_command(
            cmd, "revoke_role", staff_id, lambda s, e: s.revoke_role(e, role)
        )

    def deactivate_staff(self, cmd: Command, *, staff_id: UUID) -> CommandResult:
        """Deactivate a staff member."""
        return self._staff_command(cmd, "deactivate_staff", staff_id, lambda s, e: s.deactivate(e))

    def issue_token(self, cmd: Command, *, staff_id: UUID, token_hash: str) -> CommandResult:
        """Record a bearer token (by its hash) for a staff member."""
        return self._staff_command(
            cmd, "issue_token", staff_id, lambda s, e: s.issue_token(e, token_hash)
        )

    def revoke_token(self, cmd: Command, *, staff_id: UUID, token_hash: str) -> CommandResult:
        """Withdraw a bearer token."""
        return self._staff_command(
            cmd, "revoke_token", staff_id, lambda s, e: s.revoke_token(e, token_hash)
        )

    def _staff_command(
        self,
        cmd: Command,
        name: str,
        staff_id: UUID,
        act: Callable[[Staff, Envelope], None],
    ) -> CommandResult:
        envelope = self._authorize(cmd, Permission.MANAGE_STAFF)

        def decide() -> Aggregate:
            staff = self._load(Staff, staff_id, cmd)
            act(staff, envelope)
            return staff

        return self._run(cmd, name, decide)

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def get_staff(self, staff_id: UUID) -> Staff:
        """A staff member as recorded (for the CLI and tests; the API reads projections)."""
        try:
            staff: Aggregate = self.repository.get(staff_id)
        except AggregateNotFoundError:
            raise NotFound(f"staff {staff_id} not found") from None
        if not isinstance(staff, Staff):
            raise NotFound(f"staff {staff_id} not found")
        return staff
