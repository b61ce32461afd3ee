"""Field types of commands: each carries its limits and its description, so that a value is
checked once, at the type of the field it arrives in, before anything is written.

A stored event can never be removed (DESIGN §3), so whatever reaches the store must be
something every read model, report and PostgreSQL column can hold: no NUL or other control
characters, valid UTF-8, NFC-normalised, bounded lengths, finite decimals within range and
scale, integers within range, plausible dates and zoned times. ``intake`` enforces that for
every field of a command, from the ``Annotated`` metadata below; the domain then applies its
business rules to values it can trust.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints
from uuid import UUID

from domain.errors import Code, ValidationError

#: Calendar dates and times outside these years are typing mistakes or attacks, never business.
FIRST_YEAR, LAST_YEAR = 1900, 2199
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\r\n\t]")


@dataclass(frozen=True)
class Doc:
    """A field's description (for the schema and the docs)."""

    text: str


@dataclass(frozen=True)
class Text:
    """Text of at most ``max_length`` characters; one line unless ``multiline``."""

    max_length: int
    doc: str = ""
    min_length: int = 1
    multiline: bool = False
    pattern: str | None = None
    #: What the pattern expects, for the error message.
    shape: str = ""
    #: Upper-case the value (codes, document numbers) after checking.
    upper: bool = False
    #: Characters (a regex) removed before checking: numbers are typed with spaces or dashes.
    remove: str | None = None


@dataclass(frozen=True)
class Int:
    """A whole number in [minimum, maximum]."""

    minimum: int
    maximum: int
    doc: str = ""


@dataclass(frozen=True)
class Amount:
    """A finite decimal in [minimum, maximum] with at most ``places`` decimal places."""

    minimum: Decimal
    maximum: Decimal
    places: int
    doc: str = ""


@dataclass(frozen=True)
class Moment:
    """A point in time: must carry its zone; years within the plausible range."""

    doc: str = ""


@dataclass(frozen=True)
class Day:
    """A calendar date within the plausible range."""

    doc: str = ""


@dataclass(frozen=True)
class Ref:
    """The id of a record (a UUID)."""

    doc: str = ""


Spec = Text | Int | Amount | Moment | Day | Ref


@dataclass(frozen=True)
class FieldInfo:
    """What ``intake`` and the schema know of one field of a command."""

    name: str
    base: Any  # the type without Annotated, None, list
    optional: bool
    many: bool
    spec: Spec | None
    doc: str
    default: Any
    #: Filled in by the edge (never by the caller): left out of the schema and the fingerprint.
    derived: bool
    #: The id of a record this command creates: optional for callers, generated when absent.
    new_id: bool


def describe(doc: str, **options: Any) -> Any:
    """A dataclass field with a description (and optionally a default)."""
    metadata: dict[str, Any] = {"doc": doc}
    return dataclasses.field(metadata=metadata, **options)


def derived(doc: str) -> Any:
    """A field the edge fills in from facts the caller does not give (never in the schema)."""
    return dataclasses.field(default=None, metadata={"doc": doc, "derived": True})


def new_id(doc: str) -> Any:
    """The id of the record a command creates: the caller may choose it (safe retries)."""
    return dataclasses.field(metadata={"doc": doc, "new_id": True})


def _unwrap(hint: Any) -> tuple[Any, bool, bool, Spec | None, str]:
    """(base type, optional, many, spec, doc) of a type hint."""
    optional = many = False
    spec: Spec | None = None
    doc = ""
    while True:
        origin = get_origin(hint)
        if origin is Annotated:
            base, *extras = get_args(hint)
            for extra in extras:
                if isinstance(extra, Spec):
                    spec = extra
                    doc = doc or extra.doc
                elif isinstance(extra, Doc):
                    doc = extra.text
            hint = base
        elif origin in (Union, UnionType):
            args = [a for a in get_args(hint) if a is not NoneType]
            optional = optional or len(args) < len(get_args(hint))
            if len(args) != 1:
                raise TypeError(f"unions other than X | None are not command fields: {hint}")
            hint = args[0]
        elif origin in (list, tuple, frozenset):
            many = True
            hint = get_args(hint)[0]
        else:
            return hint, optional, many, spec, doc


_INFOS: dict[type[Any], tuple[FieldInfo, ...]] = {}


def field_infos(cls: type[Any]) -> tuple[FieldInfo, ...]:
    """The fields of a command class, with their types, limits and descriptions."""
    found = _INFOS.get(cls)
    if found is None:
        found = _INFOS[cls] = _field_infos(cls)
    return found


def _field_infos(cls: type[Any]) -> tuple[FieldInfo, ...]:
    hints = get_type_hints(cls, include_extras=True)
    out = []
    for f in dataclasses.fields(cls):
        base, optional, many, spec, doc = _unwrap(hints[f.name])
        default: Any = dataclasses.MISSING
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        out.append(
            FieldInfo(
                name=f.name,
                base=base,
                optional=optional,
                many=many,
                spec=spec,
                doc=f.metadata.get("doc") or doc or _enum_doc(base),
                default=default,
                derived=bool(f.metadata.get("derived")),
                new_id=bool(f.metadata.get("new_id")),
            )
        )
    return tuple(out)


def _enum_doc(base: Any) -> str:
    """A closed vocabulary describes itself (its docstring)."""
    if isinstance(base, type) and issubclass(base, Enum):
        return inspect.cleandoc(base.__doc__ or "")
    return ""


def camel(name: str) -> str:
    """The API's name of a field (camelCase), for error messages."""
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def check_text(value: str, spec: Text, field: str) -> str:
    """Valid UTF-8, no control characters, NFC, within the length and pattern; normalised."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("text is not valid Unicode", field, Code.INVALID_TEXT) from None
    if _CONTROL.search(value):
        raise ValidationError("text must not contain control characters", field, Code.INVALID_TEXT)
    if not spec.multiline and _LINE_BREAK.search(value):
        raise ValidationError("text must be one line", field, Code.INVALID_TEXT)
    value = unicodedata.normalize("NFC", value).strip()
    if spec.remove is not None:
        value = re.sub(spec.remove, "", value)
    if spec.upper:
        value = value.upper()
    if not value and spec.min_length > 0:
        raise ValidationError("a value is required", field, Code.REQUIRED)
    if len(value) < spec.min_length:
        raise ValidationError(
            f"at least {spec.min_length} characters, not {len(value)}", field, Code.INVALID_FORMAT
        )
    if len(value) > spec.max_length:
        raise ValidationError(
            f"at most {spec.max_length} characters, not {len(value)}", field, Code.TOO_LONG
        )
    if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
        shape = spec.shape or f"the pattern {spec.pattern}"
        raise ValidationError(f"{value!r} must be {shape}", field, Code.INVALID_FORMAT)
    return value


def check_amount(value: Decimal, spec: Amount, field: str) -> Decimal:
    """Finite, within range, at most ``places`` decimal places."""
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except InvalidOperation:
            raise ValidationError("not a number", field, Code.INVALID_FORMAT) from None
    if not value.is_finite():
        raise ValidationError("a number must be finite", field, Code.OUT_OF_RANGE)
    if not spec.minimum <= value <= spec.maximum:
        raise ValidationError(
            f"must be between {spec.minimum} and {spec.maximum}", field, Code.OUT_OF_RANGE
        )
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > spec.places:
        raise ValidationError(f"at most {spec.places} decimal places", field, Code.TOO_PRECISE)
    # Normalised so that 10.50 and 10.5 are one value in the store and in fingerprints.
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def check_int(value: int, spec: Int, field: str) -> int:
    """A whole number within range (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("must be a whole number", field, Code.INVALID_FORMAT)
    if not spec.minimum <= value <= spec.maximum:
        raise ValidationError(
            f"must be between {spec.minimum} and {spec.maximum}", field, Code.OUT_OF_RANGE
        )
    return value


def check_moment(value: datetime, field: str) -> datetime:
    """A zoned time within the plausible years."""
    if not isinstance(value, datetime):
        raise ValidationError("must be a date and time", field, Code.INVALID_FORMAT)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("a time must carry its zone", field, Code.TIME_ZONE_REQUIRED)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            f"the year must be between {FIRST_YEAR} and {LAST_YEAR}", field, Code.OUT_OF_RANGE
        )
    return value


def check_day(value: date, field: str) -> date:
    """A date within the plausible years."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError("must be a calendar date", field, Code.INVALID_FORMAT)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            f"the year must be between {FIRST_YEAR} and {LAST_YEAR}", field, Code.OUT_OF_RANGE
        )
    return value


def check_value(value: Any, info: FieldInfo, field: str) -> Any:
    """One (non-None) value of a field, checked and normalised by its type and spec."""
    base, spec = info.base, info.spec
    if isinstance(base, type) and issubclass(base, Enum):
        try:
            return base(value)
        except ValueError:
            valid = ", ".join(str(m.value) for m in base)
            raise ValidationError(
                f"{value!r} is not one of: {valid}", field, Code.INVALID_CHOICE
            ) from None
    if base is str:
        if not isinstance(value, str):
            raise ValidationError("must be text", field, Code.INVALID_FORMAT)
        if not isinstance(spec, Text):
            raise TypeError(f"text field {info.name} has no Text limits")
        return check_text(value, spec, field)
    if base is bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false", field, Code.INVALID_FORMAT)
        return value
    if base is int:
        if not isinstance(spec, Int):
            raise TypeError(f"integer field {info.name} has no Int limits")
        return check_int(value, spec, field)
    if base is Decimal:
        if not isinstance(spec, Amount):
            raise TypeError(f"decimal field {info.name} has no Amount limits")
        return check_amount(value, spec, field)
    if base is datetime:
        return check_moment(value, field)
    if base is date:
        return check_day(value, field)
    if base is UUID:
        if not isinstance(value, UUID):
            try:
                return UUID(str(value))
            except ValueError:
                raise ValidationError("not an id", field, Code.INVALID_FORMAT) from None
        return value
    raise TypeError(f"field {info.name}: {base!r} is not a command field type")


#: Most items a list field of a command may hold.
MAX_ITEMS = 100


def intake(command: Any) -> Any:
    """A copy of ``command`` whose every field was checked and normalised; the first problem
    is a ValidationError naming the field (camelCase, as the API calls it)."""
    changes: dict[str, Any] = {}
    for info in field_infos(type(command)):
        value = getattr(command, info.name)
        field = camel(info.name)
        if value is None:
            if not info.optional and not info.derived:
                raise ValidationError("a value is required", field, Code.REQUIRED)
            continue
        if info.many:
            items = list(value)
            if len(items) > MAX_ITEMS:
                raise ValidationError(f"at most {MAX_ITEMS} items", field, Code.TOO_LONG)
            checked = [check_value(v, info, field) for v in items]
            changes[info.name] = tuple(checked) if isinstance(value, tuple) else checked
        else:
            changes[info.name] = check_value(value, info, field)
    return dataclasses.replace(command, **changes)
