"""GraphQL types derived from the read models' rows (and filter inputs from their filters):
a row dataclass documents each field (``projections.base.col``), so the type that mirrors it
is written once, there. Properties with a docstring become fields too."""

from __future__ import annotations

import dataclasses
import inspect
import types
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, Union, get_args, get_origin, get_type_hints
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from api.clocks import branch_time

_SCALARS = (str, int, bool, Decimal, date, datetime, UUID)
#: Values built as they are (nothing nested to turn into an object).
_AS_IS = (*_SCALARS, float, type(None), Enum)
_FLAT = frozenset(_AS_IS)
_OBJECTS: dict[type[Any], type[Any]] = {}


def _graphql(hint: Any, enum: type[Enum] | None) -> Any:
    """The GraphQL annotation of a row field's type hint."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _graphql(inner[0], enum) | None
    if origin in (list, tuple):
        return list[_graphql(get_args(hint)[0], enum)]  # type: ignore[misc]
    if origin is dict or hint is dict:
        return JSON
    if enum is not None and hint is str:
        return enum
    if dataclasses.is_dataclass(hint):
        return object_type(hint)  # type: ignore[arg-type]
    if hint in _SCALARS or (isinstance(hint, type) and issubclass(hint, Enum)):
        return hint
    raise TypeError(f"no GraphQL type for {hint!r}")


def _fields(cls: type[Any]) -> Iterable[tuple[str, Any, str, Any]]:
    """(name, GraphQL annotation, description, default) of a documented dataclass."""
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        doc = f.metadata.get("doc")
        if not doc:
            raise TypeError(f"{cls.__name__}.{f.name} has no description (use col(...))")
        default = f.default if f.default is not dataclasses.MISSING else dataclasses.MISSING
        yield f.name, _graphql(hints[f.name], f.metadata.get("enum")), doc, default
    for name, value in vars(cls).items():
        if isinstance(value, property) and value.__doc__ and value.fget is not None:
            returns = get_type_hints(value.fget).get("return")
            yield (
                name,
                _graphql(returns, None),
                inspect.cleandoc(value.__doc__),
                dataclasses.MISSING,
            )


def object_type(
    row: type[Any],
    name: str | None = None,
    *,
    base: type[Any] | None = None,
    exclude: Iterable[str] = (),
    names: dict[str, str] | None = None,
) -> type[Any]:
    """The GraphQL object type mirroring ``row`` (once per row class); ``base`` adds resolvers
    (fields that traverse to other records)."""
    if row in _OBJECTS:
        return _OBJECTS[row]
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    skip = set(exclude)
    for field_name, annotation, doc, _ in _fields(row):
        if field_name in skip:
            continue
        annotations[field_name] = annotation
        namespace[field_name] = strawberry.field(
            description=doc, name=(names or {}).get(field_name)
        )
    namespace["__annotations__"] = annotations
    namespace["__module__"] = __name__
    cls = type(name or row.__name__, (base,) if base else (), namespace)
    made = strawberry.type(cls, description=inspect.cleandoc(row.__doc__ or ""))
    _OBJECTS[row] = made
    return made


def input_type(flt: type[Any], name: str, names: dict[str, str] | None = None) -> type[Any]:
    """The GraphQL input type mirroring a read model's filter dataclass."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for field_name, annotation, doc, default in _fields(flt):
        annotations[field_name] = annotation
        namespace[field_name] = strawberry.field(
            description=doc,
            default=None if default is dataclasses.MISSING else default,
            name=(names or {}).get(field_name),
        )
    namespace["__annotations__"] = annotations
    namespace["__module__"] = __name__
    return strawberry.input(
        type(name, (), namespace), description=inspect.cleandoc(flt.__doc__ or "")
    )


@cache
def _plain_fields(gql: type[Any]) -> tuple[str, ...]:
    """The fields of ``gql`` that hold a value (not those with a resolver)."""
    definition = gql.__strawberry_definition__
    return tuple(f.python_name for f in definition.fields if f.base_resolver is None)


def build(gql: type[Any], row: Any, **extra: Any) -> Any:
    """An instance of the GraphQL type ``gql`` holding ``row``'s values (nested rows too)."""
    values: dict[str, Any] = {}
    for name in _plain_fields(gql):  # type: ignore[arg-type]  # a class is hashable
        if name in extra:
            continue
        try:
            value = getattr(row, name)
        except AttributeError:  # a field the row does not have
            continue
        values[name] = value if value.__class__ in _FLAT else _value(value)
    return gql(**values, **extra)


def _value(value: Any) -> Any:
    if isinstance(value, _AS_IS):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return build(_OBJECTS[type(value)], value)
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value


def to_filter(flt_input: Any, flt: type[Any], *, zone: str | None = None, **overrides: Any) -> Any:
    """The read model's filter from its GraphQL input (enum members become their values;
    with ``zone``, a time given without a zone is a time in that zone, the branch's)."""
    values = {}
    for f in dataclasses.fields(flt):
        value = getattr(flt_input, f.name, None) if flt_input is not None else None
        if isinstance(value, datetime) and zone is not None:
            value = branch_time(value, zone)
        values[f.name] = value.value if isinstance(value, Enum) else value
    return flt(**{**values, **overrides})
