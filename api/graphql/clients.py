"""Clients: ``client``, ``clients``, the document policy metric, the clients-developed KPI,
and one mutation per client command."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import strawberry
from strawberry.types import Info

from api.audit import mask_name
from api.graphql.common import CommandResult, PageInfo, query_error, run_command, visible_branch
from api.graphql.context import Context
from domain import errors
from domain.access import Permission, granting_role
from projections import clients as model
from projections.paging import Page

READ_MODELS = [model.ClientModel.name]


def _mask(value: str | None, full: bool) -> str | None:
    """All but the last four characters hidden, unless the role may see everything."""
    if value is None or full:
        return value
    return "*" * max(len(value) - 4, 0) + value[-4:]


@strawberry.type
class ClientContact:
    mobile: str | None
    landline: str | None
    id_address: str
    mailing_address: str


@strawberry.type
class BeneficialOwner:
    name: str
    document_type: str
    document_number: str
    share: Decimal


@strawberry.type
class Agreement:
    agreement_type: str
    version: str
    signed_on: date


@strawberry.type
class IdentityChangeRequest:
    request_id: UUID
    real_name: str | None
    document_type: str | None
    document_number: str | None
    evidence_ref: str
    reason: str | None
    requested_by: UUID
    requested_at: datetime


@strawberry.type(description="A client as the client read model has it.")
class Client:
    id: UUID
    client_type: str
    name: str
    source_channel: str
    account_manager: UUID
    branch: str
    status: str
    identity_verified: bool
    document_type: str | None
    document_number: str | None = strawberry.field(
        description="Last four characters only, unless the role may see the whole number."
    )
    birth_date: date | None
    risk_level: str | None
    risk_assessed_on: date | None
    risk_expires_on: date | None
    classification: str | None
    qualified: bool | None
    account_number: str | None
    registered_at: datetime
    opened_at: datetime | None
    closed_on: date | None
    contact: ClientContact | None
    beneficial_owners: list[BeneficialOwner]
    agreements: list[Agreement]
    pending_changes: list[IdentityChangeRequest]
    event_count: int = strawberry.field(description="Events recorded for this client.")
    version: int
    position: int

    processing_restricted: bool = strawberry.field(
        description="After an erasure request: personal data only for auditors and regulators."
    )

    @classmethod
    def from_row(cls, row: model.ClientRow, full: bool, hide_name: bool = False) -> Client:
        """The GraphQL view of a row; personal data masked unless ``full``."""
        c: dict[str, Any] | None = row.contact
        return cls(
            id=row.id,
            client_type=row.client_type,
            name=mask_name(row.name) if hide_name else row.name,
            processing_restricted=row.processing_restricted,
            source_channel=row.source_channel,
            account_manager=row.account_manager,
            branch=row.branch,
            status=row.status,
            identity_verified=row.identity_verified,
            document_type=row.document_type,
            document_number=_mask(row.document_number, full),
            birth_date=row.birth_date if full else None,
            risk_level=row.risk_level,
            risk_assessed_on=row.risk_assessed_on,
            risk_expires_on=row.risk_expires_on,
            classification=row.classification,
            qualified=row.qualified,
            account_number=row.account_number,
            registered_at=row.registered_at,
            opened_at=row.opened_at,
            closed_on=row.closed_on,
            contact=None
            if c is None
            else ClientContact(
                mobile=_mask(c["mobile"], full),
                landline=_mask(c["landline"], full),
                id_address=c["id_address"] if full else "***",
                mailing_address=c["mailing_address"] if full else "***",
            ),
            beneficial_owners=[
                BeneficialOwner(
                    name=o["name"],
                    document_type=o["document_type"],
                    document_number=_mask(o["document_number"], full) or "",
                    share=Decimal(o["share"]),
                )
                for o in row.beneficial_owners
            ],
            agreements=[
                Agreement(
                    agreement_type=a["agreement_type"],
                    version=a["version"],
                    signed_on=date.fromisoformat(a["signed_on"]),
                )
                for a in row.agreements
            ],
            pending_changes=[
                IdentityChangeRequest(
                    request_id=UUID(p["request_id"]),
                    real_name=mask_name(p["real_name"])
                    if hide_name and p["real_name"]
                    else p["real_name"],
                    document_type=p["document_type"],
                    document_number=_mask(p["document_number"], full),
                    evidence_ref=p["evidence_ref"],
                    reason=p["reason"],
                    requested_by=UUID(p["requested_by"]),
                    requested_at=datetime.fromisoformat(p["requested_at"]),
                )
                for p in row.pending_changes
            ],
            event_count=row.version,
            version=row.version,
            position=row.position,
        )


@strawberry.type
class ClientConnection:
    nodes: list[Client]
    page_info: PageInfo


@strawberry.input
class ClientFilter:
    branch: str | None = None
    status: str | None = None
    risk_level: str | None = None
    account_manager: UUID | None = None
    name_prefix: str | None = None


@strawberry.type(description="Individual clients on documents other than the 18-digit ID.")
class DocumentPolicy:
    branch: str
    individuals: int
    other_documents: int
    share: Decimal
    limit: Decimal
    within_limit: bool


@strawberry.type(description="Accounts opened for one account manager's clients in a month.")
class ClientsDeveloped:
    account_manager: UUID
    month: str
    count: int


def view(ctx: Context, row: model.ClientRow) -> Client:
    """A row as this principal may see it: restricted clients are shown in full only to the
    roles that may see restricted data, with names hidden from everyone else."""
    if row.processing_restricted:
        allowed = granting_role(ctx.principal.roles, Permission.SEE_RESTRICTED_DATA) is not None
        return Client.from_row(row, allowed, hide_name=not allowed)
    full = granting_role(ctx.principal.roles, Permission.SEE_FULL_IDENTITY) is not None
    return Client.from_row(row, full)


@strawberry.type
class ClientQuery:
    @strawberry.field(description="One client, if visible to the caller.")
    async def client(
        self, info: Info[Context, None], id: UUID, min_position: int | None = None
    ) -> Client | None:
        ctx = info.context
        await ctx.wait_for(READ_MODELS, min_position)

        def read() -> model.ClientRow | None:
            with ctx.runtime.cursor() as curs:
                return model.get(curs, id)

        try:
            row = await ctx.run(read)
            if row is not None:
                visible_branch(ctx, Permission.VIEW_CLIENTS, row.branch)
        except (errors.DomainError, ValueError) as exc:
            raise query_error(exc) from None
        return None if row is None else view(ctx, row)

    @strawberry.field(description="Clients in registration order; keyset pages of at most 200.")
    async def clients(
        self,
        info: Info[Context, None],
        filter: ClientFilter | None = None,
        first: int = 50,
        after: str | None = None,
        min_position: int | None = None,
    ) -> ClientConnection:
        ctx = info.context
        await ctx.wait_for(READ_MODELS, min_position)
        f = filter or ClientFilter()
        try:
            branch = visible_branch(ctx, Permission.VIEW_CLIENTS, f.branch)
            flt = model.ClientFilter(
                branch,
                f.status.lower() if f.status else None,
                f.risk_level.upper() if f.risk_level else None,
                f.account_manager,
                f.name_prefix,
            )

            def read() -> Page[model.ClientRow]:
                with ctx.runtime.cursor() as curs:
                    return model.page(curs, flt, first, after)

            found = await ctx.run(read)
        except (errors.DomainError, ValueError) as exc:
            raise query_error(exc) from None
        return ClientConnection(
            nodes=[view(ctx, r) for r in found.items],
            page_info=PageInfo(end_cursor=found.end_cursor, has_next_page=found.has_next_page),
        )

    @strawberry.field(description="The 3% policy metric on non-18-digit documents, per branch.")
    async def client_document_policy(
        self, info: Info[Context, None], branch: str | None = None
    ) -> list[DocumentPolicy]:
        ctx = info.context
        try:
            scope = visible_branch(ctx, Permission.VIEW_CLIENTS, branch)
        except (errors.DomainError, ValueError) as exc:
            raise query_error(exc) from None

        def read() -> list[model.DocumentPolicy]:
            with ctx.runtime.cursor() as curs:
                return model.document_policy(curs, scope)

        return [
            DocumentPolicy(
                branch=p.branch,
                individuals=p.individuals,
                other_documents=p.other_documents,
                share=p.share,
                limit=p.limit,
                within_limit=p.within_limit,
            )
            for p in await ctx.run(read)
        ]

    @strawberry.field(description="KPI: accounts opened per account manager per month.")
    async def clients_developed(
        self, info: Info[Context, None], year: int, branch: str | None = None
    ) -> list[ClientsDeveloped]:
        ctx = info.context
        try:
            scope = visible_branch(ctx, Permission.VIEW_CLIENTS, branch)
        except (errors.DomainError, ValueError) as exc:
            raise query_error(exc) from None
        tz = ctx.runtime.settings.branch_timezone

        def read() -> list[model.ClientsDeveloped]:
            with ctx.runtime.cursor() as curs:
                return model.clients_developed(curs, scope, year, tz)

        return [
            ClientsDeveloped(account_manager=d.account_manager, month=d.month, count=d.count)
            for d in await ctx.run(read)
        ]


# -- mutations -------------------------------------------------------------------------------


@strawberry.input
class RegisterClientInput:
    client_type: str = strawberry.field(description="individual or institution")
    name: str
    source_channel: str = strawberry.field(description="phone, online, referral, walk_in, event")
    account_manager: UUID
    branch: str | None = strawberry.field(default=None, description="Default: your branch.")
    id: UUID | None = strawberry.field(
        default=None, description="Chosen by the client for safe retries; generated if absent."
    )


@strawberry.input
class RecordIdentityInput:
    client_id: UUID
    real_name: str = strawberry.field(description="Exactly as on the document.")
    document_type: str
    document_number: str


@strawberry.input
class RecordContactInput:
    client_id: UUID
    id_address: str
    mailing_address: str
    mobile: str | None = None
    landline: str | None = None


@strawberry.input
class AssessRiskInput:
    client_id: UUID
    level: str = strawberry.field(description="C1 to C5")
    assessed_on: date | None = strawberry.field(default=None, description="Default: today.")


@strawberry.input
class ClassifyInvestorInput:
    client_id: UUID
    classification: str = strawberry.field(description="ordinary or professional")
    financial_assets: Decimal | None = None
    average_income: Decimal | None = strawberry.field(
        default=None, description="Average yearly income over the last 3 years."
    )
    experience_years: int = 0
    net_assets: Decimal | None = None


@strawberry.input
class AssessQualifiedInvestorInput:
    client_id: UUID
    evidence_ref: str
    family_financial_assets: Decimal | None = None
    net_assets: Decimal | None = None


@strawberry.input
class AddBeneficialOwnerInput:
    client_id: UUID
    name: str
    document_type: str
    document_number: str
    share: Decimal = strawberry.field(description="Percentage, above 0 and at most 100.")


@strawberry.input
class SignAgreementInput:
    client_id: UUID
    agreement_type: str = strawberry.field(
        description="client_agreement, risk_disclosure, online_trading, privacy_notice"
    )
    version: str
    signed_on: date | None = None


@strawberry.input
class OpenAccountInput:
    client_id: UUID
    account_number: str


@strawberry.input
class RequestIdentityChangeInput:
    client_id: UUID
    evidence_ref: str
    real_name: str | None = None
    document_type: str | None = None
    document_number: str | None = None
    request_id: UUID | None = None


@strawberry.input
class DecideIdentityChangeInput:
    client_id: UUID
    request_id: UUID


@strawberry.input
class CloseClientInput:
    client_id: UUID
    ended_on: date | None = strawberry.field(default=None, description="Default: today.")


@strawberry.type
class ClientMutation:
    @strawberry.mutation(description="Register a prospect (marketing, account managers).")
    async def register_client(
        self,
        info: Info[Context, None],
        input: RegisterClientInput,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        client_id = input.id or uuid4()
        return await run_command(
            info,
            lambda app, cmd: app.register_client(
                cmd,
                client_id=client_id,
                client_type=input.client_type,
                name=input.name,
                source_channel=input.source_channel,
                account_manager=input.account_manager,
                branch=input.branch,
            ),
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Record the verified real-name identity.")
    async def record_identity(
        self,
        info: Info[Context, None],
        input: RecordIdentityInput,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.record_identity(
                cmd,
                client_id=input.client_id,
                real_name=input.real_name,
                document_type=input.document_type,
                document_number=input.document_number,
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Record phones and addresses.")
    async def record_contact(
        self,
        info: Info[Context, None],
        input: RecordContactInput,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.record_contact(
                cmd,
                client_id=input.client_id,
                mobile=input.mobile,
                landline=input.landline,
                id_address=input.id_address,
                mailing_address=input.mailing_address,
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Record a risk assessment (valid 24 months by default).")
    async def assess_risk(
        self,
        info: Info[Context, None],
        input: AssessRiskInput,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.assess_risk(
                cmd, client_id=input.client_id, level=input.level, assessed_on=input.assessed_on
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Classify ordinary or professional (CSRC Order 130).")
    async def classify_investor(
        self,
        info: Info[Context, None],
        input: ClassifyInvestorInput,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.classify_investor(
                cmd,
                client_id=input.client_id,
                classification=input.classification,
                financial_assets=input.financial_assets,
                average_income=input.average_income,
                experience_years=input.experience_years,
                net_assets=input.net_assets,
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Record a qualified-investor assessment with evidence.")
    async def assess_qualified_investor(
        self,
        info: Info[Context, None],
        input: AssessQualifiedInvestorInput,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.assess_qualified_investor(
                cmd,
                client_id=input.client_id,
                evidence_ref=input.evidence_ref,
                family_financial_assets=input.family_financial_assets,
                net_assets=input.net_assets,
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Record a beneficial owner.")
    async def add_beneficial_owner(
        self,
        info: Info[Context, None],
        input: AddBeneficialOwnerInput,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.add_beneficial_owner(
                cmd,
                client_id=input.client_id,
                name=input.name,
                document_type=input.document_type,
                document_number=input.document_number,
                share=input.share,
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Record a signed agreement.")
    async def sign_agreement(
        self,
        info: Info[Context, None],
        input: SignAgreementInput,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.sign_agreement(
                cmd,
                client_id=input.client_id,
                agreement_type=input.agreement_type,
                version=input.version,
                signed_on=input.signed_on,
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(
        description="Open the account: needs verified identity, a current risk assessment "
        "and a signed client agreement; the number is unique in the branch."
    )
    async def open_account(
        self,
        info: Info[Context, None],
        input: OpenAccountInput,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.open_account(
                cmd, client_id=input.client_id, account_number=input.account_number
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(
        description="Request a change of name or document; `reason` is required. It takes "
        "effect only when another staff member with a supervising role approves it."
    )
    async def request_identity_change(
        self,
        info: Info[Context, None],
        input: RequestIdentityChangeInput,
        reason: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        request_id = input.request_id or uuid4()
        return await run_command(
            info,
            lambda app, cmd: app.request_identity_change(
                cmd,
                client_id=input.client_id,
                request_id=request_id,
                evidence_ref=input.evidence_ref,
                real_name=input.real_name,
                document_type=input.document_type,
                document_number=input.document_number,
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(
        description="Approve a pending identity change (supervisor, not the requester)."
    )
    async def approve_identity_change(
        self,
        info: Info[Context, None],
        input: DecideIdentityChangeInput,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.approve_identity_change(
                cmd, client_id=input.client_id, request_id=input.request_id
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Reject a pending identity change; `reason` is required.")
    async def reject_identity_change(
        self,
        info: Info[Context, None],
        input: DecideIdentityChangeInput,
        reason: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.reject_identity_change(
                cmd, client_id=input.client_id, request_id=input.request_id
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Freeze a client (supervisor); `reason` is required.")
    async def freeze_client(
        self,
        info: Info[Context, None],
        client_id: UUID,
        reason: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.freeze_client(cmd, client_id=client_id),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Lift a freeze (supervisor); `reason` is required.")
    async def unfreeze_client(
        self,
        info: Info[Context, None],
        client_id: UUID,
        reason: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.unfreeze_client(cmd, client_id=client_id),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(
        description="Record a client's erasure request: during retention nothing is deleted; "
        "processing is restricted (PIPL Art. 47) and the outcome recorded."
    )
    async def request_erasure(
        self,
        info: Info[Context, None],
        client_id: UUID,
        channel: str,
        reason: str | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.request_erasure(cmd, client_id=client_id, channel=channel),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    @strawberry.mutation(description="Close the relationship (supervisor).")
    async def close_client(
        self,
        info: Info[Context, None],
        input: CloseClientInput,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> CommandResult:
        return await run_command(
            info,
            lambda app, cmd: app.close_client(
                cmd, client_id=input.client_id, ended_on=input.ended_on
            ),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            reason=reason,
        )
