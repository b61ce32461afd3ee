"""Auditors: ``history``, ``asOf`` (generic), ``clientAsOf``, ``orderAsOf``, ``auditEvents``.

History and state as of a moment are read from the event store itself, never a projection."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api import audit
from api.clocks import Clock, branch_time, up_to
from api.graphql.clients import Client
from api.graphql.common import (
    After,
    First,
    MinPosition,
    PageInfo,
    RecordRef,
    query_error,
    read,
    visible_branch,
)
from api.graphql.context import Context
from api.graphql.derive import build, input_type, object_type, to_filter
from api.graphql.orders import Order
from api.graphql.orders import view as order_view
from api.graphql.traversal import ActorRef, Counted
from domain import errors
from domain.access import Permission, granting_role
from domain.privacy import Visibility, mask
from projections import audit as audit_model
from projections import clients as client_model
from projections import orders as order_model
from projections.paging import check_first, decode_cursor, encode_cursor

_IDS = {"originator_id": "aggregateId", "originator_version": "version"}
AuditEvent = object_type(audit_model.AuditEntry, "AuditEvent", base=ActorRef, names=_IDS)
AuditFilter = input_type(audit_model.AuditFilter, "AuditFilter", names=_IDS)


def _auditor(ctx: Context) -> None:
    """NotAllowed unless the principal audits."""
    if granting_role(ctx.principal.roles, Permission.AUDIT) is None:
        raise query_error(
            errors.NotAllowed("audit queries need the auditor, regulator or head_office role")
        )


AtTime = Annotated[
    datetime,
    strawberry.argument(
        description="A moment, by the clock `clock` names (default RECORDED: when the store "
        "recorded events); without a zone it is taken in the branch's time zone."
    ),
]
ClockArg = Annotated[
    Clock,
    strawberry.argument(
        description="Which time of each event `at` is compared with: RECORDED (when the store "
        "recorded it) or BUSINESS (the time its command gave). The record is replayed from "
        "its events in order up to the first one after `at`."
    ),
]


def aware(ctx: Context, at: datetime) -> datetime:
    """A time without a zone is taken in the branch's time zone (as the docs say)."""
    return branch_time(at, ctx.runtime.settings.branch_timezone)


@strawberry.type(description="One event of a record, as stored, with who did it and why.")
class HistoryEntry(ActorRef):
    notification_id: int = strawberry.field(description="The event's position in the log.")
    version: int = strawberry.field(description="The record's version after the event.")
    event_type: str = strawberry.field(description="The event's type, e.g. Client.Registered.")
    recorded_at: datetime = strawberry.field(
        description="Recording clock: when the store recorded it."
    )
    occurred_at: datetime = strawberry.field(
        description="Business clock: the time its command gave."
    )
    actor: UUID = strawberry.field(description="Who caused it (all zeros: the command line).")
    actor_role: str = strawberry.field(description="The role the actor acted in, at that time.")
    branch: str = strawberry.field(description="The actor's branch at that time.")
    reason: str | None = strawberry.field(description="The reason given, if any.")
    correlation_id: UUID = strawberry.field(description="Ties the events of one request.")
    causation_id: UUID = strawberry.field(description="What caused this event.")
    fields: JSON = strawberry.field(description="The event's data; personal data masked by role.")
    chain_hash: str = strawberry.field(description="SHA-256 chain hash of the stored row.")

    @classmethod
    def of(cls, r: audit.RecordedEvent, seen: Visibility) -> HistoryEntry:
        """From a decoded stored event."""
        e = r.envelope
        return cls(
            notification_id=r.notification_id,
            version=r.event.originator_version,
            event_type=r.type_name,
            recorded_at=r.event.timestamp,
            occurred_at=e.occurred_at,
            actor=e.actor,
            actor_role=e.actor_role,
            branch=e.branch_id,
            reason=e.reason,
            correlation_id=e.correlation_id,
            causation_id=e.causation_id,
            fields=JSON(r.fields(seen)),
            chain_hash=r.chain_hash,
        )


@strawberry.type(description="A page of a record's history.")
class HistoryConnection(Counted):
    nodes: list[HistoryEntry] = strawberry.field(description="The events on this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


@strawberry.type(description="Any record replayed from the events recorded up to a moment.")
class RecordAsOf:
    aggregate_id: UUID = strawberry.field(description="The record.")
    aggregate_type: str = strawberry.field(description="Its kind, e.g. Client.")
    version: int = strawberry.field(description="Its version at that moment.")
    position: int = strawberry.field(description="Notification id of its last event by then.")
    last_recorded_at: datetime = strawberry.field(
        description="When that event was recorded (recording clock)."
    )
    state: JSON = strawberry.field(description="Its attributes then; personal data masked.")
    last_occurred_at: datetime | None = strawberry.field(
        default=None, description="The time that event's command gave (business clock)."
    )


@strawberry.type(description="A page of the audit trail.")
class AuditEventConnection(Counted):
    nodes: list[AuditEvent] = strawberry.field(description="The entries on this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


def _events(
    ctx: Context,
    record: UUID,
    at: datetime | None = None,
    after: int = 0,
    limit: int | None = None,
    clock: Clock = Clock.RECORDED,
) -> Any:
    """(events, visibility) of one record, read from the event store; with ``at``, the events
    up to that moment by ``clock``."""

    def load(curs: Any) -> tuple[list[audit.RecordedEvent], Visibility]:
        events = audit.recorded_events(
            ctx.runtime.app, curs, record, after_version=after, limit=limit
        )
        if at is not None:
            events = up_to(events, aware(ctx, at), clock, lambda r: r.event)
        return events, audit.seen_by(curs, record, ctx.principal.roles)

    return read(ctx, load)


def _event_count(ctx: Context, record: UUID) -> Any:
    """How many events the record has (for ``totalCount``)."""

    def count(curs: Any) -> int:
        curs.execute(
            "SELECT count(*) AS n FROM backoffice_events WHERE originator_id = %s", (record,)
        )
        return int(curs.fetchone()["n"])

    return read(ctx, count)


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Every event of one record, in order, from the event store.")
    async def history(
        self,
        info: Info[Context, None],
        aggregate_id: RecordRef,
        first: First = 50,
        after: After = None,
    ) -> HistoryConnection:
        ctx = info.context
        _auditor(ctx)
        try:
            start = int(decode_cursor(after)[0]) if after else 0
            check_first(first)
        except (ValueError, IndexError):
            raise query_error(ValueError("bad cursor or page size (first is 1-200)")) from None
        found, seen = await _events(ctx, aggregate_id, None, start, first + 1)
        page = found[:first]
        return HistoryConnection(
            nodes=[HistoryEntry.of(r, seen) for r in page],
            page_info=PageInfo(
                end_cursor=encode_cursor([page[-1].event.originator_version]) if page else None,
                has_next_page=len(found) > first,
            ),
            counter=lambda: _event_count(ctx, aggregate_id),
        )

    @strawberry.field(
        description="Any record as it stood at `at`: replayed from its events up to then, by "
        "the recording clock (default) or the business clock (`clock`); a time without a zone "
        "is in the branch's time zone. Null if the record did not exist yet."
    )
    async def as_of(
        self,
        info: Info[Context, None],
        aggregate_id: RecordRef,
        at: AtTime,
        clock: ClockArg = Clock.RECORDED,
    ) -> RecordAsOf | None:
        ctx = info.context
        _auditor(ctx)
        moment = aware(ctx, at)

        def load(curs: Any) -> tuple[audit.AsOf | None, Visibility]:
            # From the nearest snapshot before the moment (the same state as from scratch),
            # masked by the same rule as every other path.
            found = audit.as_of(ctx.runtime.app, curs, aggregate_id, moment, clock)
            return found, audit.seen_by(curs, aggregate_id, ctx.principal.roles)

        found, seen = await read(ctx, load)
        if found is None:
            return None
        aggregate, last = found.aggregate, found.last
        return RecordAsOf(
            aggregate_id=aggregate_id,
            aggregate_type=type(aggregate).__name__,
            version=aggregate.version,
            position=last.notification_id,
            last_recorded_at=last.event.timestamp,
            last_occurred_at=last.envelope.occurred_at,
            state=JSON(audit.state_of(aggregate, seen)),
        )

    @strawberry.field(
        description="A client as it stood at `at` (by `clock`, as for asOf), in the "
        "directory's shape."
    )
    async def client_as_of(
        self,
        info: Info[Context, None],
        id: RecordRef,
        at: AtTime,
        clock: ClockArg = Clock.RECORDED,
    ) -> Client | None:
        ctx = info.context
        _auditor(ctx)
        events, seen = await _events(ctx, id, at, clock=clock)
        row = audit.replay_rows(events, client_model.evolve)
        return None if row is None else build(Client, mask(row, seen))

    @strawberry.field(
        description="An order as it stood at `at` (by `clock`, as for asOf), timeline up to then."
    )
    async def order_as_of(
        self,
        info: Info[Context, None],
        id: RecordRef,
        at: AtTime,
        clock: ClockArg = Clock.RECORDED,
    ) -> Order | None:
        ctx = info.context
        _auditor(ctx)
        events, seen = await _events(ctx, id, at, clock=clock)
        row = audit.replay_rows(events, order_model.evolve)
        if row is None:
            return None
        restricted = not seen.names
        return order_view(row, ctx.principal.roles, restricted, upto=events[-1].notification_id)

    @strawberry.field(description="The audit trail, in notification order, with filters.")
    async def audit_events(
        self,
        info: Info[Context, None],
        filter: Annotated[
            AuditFilter | None,
            strawberry.argument(description="Which ones (a filter left out matches all)."),
        ] = None,
        first: First = 100,
        after: After = None,
        min_position: MinPosition = None,
    ) -> AuditEventConnection:
        ctx = info.context
        _auditor(ctx)
        try:
            branch = visible_branch(ctx, Permission.AUDIT, getattr(filter, "branch", None))
            start = int(decode_cursor(after)[0]) if after else 0
            check_first(first)
        except (errors.DomainError, ValueError, IndexError) as exc:
            raise query_error(
                exc
                if isinstance(exc, errors.DomainError | ValueError)
                else ValueError("bad cursor")
            ) from None
        flt = to_filter(
            filter,
            audit_model.AuditFilter,
            zone=ctx.runtime.settings.branch_timezone,
            branch=branch,
        )
        try:
            audit_model.check_filter(flt)
        except ValueError as exc:
            raise query_error(exc) from None
        found = await read(
            ctx,
            lambda curs: audit_model.entries(curs, flt, start, first + 1),
            models=[audit_model.AuditModel.name],
            min_position=min_position,
        )
        page = found[:first]
        return AuditEventConnection(
            nodes=[build(AuditEvent, e) for e in page],
            page_info=PageInfo(
                end_cursor=encode_cursor([page[-1].notification_id]) if page else None,
                has_next_page=len(found) > first,
            ),
            counter=lambda: read(ctx, lambda curs: audit_model.count(curs, flt)),
        )
