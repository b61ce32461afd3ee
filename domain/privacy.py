"""Personal data and who may see it: one policy, applied the same way on every path (GraphQL
fields, history, asOf, audit exports, reconstruction packages, filters).

Fields are personal by name, wherever they appear (a read-model row, an event's data, a
timeline entry). A role without ``see_full_identity`` sees the last four characters of numbers
and no addresses, birth dates or third parties; after an erasure request (PIPL Art. 47) a
client's data and name are shown only to roles with ``see_restricted_data``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any
from uuid import UUID

from domain.access import Permission, granting_role


class Mask(Enum):
    """How a personal value is shown to someone who may not see it."""

    LAST_FOUR = "last_four"
    HIDDEN = "hidden"
    NONE = "none"
    INITIAL = "initial"


#: Personal fields by name, and how each is masked.
PERSONAL: dict[str, Mask] = {
    "document_number": Mask.LAST_FOUR,
    "mobile": Mask.LAST_FOUR,
    "landline": Mask.LAST_FOUR,
    "id_address": Mask.HIDDEN,
    "mailing_address": Mask.HIDDEN,
    "birth_date": Mask.NONE,
    # Free text naming a third party (often with their ID and phone): shown whole or not at all.
    "acting_person": Mask.HIDDEN,
    # Where a complaint's reply goes (a phone, an e-mail or an address).
    "complainant_contact": Mask.LAST_FOUR,
}
#: Names: hidden (but the initial) only for a client whose processing is restricted.
NAMES: dict[str, Mask] = {
    "name": Mask.INITIAL,
    "real_name": Mask.INITIAL,
    "client_name": Mask.INITIAL,
}


@dataclass(frozen=True)
class Visibility:
    """What one reader may see of one record."""

    personal: bool
    names: bool = True

    @property
    def everything(self) -> bool:
        """True when nothing is masked."""
        return self.personal and self.names

    def hides(self, key: str) -> Mask | None:
        """How the field ``key`` is masked for this reader (None: shown)."""
        if not self.personal and key in PERSONAL:
            return PERSONAL[key]
        if not self.names and key in NAMES:
            return NAMES[key]
        return None


FULL = Visibility(personal=True)


def visibility(roles: frozenset[str], restricted: bool = False) -> Visibility:
    """What holders of ``roles`` may see of a record (``restricted``: its client asked for
    erasure, so processing is restricted)."""
    return _visibility(frozenset(roles), restricted)  # any set of roles; once per pair


@lru_cache(maxsize=1024)
def _visibility(roles: frozenset[str], restricted: bool) -> Visibility:
    if restricted:
        allowed = granting_role(roles, Permission.SEE_RESTRICTED_DATA) is not None
        return Visibility(personal=allowed, names=allowed)
    return Visibility(personal=granting_role(roles, Permission.SEE_FULL_IDENTITY) is not None)


def masked_value(mask: Mask, value: Any) -> Any:
    """``value`` as shown under ``mask``."""
    if value is None:
        return None
    text = str(value)
    if mask is Mask.LAST_FOUR:
        return "*" * max(len(text) - 4, 0) + text[-4:]
    if mask is Mask.HIDDEN:
        return "***"
    if mask is Mask.INITIAL:
        return text[:1] + "*" * max(len(text) - 1, 1)
    return None


#: Values with nothing inside to mask (what most fields hold): returned as they are.
_SCALARS = (str, int, float, bool, type(None), Decimal, date, datetime, UUID, Enum)
_FLAT = frozenset(_SCALARS)


@lru_cache(maxsize=1024)
def _plan(cls: type[Any], seen: Visibility) -> tuple[tuple[str, Mask | None], ...]:
    """Each field of the dataclass ``cls`` and how ``seen`` masks it by its name."""
    return tuple((f.name, seen.hides(f.name)) for f in dataclasses.fields(cls))


def mask(value: Any, seen: Visibility, key: str = "") -> Any:
    """``value`` (a dataclass, mapping, list or scalar) with every personal field masked as
    ``seen`` requires: a copy where something is masked, the very same object (or part of
    it) where nothing is."""
    if seen.everything:
        return value
    how = seen.hides(key)
    if how is not None:
        return masked_value(how, value)
    if isinstance(value, _SCALARS):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for name, hidden in _plan(type(value), seen):
            field = getattr(value, name)
            if hidden is not None:
                shown = masked_value(hidden, field)
            elif field.__class__ in _FLAT:  # the common case, without a call
                continue
            else:
                shown = mask(field, seen, name)
            if shown is not field:
                changes[name] = shown
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, dict):
        masked = {k: mask(v, seen, str(k)) for k, v in value.items()}
        return value if all(masked[k] is v for k, v in value.items()) else masked
    if isinstance(value, list | tuple):
        if all(v.__class__ in _FLAT for v in value):  # e.g. a list of codes: nothing inside
            return value
        items = [mask(v, seen, key) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    return value
