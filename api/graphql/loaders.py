"""The DataLoaders of one request: every record a list reaches through a field (each order's
client, reviewer, timeline; each client's orders) is read with one statement per kind and
level, whatever the length of the list. Made per request (``Context.loaders``) so that their
caches never outlive it; they add no validation rule, so graphql-core's caches still hit."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow
from strawberry.dataloader import DataLoader

from projections import (
    clients,
    complaint_queries,
    complaints,
    instruments,
    order_list,
    orders,
    staff,
)
from projections.paging import Page

if TYPE_CHECKING:
    from api.graphql.context import Context

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class OrdersOf:
    """One page of one client's orders, as a nested field asks for it."""

    client_id: UUID
    filter: order_list.OrderFilter
    first: int
    after: str | None
    sort: order_list.OrderSort


@dataclass(frozen=True)
class CountOf:
    """How many of one client's orders match a filter."""

    client_id: UUID
    filter: order_list.OrderFilter


class Loaders:
    """One DataLoader per kind of record a field can reach, made on first use."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def _read(self, model: str, fn: Callable[[Cursor[DictRow]], V]) -> V:
        """Read ``model``, after waiting for the position the request's query waited for (so
        that a record reached through a field is as fresh as the list it hangs from)."""
        from api.graphql.common import read  # common imports the context, which makes these

        wanted = max((c.requested for c in self.ctx.consistency), default=None)
        return await read(self.ctx, fn, models=[model], min_position=wanted)

    def _by_key(
        self, model: str, many: Callable[[Cursor[DictRow], list[K]], dict[K, V]]
    ) -> DataLoader[K, V | None]:
        async def load(keys: list[K]) -> list[V | None]:
            found = await self._read(model, lambda curs: many(curs, keys))
            return [found.get(k) for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def client(self) -> DataLoader[UUID, clients.ClientRow | None]:
        """Clients by id."""
        return self._by_key(clients.ClientModel.name, clients.get_many)

    @cached_property
    def staff(self) -> DataLoader[UUID, staff.StaffRow | None]:
        """Staff members by id."""
        return self._by_key(staff.StaffModel.name, staff.get_many)

    @cached_property
    def instrument(self) -> DataLoader[str, instruments.InstrumentRow | None]:
        """Instruments by code."""
        return self._by_key(instruments.InstrumentModel.name, instruments.get_many)

    @cached_property
    def timeline(self) -> DataLoader[UUID, list[orders.TimelineEntry]]:
        """Each order's timeline."""

        async def load(keys: list[UUID]) -> list[list[orders.TimelineEntry]]:
            found = await self._read(
                orders.OrderModel.name, lambda curs: orders.timelines(curs, keys)
            )
            return [found[k] for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def complaint_timeline(self) -> DataLoader[UUID, list[complaint_queries.ComplaintStep]]:
        """Each complaint's timeline."""

        async def load(keys: list[UUID]) -> list[list[complaint_queries.ComplaintStep]]:
            found = await self._read(
                complaints.ComplaintModel.name,
                lambda curs: complaint_queries.timelines(curs, keys),
            )
            return [found[k] for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def complaints_of(self) -> DataLoader[UUID, tuple[list[complaints.ComplaintRow], bool]]:
        """Each client's complaints, newest first, and whether the client is restricted."""

        async def load(keys: list[UUID]) -> list[tuple[list[complaints.ComplaintRow], bool]]:
            def read(curs: Cursor[DictRow]) -> Any:
                found = complaint_queries.of_clients(curs, keys)
                return found, clients.restricted_among(curs, keys)

            found, restricted = await self._read(complaints.ComplaintModel.name, read)
            return [(found[k], k in restricted) for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def orders_of(self) -> DataLoader[OrdersOf, Page[orders.OrderRow]]:
        """A page of each client's orders: one statement per distinct page asked for."""

        async def load(keys: list[OrdersOf]) -> list[Page[orders.OrderRow]]:
            pages: dict[OrdersOf, Page[orders.OrderRow]] = {}
            for (flt, first, after, sort), group in _groups(
                keys, lambda k: (k.filter, k.first, k.after, k.sort)
            ).items():
                ids = [k.client_id for k in group]
                read = partial(
                    order_list.pages_by_client,
                    clients=ids,
                    flt=flt,
                    first=first,
                    after=after,
                    sort=sort,
                )
                found = await self._read(orders.OrderModel.name, read)
                pages.update({k: found[k.client_id] for k in group})
            return [pages[k] for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def order_count(self) -> DataLoader[CountOf, int]:
        """How many of each client's orders match: one statement per distinct filter."""

        async def load(keys: list[CountOf]) -> list[int]:
            counts: dict[CountOf, int] = {}
            for flt, group in _groups(keys, lambda k: k.filter).items():
                ids = [k.client_id for k in group]
                count = partial(order_list.counts_by_client, clients=ids, flt=flt)
                found = await self._read(orders.OrderModel.name, count)
                counts.update({k: found[k.client_id] for k in group})
            return [counts[k] for k in keys]

        return DataLoader(load_fn=load)


def _groups(keys: Sequence[V], by: Callable[[V], Any]) -> dict[Any, list[V]]:
    groups: dict[Any, list[V]] = {}
    for key in keys:
        groups.setdefault(by(key), []).append(key)
    return groups
