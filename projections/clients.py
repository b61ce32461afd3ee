"""The client directory and profile, the document-type policy metric and the
clients-developed KPI."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from domain.clients import Client, ClientStatus
from domain.identity import DocumentType
from projections.base import ReadModel, select_one, upsert
from projections.paging import BadCursor, Page, check_first, decode_cursor, encode_cursor

#: At most this share of individual clients may be on documents other than the 18-digit ID.
NON_RESIDENT_ID_LIMIT = Decimal("0.03")


@dataclass(frozen=True)
class ClientRow:
    """One row of ``clients``."""

    id: UUID
    client_type: str
    name: str
    source_channel: str
    account_manager: UUID
    branch: str
    status: str
    registered_at: datetime
    version: int
    position: int
    identity_verified: bool = False
    document_type: str | None = None
    document_number: str | None = None
    birth_date: date | None = None
    risk_level: str | None = None
    risk_assessed_on: date | None = None
    risk_expires_on: date | None = None
    classification: str | None = None
    qualified: bool | None = None
    account_number: str | None = None
    opened_at: datetime | None = None
    closed_on: date | None = None
    contact: dict[str, Any] | None = None
    beneficial_owners: list[dict[str, Any]] = field(default_factory=list)
    agreements: list[dict[str, Any]] = field(default_factory=list)
    pending_changes: list[dict[str, Any]] = field(default_factory=list)
    trading_permissions: list[str] = field(default_factory=list)
    processing_restricted: bool = False


def evolve(row: ClientRow | None, event: DomainEventProtocol[Any], position: int) -> ClientRow:
    """The client row after ``event``: a pure function of the row before it."""
    if isinstance(event, Client.Registered):
        return ClientRow(
            id=event.originator_id,
            client_type=event.client_type,
            name=event.name,
            source_channel=event.source_channel,
            account_manager=event.account_manager,
            branch=event.branch,
            status=ClientStatus.PROSPECT.value,
            registered_at=event.envelope.occurred_at,
            version=event.originator_version,
            position=position,
        )
    if row is None:
        raise LookupError(f"{type(event).__name__} for unknown client {event.originator_id}")
    row = replace(row, version=event.originator_version, position=position)
    at = event.envelope.occurred_at  # type: ignore[attr-defined]
    if isinstance(event, Client.IdentityRecorded):
        return replace(
            row,
            name=event.real_name,
            identity_verified=True,
            document_type=event.document_type,
            document_number=event.document_number,
            birth_date=event.birth_date,
        )
    if isinstance(event, Client.ContactRecorded):
        return replace(
            row,
            contact={
                "mobile": event.mobile,
                "landline": event.landline,
                "id_address": event.id_address,
                "mailing_address": event.mailing_address,
                "recorded_at": at.isoformat(),
            },
        )
    if isinstance(event, Client.RiskAssessed):
        return replace(
            row,
            risk_level=event.level,
            risk_assessed_on=event.assessed_on,
            risk_expires_on=event.expires_on,
        )
    if isinstance(event, Client.InvestorClassified):
        return replace(row, classification=event.classification)
    if isinstance(event, Client.QualifiedInvestorAssessed):
        return replace(row, qualified=event.qualified)
    if isinstance(event, Client.BeneficialOwnerAdded):
        owner = {
            "name": event.name,
            "document_type": event.document_type,
            "document_number": event.document_number,
            "share": str(event.share),
        }
        return replace(row, beneficial_owners=[*row.beneficial_owners, owner])
    if isinstance(event, Client.AgreementSigned):
        agreement = {
            "agreement_type": event.agreement_type,
            "version": event.version,
            "signed_on": event.signed_on.isoformat(),
        }
        return replace(row, agreements=[*row.agreements, agreement])
    if isinstance(event, Client.AccountOpened):
        return replace(
            row, account_number=event.account_number, opened_at=at, status=ClientStatus.ACTIVE.value
        )
    if isinstance(event, Client.IdentityChangeRequested):
        change = {
            "request_id": str(event.request_id),
            "real_name": event.real_name,
            "document_type": event.document_type,
            "document_number": event.document_number,
            "birth_date": event.birth_date.isoformat() if event.birth_date else None,
            "evidence_ref": event.evidence_ref,
            "reason": event.envelope.reason,
            "requested_by": str(event.envelope.actor),
            "requested_at": at.isoformat(),
        }
        return replace(row, pending_changes=[*row.pending_changes, change])
    if isinstance(event, Client.IdentityChangeApproved):
        change = next(c for c in row.pending_changes if c["request_id"] == str(event.request_id))
        rest = [c for c in row.pending_changes if c is not change]
        row = replace(row, pending_changes=rest)
        if change["real_name"] is not None:
            row = replace(row, name=change["real_name"])
        if change["document_number"] is not None:
            birth = change["birth_date"]
            row = replace(
                row,
                document_type=change["document_type"],
                document_number=change["document_number"],
                birth_date=date.fromisoformat(birth) if birth else None,
            )
        return row
    if isinstance(event, Client.IdentityChangeRejected):
        rid = str(event.request_id)
        return replace(
            row, pending_changes=[c for c in row.pending_changes if c["request_id"] != rid]
        )
    if isinstance(event, Client.TradingPermissionGranted):
        return replace(row, trading_permissions=[*row.trading_permissions, event.board])
    if isinstance(event, Client.ProcessingRestricted):
        return replace(row, processing_restricted=True)
    if isinstance(event, Client.Frozen):
        return replace(row, status=ClientStatus.FROZEN.value)
    if isinstance(event, Client.Unfrozen):
        active = row.account_number is not None
        status = ClientStatus.ACTIVE if active else ClientStatus.PROSPECT
        return replace(row, status=status.value)
    if isinstance(event, Client.Closed):
        return replace(row, status=ClientStatus.CLOSED.value, closed_on=event.relationship_ended_on)
    return row


_COLUMNS = tuple(ClientRow.__dataclass_fields__)
_JSON = {"contact", "beneficial_owners", "agreements", "pending_changes"}


def _row(found: DictRow) -> ClientRow:
    return ClientRow(**found)


def get(curs: Cursor[DictRow], client_id: UUID) -> ClientRow | None:
    """One client."""
    found = select_one(curs, "clients", _COLUMNS, "id = %s", client_id)
    return None if found is None else _row(found)


def _save(curs: Cursor[DictRow], row: ClientRow) -> None:
    values = {c: getattr(row, c) for c in _COLUMNS}
    for c in _JSON:
        if values[c] is not None:
            values[c] = Jsonb(values[c])
    upsert(curs, "clients", values)


class ClientModel(ReadModel):
    """Rows in ``clients``."""

    name = "clients"
    topics = tuple(
        get_topic(cls)
        for cls in (
            Client.Registered,
            Client.IdentityRecorded,
            Client.ContactRecorded,
            Client.RiskAssessed,
            Client.InvestorClassified,
            Client.QualifiedInvestorAssessed,
            Client.BeneficialOwnerAdded,
            Client.AgreementSigned,
            Client.AccountOpened,
            Client.IdentityChangeRequested,
            Client.IdentityChangeApproved,
            Client.IdentityChangeRejected,
            Client.TradingPermissionGranted,
            Client.ErasureRequested,
            Client.ProcessingRestricted,
            Client.Frozen,
            Client.Unfrozen,
            Client.Closed,
        )
    )
    tables = ("clients",)

    def apply(self, curs: Cursor[DictRow], event: DomainEventProtocol[Any], position: int) -> None:
        _save(curs, evolve(get(curs, event.originator_id), event, position))


# -- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientFilter:
    """Filters of the client directory; None means any."""

    branch: str | None = None
    status: str | None = None
    risk_level: str | None = None
    account_manager: UUID | None = None
    name_prefix: str | None = None


def page(
    curs: Cursor[DictRow], flt: ClientFilter, first: int, after: str | None
) -> Page[ClientRow]:
    """Clients in registration order, ``first`` at a time after the cursor ``after``."""
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    for column, value in (
        ("branch", flt.branch),
        ("status", flt.status),
        ("risk_level", flt.risk_level),
        ("account_manager", flt.account_manager),
    ):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if flt.name_prefix:
        where.append("name LIKE %s")
        params.append(
            flt.name_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    if after is not None:
        key = decode_cursor(after)
        if len(key) != 2:
            raise BadCursor("cursor is not one this service handed out")
        try:
            where.append("(registered_at, id) > (%s, %s)")
            params.extend([datetime.fromisoformat(str(key[0])), UUID(str(key[1]))])
        except ValueError:
            raise BadCursor("cursor is not one this service handed out") from None
    curs.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM clients WHERE {' AND '.join(where)}"  # noqa: S608
        " ORDER BY registered_at, id LIMIT %s",
        [*params, check_first(first) + 1],
    )
    rows = [_row(r) for r in curs.fetchall()]
    has_next = len(rows) > first
    rows = rows[:first]
    end = encode_cursor([rows[-1].registered_at.isoformat(), str(rows[-1].id)]) if rows else None
    return Page(rows, end, has_next)


@dataclass(frozen=True)
class DocumentPolicy:
    """Share of individual clients on documents other than the 18-digit ID, per branch."""

    branch: str
    individuals: int
    other_documents: int
    limit: Decimal = NON_RESIDENT_ID_LIMIT

    @property
    def share(self) -> Decimal:
        """other_documents / individuals (0 when there are none)."""
        if not self.individuals:
            return Decimal(0)
        return (Decimal(self.other_documents) / Decimal(self.individuals)).quantize(
            Decimal("0.0001")
        )

    @property
    def within_limit(self) -> bool:
        """True when the share does not exceed the limit."""
        return self.share <= self.limit


def document_policy(curs: Cursor[DictRow], branch: str | None) -> list[DocumentPolicy]:
    """The policy metric for one branch, or for every branch."""
    curs.execute(
        "SELECT branch, count(*) AS individuals,"
        " count(*) FILTER (WHERE document_type <> %s) AS other_documents"
        " FROM clients WHERE client_type = 'individual' AND identity_verified"
        " AND status <> 'closed' AND (%s::text IS NULL OR branch = %s)"
        " GROUP BY branch ORDER BY branch",
        (DocumentType.RESIDENT_ID.value, branch, branch),
    )
    return [
        DocumentPolicy(r["branch"], r["individuals"], r["other_documents"]) for r in curs.fetchall()
    ]


@dataclass(frozen=True)
class ClientsDeveloped:
    """Accounts opened by one account manager's clients in one month."""

    account_manager: UUID
    month: str
    count: int


def clients_developed(
    curs: Cursor[DictRow], branch: str | None, year: int, timezone: str
) -> list[ClientsDeveloped]:
    """Accounts opened per account manager per month (months in the branch's time zone)."""
    curs.execute(
        "SELECT account_manager, to_char(opened_at AT TIME ZONE %s, 'YYYY-MM') AS month,"
        " count(*) AS n FROM clients"
        " WHERE opened_at IS NOT NULL"
        " AND extract(year FROM opened_at AT TIME ZONE %s) = %s"
        " AND (%s::text IS NULL OR branch = %s)"
        " GROUP BY 1, 2 ORDER BY 2, 1",
        (timezone, timezone, year, branch, branch),
    )
    return [ClientsDeveloped(r["account_manager"], r["month"], r["n"]) for r in curs.fetchall()]


def restricted_clients(curs: Cursor[DictRow]) -> set[UUID]:
    """Clients whose processing is restricted after an erasure request."""
    curs.execute("SELECT id FROM clients WHERE processing_restricted")
    return {r["id"] for r in curs.fetchall()}


def is_restricted(curs: Cursor[DictRow], record_id: UUID) -> bool:
    """True when the record is a client whose processing is restricted."""
    curs.execute("SELECT processing_restricted FROM clients WHERE id = %s", (record_id,))
    found = curs.fetchone()
    return bool(found and found["processing_restricted"])
