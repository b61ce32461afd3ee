"""Clients: ``client``, ``clients`` and one mutation per client command."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from api.graphql.commands import mutation
from api.graphql.common import (
    After,
    First,
    MinPosition,
    PageInfo,
    RecordRef,
    may_see,
    query_error,
    read,
    visible_branch,
)
from api.graphql.complaints import Complaint, of_client
from api.graphql.context import Context
from api.graphql.derive import build, input_type, object_type, to_filter
from api.graphql.traversal import ClientRefs, Counted
from domain import clients as c
from domain import errors
from domain.access import Permission
from domain.privacy import mask, visibility
from projections import client_list
from projections import clients as model
from projections.client_list import ClientSort

READ_MODELS = [model.ClientModel.name]
#: Approving and rejecting an identity change take the same input.
DECIDE = "DecideIdentityChangeInput"


@strawberry.type
class ClientLinks(ClientRefs):
    @strawberry.field(description="Events recorded for this client (its version).")
    def event_count(self) -> int:
        return int(self.version)  # type: ignore[attr-defined]

    @strawberry.field(description="The client's complaints, newest first.")
    async def complaints(self, info: Info[Context, None]) -> list[Complaint]:
        return await of_client(info.context, self.id)  # type: ignore[attr-defined]


Client = object_type(model.ClientRow, "Client", base=ClientLinks)
ClientFilter = input_type(client_list.ClientFilter, "ClientFilter")


def view(ctx: Context, row: model.ClientRow) -> object:
    """A row as this principal may see it (one masking policy: ``domain.privacy``)."""
    seen = visibility(ctx.principal.roles, row.processing_restricted)
    return build(Client, mask(row, seen))


def shown(ctx: Context, row: model.ClientRow | None) -> Any:
    """The client as this principal may see it, or None when it does not exist or is not
    visible to them (the same answer), wherever it is reached from."""
    if row is None or not may_see(ctx, Permission.VIEW_CLIENTS, row.branch):
        return None
    return view(ctx, row)


@strawberry.type(description="A page of clients.")
class ClientConnection(Counted):
    nodes: list[Client] = strawberry.field(description="The clients on this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


@strawberry.type
class ClientQuery:
    @strawberry.field(description="One client, if visible to you (else null).")
    async def client(
        self, info: Info[Context, None], id: RecordRef, min_position: MinPosition = None
    ) -> Client | None:
        ctx = info.context
        row = await read(
            ctx, lambda curs: model.get(curs, id), models=READ_MODELS, min_position=min_position
        )
        return shown(ctx, row)

    @strawberry.field(
        description="Clients in registration order unless `orderBy` says otherwise; keyset "
        "pages of at most 200."
    )
    async def clients(
        self,
        info: Info[Context, None],
        filter: Annotated[
            ClientFilter | None,
            strawberry.argument(description="Which ones (a filter left out matches all)."),
        ] = None,
        first: First = 50,
        after: After = None,
        min_position: MinPosition = None,
        order_by: Annotated[
            ClientSort,
            strawberry.argument(
                description="The sort (a cursor works only with its own sort). NAME leaves "
                "out clients whose names are hidden from you."
            ),
        ] = ClientSort.REGISTERED_AT,
    ) -> ClientConnection:
        ctx = info.context
        try:
            branch = visible_branch(ctx, Permission.VIEW_CLIENTS, getattr(filter, "branch", None))
        except errors.DomainError as exc:
            raise query_error(exc) from None
        flt = to_filter(
            filter,
            client_list.ClientFilter,
            zone=ctx.runtime.settings.branch_timezone,
            branch=branch,
        )
        hidden = not visibility(ctx.principal.roles, restricted=True).names
        found = await read(
            ctx,
            lambda curs: client_list.page(
                curs, flt, first, after, names_hidden=hidden, sort=order_by
            ),
            models=READ_MODELS,
            min_position=min_position,
        )
        return ClientConnection(
            nodes=[view(ctx, r) for r in found.items],
            page_info=PageInfo(end_cursor=found.end_cursor, has_next_page=found.has_next_page),
            counter=lambda: read(
                ctx,
                lambda curs: client_list.count(curs, flt, names_hidden=hidden, sort=order_by),
            ),
        )


@strawberry.type
class ClientMutation:
    register_client = mutation(c.RegisterClient)
    record_identity = mutation(c.RecordIdentity)
    record_contact = mutation(c.RecordContact)
    assess_risk = mutation(c.AssessRisk)
    classify_investor = mutation(c.ClassifyInvestor)
    assess_qualified_investor = mutation(c.AssessQualifiedInvestor)
    add_beneficial_owner = mutation(c.AddBeneficialOwner)
    sign_agreement = mutation(c.SignAgreement)
    open_account = mutation(c.OpenAccount)
    request_identity_change = mutation(c.RequestIdentityChange)
    approve_identity_change = mutation(c.ApproveIdentityChange, input_name=DECIDE)
    reject_identity_change = mutation(c.RejectIdentityChange, input_name=DECIDE)
    freeze_client = mutation(c.FreezeClient, flat=True)
    unfreeze_client = mutation(c.UnfreezeClient, flat=True)
    request_erasure = mutation(c.RequestErasure, flat=True)
    close_client = mutation(c.CloseClient)
    grant_trading_permission = mutation(c.GrantTradingPermission, flat=True)
