"""The client directory as a list: its filter, its sorts, pages and counts. Kept apart from
``projections.clients`` (the read model itself) so that each stays short."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.clients import ClientStatus, RiskLevel
from projections.base import col
from projections.clients import TABLE, ClientRow
from projections.paging import Key, Ordering, Page, like_prefix


@dataclass(frozen=True)
class ClientFilter:
    """Filters of the client directory; a filter left out matches every client."""

    branch: str | None = col(
        "Only this branch (default: yours, or all for head office).", default=None
    )
    status: str | None = col("Only clients in this status.", enum=ClientStatus, default=None)
    risk_level: str | None = col("Only this current risk level.", enum=RiskLevel, default=None)
    account_manager: UUID | None = col("Only this account manager's clients.", default=None)
    name_prefix: str | None = col(
        "Names starting with this (never matches names hidden from you).", default=None
    )
    registered_from: datetime | None = col(
        "Registered at or after this time (business clock: the time given with the registration).",
        default=None,
    )
    registered_to: datetime | None = col(
        "Registered before this time (business clock).", default=None
    )
    risk_expires_before: date | None = col(
        "Only clients whose current risk assessment expires before this date (due for "
        "reassessment).",
        default=None,
    )


class ClientSort(StrEnum):
    """How the directory is sorted: REGISTERED_AT (oldest first), REGISTERED_AT_DESC (newest
    first), NAME; ties by id. A cursor works only with the sort that handed it out."""

    REGISTERED_AT = "registered_at"
    REGISTERED_AT_DESC = "registered_at_desc"
    NAME = "name"


_REGISTRATION = (Key("registered_at", datetime.fromisoformat), Key("id", UUID))
SORTS = {
    ClientSort.REGISTERED_AT: Ordering("registered_at", _REGISTRATION),
    ClientSort.REGISTERED_AT_DESC: Ordering("registered_at_desc", _REGISTRATION, descending=True),
    ClientSort.NAME: Ordering("name", (Key("name"), Key("id", UUID))),
}


def _where(flt: ClientFilter, names_hidden: bool, sort: ClientSort) -> list[tuple[str, Any]]:
    # A hidden name must not be found letter by letter, by prefix or by its place in a list
    # sorted by name: such clients are left out of both for readers who may not see them.
    hide = names_hidden and (flt.name_prefix is not None or sort is ClientSort.NAME)
    return [
        ("branch = %s", flt.branch),
        ("status = %s", flt.status),
        ("risk_level = %s", flt.risk_level),
        ("account_manager = %s", flt.account_manager),
        ("name LIKE %s", like_prefix(flt.name_prefix)),
        ("NOT processing_restricted AND %s", True if hide else None),
        ("registered_at >= %s", flt.registered_from),
        ("registered_at < %s", flt.registered_to),
        ("risk_expires_on < %s", flt.risk_expires_before),
    ]


def page(
    curs: Cursor[DictRow],
    flt: ClientFilter,
    first: int,
    after: str | None,
    *,
    names_hidden: bool = False,
    sort: ClientSort = ClientSort.REGISTERED_AT,
) -> Page[ClientRow]:
    """Clients in ``sort`` order (default: registration), ``first`` at a time after the
    cursor ``after``. With ``names_hidden`` a name prefix, or a sort by name, never shows a
    client whose processing is restricted, so hidden names cannot be guessed."""
    return TABLE.page(curs, _where(flt, names_hidden, sort), SORTS[sort], first, after)


def count(
    curs: Cursor[DictRow],
    flt: ClientFilter,
    *,
    names_hidden: bool = False,
    sort: ClientSort = ClientSort.REGISTERED_AT,
) -> int:
    """How many clients ``page`` would list over all its pages."""
    return TABLE.count(curs, _where(flt, names_hidden, sort))
