"""Auditors: ``history``, ``asOf`` (generic), ``clientAsOf``, ``orderAsOf``, ``auditEvents``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api import audit
from api.graphql.clients import Client
from api.graphql.common import CommandResult, PageInfo, query_error, run_command, visible_branch
from api.graphql.context import Context
from api.graphql.orders import Order
from domain import errors
from domain.access import Permission, granting_role
from projections import audit as audit_model
from projections import clients as client_model
from projections import orders as order_model
from projections import performance
from projections import retention as retention_model
from projections.paging import check_first, decode_cursor, encode_cursor


async def _visibility(ctx: Context, aggregate_id: UUID, full: bool) -> tuple[bool, frozenset[str]]:
    see = granting_role(ctx.principal.roles, Permission.SEE_RESTRICTED_DATA) is not None

    def read() -> tuple[bool, frozenset[str]]:
        with ctx.runtime.cursor() as curs:
            return audit.visibility(curs, aggregate_id, full, see)

    return await ctx.run(read)


def _auditor(ctx: Context) -> bool:
    """True when the principal may see personal data in full; NotAllowed unless auditing."""
    if granting_role(ctx.principal.roles, Permission.AUDIT) is None:
        raise errors.NotAllowed("audit queries need the auditor, regulator or head_office role")
    return granting_role(ctx.principal.roles, Permission.SEE_FULL_IDENTITY) is not None


@strawberry.type(description="One event of a record, as stored, with who did it and why.")
class HistoryEntry:
    notification_id: int
    version: int
    event_type: str
    recorded_at: datetime = strawberry.field(description="When the store recorded it.")
    occurred_at: datetime = strawberry.field(description="Business time, given with the command.")
    actor: UUID
    actor_role: str = strawberry.field(description="The role the actor acted in, at that time.")
    branch: str = strawberry.field(description="The actor's branch at that time.")
    reason: str | None
    correlation_id: UUID
    causation_id: UUID
    fields: JSON = strawberry.field(description="The event's data; personal data masked.")
    chain_hash: str = strawberry.field(description="SHA-256 chain hash of the stored row.")

    @classmethod
    def of(
        cls, r: audit.RecordedEvent, full: bool, hidden: frozenset[str] = audit.PERSONAL_FIELDS
    ) -> HistoryEntry:
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
            fields=JSON(r.fields(full, hidden)),
            chain_hash=r.chain_hash,
        )


@strawberry.type
class HistoryConnection:
    nodes: list[HistoryEntry]
    page_info: PageInfo


@strawberry.type(description="Any record replayed from the events recorded up to a moment.")
class RecordAsOf:
    aggregate_id: UUID
    aggregate_type: str
    version: int
    position: int
    last_recorded_at: datetime
    state: JSON


@strawberry.type(description="One entry of the audit trail.")
class AuditEvent:
    notification_id: int
    aggregate_id: UUID
    version: int
    aggregate_type: str
    event_type: str
    actor: UUID
    actor_role: str
    branch: str
    occurred_at: datetime
    recorded_at: datetime
    reason: str | None
    correlation_id: UUID
    causation_id: UUID


@strawberry.type
class AuditEventConnection:
    nodes: list[AuditEvent]
    page_info: PageInfo


@strawberry.input
class AuditFilter:
    event_type: str | None = strawberry.field(default=None, description="e.g. Order.Reviewed")
    aggregate_type: str | None = strawberry.field(default=None, description="e.g. Client")
    actor: UUID | None = None
    branch: str | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    aggregate_id: UUID | None = None


async def _events(
    ctx: Context, aggregate_id: UUID, at: datetime | None, after: int = 0, limit: int | None = None
) -> list[audit.RecordedEvent]:
    def read() -> list[audit.RecordedEvent]:
        with ctx.runtime.cursor() as curs:
            return audit.recorded_events(
                ctx.runtime.app,
                curs,
                aggregate_id,
                after_version=after,
                limit=limit,
                recorded_until=at,
            )

    return await ctx.run(read)


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Every event of one record, in order, from the event store.")
    async def history(
        self,
        info: Info[Context, None],
        aggregate_id: UUID,
        first: int = 50,
        after: str | None = None,
    ) -> HistoryConnection:
        ctx = info.context
        try:
            full = _auditor(ctx)
            start = int(decode_cursor(after)[0]) if after else 0
            if not 1 <= first <= 200:
                raise ValueError("first must be between 1 and 200")
        except (errors.DomainError, ValueError, IndexError) as exc:
            raise query_error(
                exc
                if isinstance(exc, errors.DomainError | ValueError)
                else ValueError("bad cursor")
            ) from None
        full, hidden = await _visibility(ctx, aggregate_id, full)
        found = await _events(ctx, aggregate_id, None, start, first + 1)
        page = found[:first]
        return HistoryConnection(
            nodes=[HistoryEntry.of(r, full, hidden) for r in page],
            page_info=PageInfo(
                end_cursor=encode_cursor([page[-1].event.originator_version]) if page else None,
                has_next_page=len(found) > first,
            ),
        )

    @strawberry.field(description="Any record as it stood at ``at`` (events recorded up to then).")
    async def as_of(
        self, info: Info[Context, None], aggregate_id: UUID, at: datetime
    ) -> RecordAsOf | None:
        ctx = info.context
        try:
            full = _auditor(ctx)
        except errors.DomainError as exc:
            raise query_error(exc) from None
        full, hidden = await _visibility(ctx, aggregate_id, full)
        events = await _events(ctx, aggregate_id, at)
        aggregate = audit.replay(events)
        if aggregate is None:
            return None
        return RecordAsOf(
            aggregate_id=aggregate_id,
            aggregate_type=type(aggregate).__name__,
            version=aggregate.version,
            position=events[-1].notification_id,
            last_recorded_at=events[-1].event.timestamp,
            state=JSON(audit.state_of(aggregate, full, hidden)),
        )

    @strawberry.field(description="A client as it stood at ``at``, in the directory's shape.")
    async def client_as_of(
        self, info: Info[Context, None], id: UUID, at: datetime
    ) -> Client | None:
        ctx = info.context
        try:
            full = _auditor(ctx)
        except errors.DomainError as exc:
            raise query_error(exc) from None
        full, hidden = await _visibility(ctx, id, full)
        row = audit.replay_rows(await _events(ctx, id, at), client_model.evolve)
        if row is None:
            return None
        return Client.from_row(row, full, hide_name="name" in hidden and not full)

    @strawberry.field(description="An order as it stood at ``at``, timeline up to then.")
    async def order_as_of(self, info: Info[Context, None], id: UUID, at: datetime) -> Order | None:
        ctx = info.context
        try:
            _auditor(ctx)
        except errors.DomainError as exc:
            raise query_error(exc) from None
        events = await _events(ctx, id, at)
        row = audit.replay_rows(events, order_model.evolve)
        return None if row is None else Order.from_row(row, upto=events[-1].notification_id)

    @strawberry.field(description="The audit trail, in notification order, with filters.")
    async def audit_events(
        self,
        info: Info[Context, None],
        filter: AuditFilter | None = None,
        first: int = 100,
        after: str | None = None,
        min_position: int | None = None,
    ) -> AuditEventConnection:
        ctx = info.context
        await ctx.wait_for([audit_model.AuditModel.name], min_position)
        f = filter or AuditFilter()
        try:
            _auditor(ctx)
            flt = audit_model.AuditFilter(
                event_type=f.event_type,
                aggregate_type=f.aggregate_type,
                actor=f.actor,
                branch=visible_branch(ctx, Permission.AUDIT, f.branch),
                recorded_from=f.recorded_from,
                recorded_to=f.recorded_to,
                originator_id=f.aggregate_id,
            )
            start = int(decode_cursor(after)[0]) if after else 0
            check_first(first)

            def read() -> list[audit_model.AuditEntry]:
                with ctx.runtime.cursor() as curs:
                    return audit_model.entries(curs, flt, start, first + 1)

            found = await ctx.run(read)
        except (errors.DomainError, ValueError, IndexError) as exc:
            raise query_error(
                exc
                if isinstance(exc, errors.DomainError | ValueError)
                else ValueError("bad cursor")
            ) from None
        page = found[:first]
        return AuditEventConnection(
            nodes=[_audit_event(e) for e in page],
            page_info=PageInfo(
                end_cursor=encode_cursor([page[-1].notification_id]) if page else None,
                has_next_page=len(found) > first,
            ),
        )


def _audit_event(e: audit_model.AuditEntry) -> AuditEvent:
    values: dict[str, Any] = dict(e.__dict__)
    values["aggregate_id"] = values.pop("originator_id")
    values["version"] = values.pop("originator_version")
    return AuditEvent(**values)


@strawberry.type
class ManagerCount:
    account_manager: UUID
    count: int


@strawberry.type(description="KPIs of one branch and period, combined from the read models.")
class BranchPerformance:
    branch: str
    period: str
    clients_developed: int
    clients_developed_by_manager: list[ManagerCount]
    active_clients: int
    orders_received: int
    orders_reviewed: int
    review_accuracy: Decimal | None
    average_minutes_to_review: Decimal | None
    average_minutes_to_feedback: Decimal | None
    flagged_orders: int
    complaint_reply_timeliness: Decimal | None = strawberry.field(
        description="Not recorded yet: complaints are not part of the system so far."
    )
    budget_adherence: Decimal | None = strawberry.field(
        description="Not recorded yet: expenses are not part of the system so far."
    )


@strawberry.type
class PerformanceQuery:
    @strawberry.field(description="Period: 2026, 2026-Q3 or 2026-11 (branch time zone).")
    async def branch_performance(
        self, info: Info[Context, None], branch: str, period: str
    ) -> BranchPerformance:
        ctx = info.context
        try:
            scope = visible_branch(ctx, Permission.VIEW_CLIENTS, branch) or branch.upper()
            performance.period_bounds(period)
        except (errors.DomainError, ValueError) as exc:
            raise query_error(exc) from None
        tz = ctx.runtime.settings.branch_timezone

        def read() -> performance.BranchPerformance:
            with ctx.runtime.cursor() as curs:
                return performance.branch_performance(curs, scope, period, tz)

        p = await ctx.run(read)
        values = dict(p.__dict__)
        values["clients_developed_by_manager"] = [
            ManagerCount(account_manager=m, count=n) for m, n in p.clients_developed_by_manager
        ]
        return BranchPerformance(**values, complaint_reply_timeliness=None, budget_adherence=None)


@strawberry.type(description="How long one record must be kept, and whether a hold applies.")
class RetentionLine:
    record_id: UUID
    record_class: str
    booked_on: date
    relationship_ended_on: date | None
    preset: str = strawberry.field(description="The preset that decides (the longest wins).")
    earliest_removal: date | None = strawberry.field(
        description="First day it could leave primary storage; null while its clock waits."
    )
    held: bool
    eligible_now: bool


@strawberry.type
class RetentionQuery:
    @strawberry.field(description="Retention of one record (a client's lines, or an order's).")
    async def retention(self, info: Info[Context, None], record_id: UUID) -> list[RetentionLine]:
        ctx = info.context
        try:
            _auditor(ctx)
        except errors.DomainError as exc:
            raise query_error(exc) from None
        today = ctx.runtime.business_date(ctx.runtime.clock())

        def read() -> list[retention_model.RetentionLine]:
            with ctx.runtime.cursor() as curs:
                presets = retention_model.presets_in_force(curs) or ["pboc-2007"]
                return [
                    line
                    for line in retention_model.report(
                        curs, presets, ctx.runtime.settings.branch_timezone
                    )
                    if line.record_id == record_id
                ]

        return [
            RetentionLine(
                **dict(line.__dict__.items()), eligible_now=line.eligible(today)
            )
            for line in await ctx.run(read)
        ]


@strawberry.type
class RetentionMutation:
    @strawberry.mutation(description="Place a legal hold on a client or record; reason required.")
    async def place_legal_hold(
        self,
        info: Info[Context, None],
        subject_id: UUID,
        reason: str,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.place_legal_hold(cmd, subject_id=subject_id),
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Lift a legal hold; reason required.")
    async def lift_legal_hold(
        self,
        info: Info[Context, None],
        subject_id: UUID,
        reason: str,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.lift_legal_hold(cmd, subject_id=subject_id),
            idempotency_key=idempotency_key,
            reason=reason,
        )
