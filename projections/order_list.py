"""The blotter as a list: its filter, its sorts, pages (of all orders or of each client's), and
counts. Kept apart from ``projections.orders`` (the read model itself) so that each stays
short."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from domain.orders import FlagStatus, OrderStatus
from projections.base import col
from projections.orders import _COLUMNS, OrderRow, _row
from projections.paging import Key, Ordering, Page, conditions, count_each, keyset, keyset_each
from projections.paging import count as count_rows


@dataclass(frozen=True)
class OrderFilter:
    """Filters of the blotter; a filter left out matches every order."""

    branch: str | None = col(
        "Only this branch (default: yours, or all for head office).", default=None
    )
    client_id: UUID | None = col("Only this client's orders.", default=None)
    instrument_code: str | None = col("Only this security, e.g. 600519.SH.", default=None)
    status: str | None = col("Only orders in this status.", enum=OrderStatus, default=None)
    received_from: date | None = col("Received on or after this business date.", default=None)
    received_to: date | None = col("Received on or before this business date.", default=None)
    flagged: bool | None = col("Only flagged (true) or unflagged (false) orders.", default=None)
    received_at_from: datetime | None = col(
        "Received at or after this time (business clock: the receipt time the taker gave).",
        default=None,
    )
    received_at_to: datetime | None = col(
        "Received before this time (business clock: the receipt time the taker gave).",
        default=None,
    )
    min_quantity: int | None = col("At least this many shares ordered.", default=None)
    max_quantity: int | None = col("At most this many shares ordered.", default=None)
    flag_status: str | None = col(
        "Only orders whose risk flag is in this state.", enum=FlagStatus, default=None
    )
    awaiting_risk: bool | None = col(
        "Only orders in risk management's queue, flag open or escalated (true), or only the "
        "others (false).",
        default=None,
    )


class OrderSort(StrEnum):
    """How the blotter is sorted: RECEIVED_AT (oldest first), RECEIVED_AT_DESC (newest
    first), QUANTITY_DESC (largest first); ties by id. A cursor works only with the sort that
    handed it out."""

    RECEIVED_AT = "received_at"
    RECEIVED_AT_DESC = "received_at_desc"
    QUANTITY_DESC = "quantity_desc"


_RECEIPT = (Key("received_at", datetime.fromisoformat), Key("id", UUID))
SORTS = {
    OrderSort.RECEIVED_AT: Ordering("received_at", _RECEIPT),
    OrderSort.RECEIVED_AT_DESC: Ordering("received_at_desc", _RECEIPT, descending=True),
    OrderSort.QUANTITY_DESC: Ordering(
        "quantity_desc", (Key("quantity", int), Key("id", UUID)), descending=True
    ),
}


def _where(flt: OrderFilter) -> list[tuple[str, Any]]:
    return [
        ("branch = %s", flt.branch),
        ("client_id = %s", flt.client_id),
        # Codes are stored upper-case (600519.SH); a filter typed in lower case finds them too.
        ("instrument_code = %s", flt.instrument_code and flt.instrument_code.upper()),
        ("status = %s", flt.status),
        ("received_on >= %s", flt.received_from),
        ("received_on <= %s", flt.received_to),
        ("(flag_status <> 'none') = %s", flt.flagged),
        ("received_at >= %s", flt.received_at_from),
        ("received_at < %s", flt.received_at_to),
        ("quantity >= %s", flt.min_quantity),
        ("quantity <= %s", flt.max_quantity),
        ("flag_status = %s", flt.flag_status),
        ("(flag_status IN ('open', 'escalated')) = %s", flt.awaiting_risk),
    ]


def page(
    curs: Cursor[DictRow],
    flt: OrderFilter,
    first: int,
    after: str | None,
    sort: OrderSort = OrderSort.RECEIVED_AT,
) -> Page[OrderRow]:
    """Orders in ``sort`` order (default: by receipt time), ``first`` at a time after the
    cursor ``after``."""
    found = keyset(
        curs,
        table="orders",
        columns=_COLUMNS,
        where=_where(flt),
        order=SORTS[sort],
        first=first,
        after=after,
    )
    return Page([_row(r) for r in found.items], found.end_cursor, found.has_next_page)


#: The filters ``order_counts`` answers (every condition they make names only its columns).
_COUNTED = frozenset({"branch", "status", "flagged", "flag_status", "awaiting_risk"})


def count(curs: Cursor[DictRow], flt: OrderFilter, *, by_table: bool = True) -> int:
    """How many orders match ``flt``: the sum of the matching rows of ``order_counts`` when
    the filter uses only its columns (exact: the projection keeps it with the orders), else
    (or without ``by_table``) by counting the orders."""
    used = {f for f, v in vars(flt).items() if v is not None}
    if by_table and used <= _COUNTED:
        sql, params = conditions(_where(flt))
        curs.execute(
            f"SELECT coalesce(sum(n), 0) AS n FROM order_counts WHERE {' AND '.join(sql)}",  # noqa: S608
            params,
        )
        found = curs.fetchone()
        return int(found["n"]) if found else 0
    return count_rows(curs, "orders", _where(flt))


def pages_by_client(
    curs: Cursor[DictRow],
    clients: Sequence[UUID],
    flt: OrderFilter,
    first: int,
    after: str | None,
    sort: OrderSort = OrderSort.RECEIVED_AT,
) -> dict[UUID, Page[OrderRow]]:
    """The same page of each client's orders, in one statement."""
    found = keyset_each(
        curs,
        table="orders",
        columns=_COLUMNS,
        where=_where(replace(flt, client_id=None)),
        each=("client_id", "uuid", clients),
        order=SORTS[sort],
        first=first,
        after=after,
    )
    return {
        c: Page([_row(r) for r in p.items], p.end_cursor, p.has_next_page) for c, p in found.items()
    }


def counts_by_client(
    curs: Cursor[DictRow], clients: Sequence[UUID], flt: OrderFilter
) -> dict[UUID, int]:
    """How many of each client's orders match ``flt``, in one statement."""
    return count_each(
        curs, "orders", _where(replace(flt, client_id=None)), ("client_id", "uuid", clients)
    )
