"""Orders: ``order``, ``orders``, ``flaggedOrders``, ``traderKpis``, ``instruments``, and the
mutations of an order's life."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql.common import CommandResult, PageInfo, query_error, run_command, visible_branch
from api.graphql.context import Context
from domain import errors
from domain.access import Permission
from domain.application import BackOffice
from domain.application import CommandResult as DomainResult
from domain.envelope import Command
from projections import instruments as instrument_model
from projections import orders as model
from projections.paging import Page

READ_MODELS = [model.OrderModel.name]


@strawberry.type
class TimelineEntry:
    version: int
    position: int
    event_type: str
    occurred_at: datetime
    actor: UUID
    actor_role: str
    reason: str | None
    details: JSON


@strawberry.type(description="An order as the blotter has it.")
class Order:
    id: UUID
    client_id: UUID
    branch: str
    acting_person: str | None
    account_number: str
    instrument_code: str
    side: str
    quantity: int
    order_type: str
    limit_price: Decimal | None
    channel: str
    received_at: datetime
    taken_by: UUID
    status: str
    flag_status: str
    flag_rules: list[str]
    risk_acknowledged: bool
    reviewed_by: UUID | None
    reviewed_at: datetime | None
    reason_codes: list[str]
    filled_quantity: int
    average_price: Decimal | None
    last_executed_at: datetime | None
    cancelled_quantity: int
    cancel_cause: str | None
    fed_back_at: datetime | None
    feedback_channel: str | None
    archived_at: datetime | None
    version: int
    position: int
    #: For an order replayed as of a moment: show only the timeline up to this position.
    upto: strawberry.Private[int | None] = None

    @strawberry.field(description="Every event of the order, with who did it and in which role.")
    async def timeline(self, info: Info[Context, None]) -> list[TimelineEntry]:
        ctx = info.context

        def read() -> list[model.TimelineEntry]:
            with ctx.runtime.cursor() as curs:
                return model.timeline(curs, self.id)

        return [
            TimelineEntry(
                version=t.version,
                position=t.position,
                event_type=t.event_type,
                occurred_at=t.occurred_at,
                actor=t.actor,
                actor_role=t.actor_role,
                reason=t.reason,
                details=json.loads(json.dumps(t.details)),
            )
            for t in await ctx.run(read)
            if self.upto is None or t.position <= self.upto
        ]

    @classmethod
    def from_row(cls, r: model.OrderRow, upto: int | None = None) -> Order:
        """The GraphQL view of a blotter row."""
        return cls(
            id=r.id,
            client_id=r.client_id,
            branch=r.branch,
            acting_person=r.acting_person,
            account_number=r.account_number,
            instrument_code=r.instrument_code,
            side=r.side,
            quantity=r.quantity,
            order_type=r.order_type,
            limit_price=r.limit_price,
            channel=r.channel,
            received_at=r.received_at,
            taken_by=r.taken_by,
            status=r.status,
            flag_status=r.flag_status,
            flag_rules=list(r.flag_rules),
            risk_acknowledged=r.risk_acknowledged,
            reviewed_by=r.reviewed_by,
            reviewed_at=r.reviewed_at,
            reason_codes=list(r.reason_codes),
            filled_quantity=r.filled_quantity,
            average_price=r.average_price,
            last_executed_at=r.last_executed_at,
            cancelled_quantity=r.cancelled_quantity,
            cancel_cause=r.cancel_cause,
            fed_back_at=r.fed_back_at,
            feedback_channel=r.feedback_channel,
            archived_at=r.archived_at,
            version=r.version,
            position=r.position,
            upto=upto,
        )


@strawberry.type
class OrderConnection:
    nodes: list[Order]
    page_info: PageInfo


@strawberry.input
class OrderFilter:
    branch: str | None = None
    client_id: UUID | None = None
    instrument_code: str | None = None
    status: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    flagged: bool | None = None


@strawberry.type
class Instrument:
    code: str
    name: str
    board: str
    risk_level: str
    board_lot: int
    status: str
    restricted: bool


@strawberry.type(description="One trader's month.")
class TraderKpi:
    trader: UUID
    month: str
    reviewed: int
    accepted: int
    cancelled_for_error: int
    review_accuracy: Decimal | None
    average_minutes_to_review: Decimal | None
    average_minutes_to_feedback: Decimal | None


def _visible(ctx: Context, row: model.OrderRow | None) -> model.OrderRow | None:
    if row is not None:
        visible_branch(ctx, Permission.VIEW_ORDERS, row.branch)
    return row


@strawberry.type
class OrderQuery:
    @strawberry.field(description="One order with its lifecycle timeline.")
    async def order(
        self, info: Info[Context, None], id: UUID, min_position: int | None = None
    ) -> Order | None:
        ctx = info.context
        await ctx.wait_for(READ_MODELS, min_position)

        def read() -> model.OrderRow | None:
            with ctx.runtime.cursor() as curs:
                return model.get(curs, id)

        try:
            row = _visible(ctx, await ctx.run(read))
        except (errors.DomainError, ValueError) as exc:
            raise query_error(exc) from None
        return None if row is None else Order.from_row(row)

    @strawberry.field(description="The order blotter, by receipt time; keyset pages.")
    async def orders(
        self,
        info: Info[Context, None],
        filter: OrderFilter | None = None,
        first: int = 50,
        after: str | None = None,
        min_position: int | None = None,
    ) -> OrderConnection:
        ctx = info.context
        await ctx.wait_for(READ_MODELS, min_position)
        f = filter or OrderFilter()
        try:
            flt = model.OrderFilter(
                branch=visible_branch(ctx, Permission.VIEW_ORDERS, f.branch),
                client_id=f.client_id,
                instrument_code=f.instrument_code.upper() if f.instrument_code else None,
                status=f.status.lower() if f.status else None,
                received_from=f.received_from,
                received_to=f.received_to,
                flagged=f.flagged,
            )

            def read() -> Page[model.OrderRow]:
                with ctx.runtime.cursor() as curs:
                    return model.page(curs, flt, first, after)

            found = await ctx.run(read)
        except (errors.DomainError, ValueError) as exc:
            raise query_error(exc) from None
        return OrderConnection(
            nodes=[Order.from_row(r) for r in found.items],
            page_info=PageInfo(end_cursor=found.end_cursor, has_next_page=found.has_next_page),
        )

    @strawberry.field(description="Risk management's queue: open and escalated flags.")
    async def flagged_orders(
        self, info: Info[Context, None], branch: str | None = None, min_position: int | None = None
    ) -> list[Order]:
        ctx = info.context
        await ctx.wait_for(READ_MODELS, min_position)
        try:
            scope = visible_branch(ctx, Permission.VIEW_ORDERS, branch)
        except (errors.DomainError, ValueError) as exc:
            raise query_error(exc) from None

        def read() -> list[model.OrderRow]:
            with ctx.runtime.cursor() as curs:
                return model.flagged(curs, scope)

        return [Order.from_row(r) for r in await ctx.run(read)]

    @strawberry.field(description="Per trader per month: review accuracy and timeliness.")
    async def trader_kpis(
        self, info: Info[Context, None], year: int, branch: str | None = None
    ) -> list[TraderKpi]:
        ctx = info.context
        try:
            scope = visible_branch(ctx, Permission.VIEW_ORDERS, branch)
        except (errors.DomainError, ValueError) as exc:
            raise query_error(exc) from None
        tz = ctx.runtime.settings.branch_timezone

        def read() -> list[model.TraderKpi]:
            with ctx.runtime.cursor() as curs:
                return model.trader_kpis(curs, scope, year, tz)

        return [TraderKpi(**k.__dict__) for k in await ctx.run(read)]

    @strawberry.field(description="The instrument catalogue, by code or name prefix.")
    async def instruments(
        self,
        info: Info[Context, None],
        prefix: str | None = None,
        board: str | None = None,
        first: int = 50,
    ) -> list[Instrument]:
        ctx = info.context

        def read() -> list[instrument_model.InstrumentRow]:
            with ctx.runtime.cursor() as curs:
                return instrument_model.search(curs, prefix, board, min(max(first, 1), 200))

        return [
            Instrument(
                code=r.code,
                name=r.name,
                board=r.board,
                risk_level=r.risk_level,
                board_lot=r.board_lot,
                status=r.status,
                restricted=r.restricted,
            )
            for r in await ctx.run(read)
        ]


@strawberry.input
class ReceiveOrderInput:
    client_id: UUID
    account_number: str
    instrument_code: str
    side: str = strawberry.field(description="buy or sell")
    quantity: int
    order_type: str = strawberry.field(description="limit or market")
    channel: str = strawberry.field(description="counter, phone or online")
    limit_price: Decimal | None = None
    received_at: datetime | None = strawberry.field(
        default=None, description="When the client gave it (microseconds kept); default: now."
    )
    acting_person: str | None = strawberry.field(
        default=None, description="Who gave the instruction when not the client."
    )
    id: UUID | None = None


@strawberry.input
class RecordFillInput:
    order_id: UUID
    execution_id: str
    quantity: int
    price: Decimal
    executed_at: datetime


async def _order_command(
    info: Info[Context, None],
    act: Callable[[BackOffice, Command], DomainResult],
    expected_version: int | None,
    idempotency_key: str | None,
    reason: str | None,
) -> CommandResult:
    return await run_command(
        info,
        act,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
        reason=reason,
    )


@strawberry.type
class OrderMutation:
    @strawberry.mutation(description="Take a client's instruction (abnormal trades get flagged).")
    async def receive_order(
        self,
        info: Info[Context, None],
        input: ReceiveOrderInput,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        ctx = info.context
        order_id = input.id or uuid4()
        now = ctx.runtime.clock()
        received_at = input.received_at or now
        received_on = ctx.runtime.business_date(received_at)

        def cancellations() -> int:
            with ctx.runtime.cursor() as curs:
                return model.cancellations_on(curs, input.client_id, received_on)

        cancelled_today = await ctx.run(cancellations)
        return await _order_command(
            info,
            lambda app, cmd: app.receive_order(
                cmd,
                order_id=order_id,
                client_id=input.client_id,
                account_number=input.account_number,
                instrument_code=input.instrument_code,
                side=input.side,
                quantity=input.quantity,
                order_type=input.order_type,
                limit_price=input.limit_price,
                channel=input.channel,
                received_at=received_at,
                acting_person=input.acting_person,
                cancellations_today=cancelled_today,
                received_on=received_on,
            ),
            None,
            idempotency_key,
            reason,
        )

    @strawberry.mutation(
        description="Review (traders, not the taker): every check runs and is recorded; any "
        "failure or any rejectCodes (PRICE_SANITY, INSTRUCTION_UNCLEAR, OTHER) rejects it."
    )
    async def review_order(
        self,
        info: Info[Context, None],
        order_id: UUID,
        reject_codes: list[str] | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await _order_command(
            info,
            lambda app, cmd: app.review_order(cmd, order_id=order_id, reject_codes=reject_codes),
            expected_version,
            idempotency_key,
            reason,
        )

    @strawberry.mutation(
        description="Record the client's signed acknowledgement of a risk warning."
    )
    async def acknowledge_risk_disclosure(
        self,
        info: Info[Context, None],
        order_id: UUID,
        warning_ref: str,
        signed_at: datetime | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        at = signed_at or info.context.runtime.clock()
        return await _order_command(
            info,
            lambda app, cmd: app.acknowledge_risk_disclosure(
                cmd, order_id=order_id, warning_ref=warning_ref, signed_at=at
            ),
            expected_version,
            idempotency_key,
            reason,
        )

    @strawberry.mutation(description="Record an execution (traders).")
    async def record_fill(
        self,
        info: Info[Context, None],
        input: RecordFillInput,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await _order_command(
            info,
            lambda app, cmd: app.record_fill(
                cmd,
                order_id=input.order_id,
                execution_id=input.execution_id,
                quantity=input.quantity,
                price=input.price,
                executed_at=input.executed_at,
            ),
            expected_version,
            idempotency_key,
            reason,
        )

    @strawberry.mutation(
        description="Cancel what is unfilled; cause: client_request, error, expired."
    )
    async def cancel_order(
        self,
        info: Info[Context, None],
        order_id: UUID,
        cause: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await _order_command(
            info,
            lambda app, cmd: app.cancel_order(cmd, order_id=order_id, cause=cause),
            expected_version,
            idempotency_key,
            reason,
        )

    @strawberry.mutation(description="Record that the result was reported to the client.")
    async def record_order_feedback(
        self,
        info: Info[Context, None],
        order_id: UUID,
        channel: str,
        fed_back_at: datetime | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        at = fed_back_at or info.context.runtime.clock()
        return await _order_command(
            info,
            lambda app, cmd: app.record_order_feedback(
                cmd, order_id=order_id, channel=channel, fed_back_at=at
            ),
            expected_version,
            idempotency_key,
            reason,
        )

    @strawberry.mutation(description="Archive a final order whose result was reported.")
    async def archive_order(
        self,
        info: Info[Context, None],
        order_id: UUID,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await _order_command(
            info,
            lambda app, cmd: app.archive_order(cmd, order_id=order_id),
            expected_version,
            idempotency_key,
            reason,
        )

    @strawberry.mutation(description="Risk management clears a flag (risk role).")
    async def clear_order_flag(
        self,
        info: Info[Context, None],
        order_id: UUID,
        note: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await _order_command(
            info,
            lambda app, cmd: app.clear_order_flag(cmd, order_id=order_id, note=note),
            expected_version,
            idempotency_key,
            reason,
        )

    @strawberry.mutation(description="Risk management escalates a flag (risk role).")
    async def escalate_order_flag(
        self,
        info: Info[Context, None],
        order_id: UUID,
        note: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await _order_command(
            info,
            lambda app, cmd: app.escalate_order_flag(cmd, order_id=order_id, note=note),
            expected_version,
            idempotency_key,
            reason,
        )

    @strawberry.mutation(description="Allow a client to trade on ChiNext, STAR or the BSE.")
    async def grant_trading_permission(
        self,
        info: Info[Context, None],
        client_id: UUID,
        board: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await _order_command(
            info,
            lambda app, cmd: app.grant_trading_permission(cmd, client_id=client_id, board=board),
            expected_version,
            idempotency_key,
            reason,
        )
