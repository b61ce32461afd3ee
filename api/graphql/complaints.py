"""Complaints: ``complaint``, ``complaints``, ``overdueComplaints``, ``complaintAnalysis``,
``complaintDeadlines`` and one mutation per complaint command. Days left and lateness are
computed for today in the branch's time zone (the runtime's clock)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql.commands import mutation
from api.graphql.common import (
    After,
    BranchArg,
    First,
    MinPosition,
    PageInfo,
    may_see,
    query_error,
    read,
    visible_branch,
)
from api.graphql.context import Context
from api.graphql.derive import build, input_type, object_type, to_filter
from api.graphql.traversal import Counted
from domain import complaints as k
from domain import errors
from domain.access import Permission
from domain.complaints.rules import AWAITING_REPLY
from domain.privacy import mask, visibility
from projections import clients as client_model
from projections import complaint_analysis as analysis_model
from projections import complaint_queries as queries
from projections import complaints as model

READ_MODELS = [model.ComplaintModel.name]
ComplaintStep = object_type(queries.ComplaintStep)


def today(ctx: Context) -> date:
    """The branch's calendar date now."""
    return ctx.runtime.business_date(ctx.runtime.clock())


@strawberry.type
class ComplaintLinks:
    restricted: strawberry.Private[bool] = False

    @strawberry.field(
        description="Calendar days left to reply, today (negative: days late); null once replied."
    )
    def days_left(self, info: Info[Context, None]) -> int | None:
        if self.status not in AWAITING_REPLY:  # type: ignore[attr-defined]
            return None
        due: date = self.reply_due_on  # type: ignore[attr-defined]
        return (due - today(info.context)).days

    @strawberry.field(description="The stages late today (the current stage, the reply).")
    def late_stages(self, info: Info[Context, None]) -> list[k.ComplaintStage]:
        late = k.late_stages(
            self.status,  # type: ignore[attr-defined]
            self.stage_due_on,  # type: ignore[attr-defined]
            self.reply_due_on,  # type: ignore[attr-defined]
            today(info.context),
        )
        return [stage for stage, _ in late]

    @strawberry.field(description="True when a stage or the reply is late today.")
    def overdue(self, info: Info[Context, None]) -> bool:
        return bool(self.late_stages(info))

    @strawberry.field(description="Every event of the complaint, with who did it and why.")
    async def timeline(self, info: Info[Context, None]) -> list[ComplaintStep]:
        ctx = info.context
        complaint_id: UUID = self.id  # type: ignore[attr-defined]
        steps = await ctx.loaders.complaint_timeline.load(complaint_id)
        seen = visibility(ctx.principal.roles, self.restricted)
        return [build(ComplaintStep, mask(s, seen)) for s in steps]


Complaint = object_type(model.ComplaintRow, "Complaint", base=ComplaintLinks)
ComplaintFilter = input_type(queries.ComplaintFilter, "ComplaintFilter")
OverdueComplaint = object_type(queries.OverdueComplaint)
ComplaintAnalysis = object_type(analysis_model.ComplaintAnalysis)
ComplaintDeadlines = object_type(queries.DeadlinePolicyRow, "ComplaintDeadlines")


def view(ctx: Context, row: model.ComplaintRow, restricted: bool) -> Any:
    """A complaint as the principal may see it (one masking policy: ``domain.privacy``)."""
    seen = visibility(ctx.principal.roles, restricted)
    return build(Complaint, mask(row, seen), restricted=restricted)


async def of_client(ctx: Context, client_id: UUID) -> list[Any]:
    """A client's complaints, newest first, as the principal may see them."""
    if not may_see(ctx, Permission.VIEW_COMPLAINTS, None):
        return []

    rows, restricted = await ctx.loaders.complaints_of.load(client_id)
    return [
        view(ctx, r, restricted) for r in rows if may_see(ctx, Permission.VIEW_COMPLAINTS, r.branch)
    ]


def _scope(ctx: Context, branch: str | None) -> str | None:
    try:
        return visible_branch(ctx, Permission.VIEW_COMPLAINTS, branch)
    except errors.DomainError as exc:
        raise query_error(exc) from None


@strawberry.type(description="A page of the complaint queue.")
class ComplaintConnection(Counted):
    nodes: list[Complaint] = strawberry.field(description="The complaints on this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


Number = Annotated[
    str | None, strawberry.argument(description="Its number, CP-YYYYMM-NNNN (instead of id).")
]
IdArg = Annotated[UUID | None, strawberry.argument(description="Its id (instead of number).")]
NumberBranch = Annotated[
    str | None,
    strawberry.argument(description="With number: the branch that issued it (default: yours)."),
]
Period = Annotated[
    str,
    strawberry.argument(description="2026, 2026-H1, 2026-Q3, 2026-11 or 2026-W48 (ISO week)."),
]


@strawberry.type
class ComplaintQuery:
    @strawberry.field(description="One complaint by id or number, if visible to you (else null).")
    async def complaint(
        self,
        info: Info[Context, None],
        id: IdArg = None,
        number: Number = None,
        branch: NumberBranch = None,
        min_position: MinPosition = None,
    ) -> Complaint | None:
        ctx = info.context
        if (id is None) == (number is None):
            raise query_error(ValueError("give exactly one of id and number"))
        # Numbers are per branch: yours, or (for head office) the one named, else the first.
        where = _scope(ctx, branch) if number is not None else None

        def get(curs: Any) -> tuple[model.ComplaintRow | None, bool]:
            if id is not None:
                row = model.get(curs, id)
            else:
                row = queries.by_number(curs, where, number or "")
            if row is None or row.client_id is None:
                return row, False
            return row, client_model.is_restricted(curs, row.client_id)

        row, restricted = await read(ctx, get, models=READ_MODELS, min_position=min_position)
        if row is None or not may_see(ctx, Permission.VIEW_COMPLAINTS, row.branch):
            return None
        return view(ctx, row, restricted)

    @strawberry.field(description="The complaint queue, by receipt time; keyset pages.")
    async def complaints(
        self,
        info: Info[Context, None],
        filter: Annotated[
            ComplaintFilter | None,
            strawberry.argument(description="Which ones (a filter left out matches all)."),
        ] = None,
        first: First = 50,
        after: After = None,
        min_position: MinPosition = None,
    ) -> ComplaintConnection:
        ctx = info.context
        branch = _scope(ctx, getattr(filter, "branch", None))
        flt = to_filter(filter, queries.ComplaintFilter, branch=branch)
        day = today(ctx)

        def page(curs: Any) -> tuple[Any, set[UUID]]:
            found = queries.page(curs, flt, first, after, day)
            return found, client_model.restricted_clients(curs)

        found, restricted = await read(ctx, page, models=READ_MODELS, min_position=min_position)
        return ComplaintConnection(
            nodes=[view(ctx, r, r.client_id in restricted) for r in found.items],
            page_info=PageInfo(end_cursor=found.end_cursor, has_next_page=found.has_next_page),
            counter=lambda: read(ctx, lambda curs: queries.count(curs, flt, day)),
        )

    @strawberry.field(
        description="Every late stage of every open complaint today, most overdue first."
    )
    async def overdue_complaints(
        self, info: Info[Context, None], branch: BranchArg = None, min_position: MinPosition = None
    ) -> list[OverdueComplaint]:
        ctx = info.context
        scope = _scope(ctx, branch)
        day = today(ctx)
        rows = await read(
            ctx,
            lambda curs: queries.overdue(curs, scope, day),
            models=READ_MODELS,
            min_position=min_position,
        )
        return [build(OverdueComplaint, r) for r in rows]

    @strawberry.field(
        description="Complaints received, chased, replied and called back in a period, by "
        "category, cause, department and attributed person; reply timeliness per owner, "
        "branch and month."
    )
    async def complaint_analysis(
        self,
        info: Info[Context, None],
        period: Period,
        branch: BranchArg = None,
        min_position: MinPosition = None,
    ) -> ComplaintAnalysis:
        ctx = info.context
        scope = _scope(ctx, branch)
        tz = ctx.runtime.settings.branch_timezone
        found = await read(
            ctx,
            lambda curs: analysis_model.analysis(curs, scope, period, tz),
            models=READ_MODELS,
            min_position=min_position,
        )
        return build(ComplaintAnalysis, found)

    @strawberry.field(description="The complaint deadline terms in force.")
    async def complaint_deadlines(
        self, info: Info[Context, None], min_position: MinPosition = None
    ) -> ComplaintDeadlines:
        ctx = info.context
        _scope(ctx, None)
        found = await read(
            ctx, queries.deadline_policy, models=READ_MODELS, min_position=min_position
        )
        if found is None:
            terms = k.DEFAULT_TERMS
            found = queries.DeadlinePolicyRow(
                **terms.__dict__,
                analyst_role="marketing",
                version=0,
                changed_at=None,
                changed_by=None,
                reason=None,
            )
        return build(ComplaintDeadlines, found)


@strawberry.type
class ComplaintMutation:
    receive_complaint = mutation(k.ReceiveComplaint)
    resolve_complaint_at_once = mutation(k.ResolveComplaintAtOnce)
    transfer_complaint_ownership = mutation(k.TransferComplaintOwnership, flat=True)
    take_complaint_into_handling = mutation(k.TakeComplaintIntoHandling, flat=True)
    assign_complaint = mutation(k.AssignComplaint)
    add_investigation_note = mutation(k.AddInvestigationNote, flat=True)
    propose_resolution = mutation(k.ProposeResolution, flat=True)
    approve_resolution = mutation(k.ApproveResolution, flat=True)
    return_resolution = mutation(k.ReturnResolution, flat=True)
    reply_to_complaint = mutation(k.ReplyToComplaint, flat=True)
    record_complaint_feedback = mutation(k.RecordComplaintFeedback, flat=True)
    close_complaint = mutation(k.CloseComplaint, flat=True)
    reopen_complaint = mutation(k.ReopenComplaint, flat=True)
    chase_complaint = mutation(k.ChaseComplaint, flat=True)
    set_complaint_deadlines = mutation(k.SetComplaintDeadlines, flat=True)
