"""Mutations derived from command classes: one factory makes a command's input type (or its
flat arguments), its ``expectedVersion``/``idempotencyKey``/``reason`` arguments and its
result, from the command's typed, documented fields (``domain/commands.py``)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5
from zoneinfo import ZoneInfo

import strawberry
from strawberry.types import Info

from api.graphql.common import CommandResult, command_result
from api.graphql.context import Context
from domain.commands import Command
from domain.fields import FieldInfo, field_infos

#: Fills a command's derived fields from facts the caller does not give (e.g. the blotter).
Prepare = Callable[[Context, dict[str, Any]], Awaitable[dict[str, Any]]]

EXPECTED_VERSION = (
    "Refuse (ConcurrencyConflict, nothing recorded) unless the record is still at this version."
)
IDEMPOTENCY_KEY = (
    "Send the same key when retrying: the retry records nothing and returns the first result "
    "(replayed: true). The same key with another payload is refused."
)
REASON = "Why: recorded with every event the command causes."
REASON_REQUIRED = "Why (required): recorded with every event the command causes."


def _graphql_name(info: FieldInfo) -> str:
    return "id" if info.new_id else info.name


def _annotation(info: FieldInfo) -> tuple[Any, Any]:
    """(GraphQL annotation, default) of one command field."""
    kind: Any = list[info.base] if info.many else info.base  # type: ignore[name-defined]
    default = info.default
    if info.new_id or info.optional or default is dataclasses.MISSING and info.many:
        return kind | None, None
    if default is dataclasses.MISSING:
        return kind, inspect.Parameter.empty
    if default is None or isinstance(default, list):
        return kind | None, None
    return kind, default


def _input_type(command: type[Command], infos: list[FieldInfo], name: str) -> type[Any]:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": __name__}
    for info in infos:
        annotation, default = _annotation(info)
        annotations[_graphql_name(info)] = annotation
        options: dict[str, Any] = {"description": info.doc}
        if default is not inspect.Parameter.empty:
            options["default"] = default
        namespace[_graphql_name(info)] = strawberry.field(**options)
    namespace["__annotations__"] = annotations
    return strawberry.input(
        type(name, (), namespace), description=f"The input of {command.__name__}."
    )


_INPUTS: dict[str, type[Any]] = {}


def mutation(
    command: type[Command],
    *,
    flat: bool = False,
    input_name: str | None = None,
    prepare: Prepare | None = None,
) -> Any:
    """The GraphQL mutation that runs ``command``: its fields as an ``input`` object (or as
    flat arguments), plus ``expectedVersion`` (for commands on an existing record),
    ``idempotencyKey`` and ``reason`` (required when the command needs one)."""
    spec = command.spec
    infos = [i for i in field_infos(command) if not i.derived]
    parameters = [
        inspect.Parameter(
            "info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info[Context, None]
        )
    ]
    keyword = inspect.Parameter.KEYWORD_ONLY
    if flat:
        for info in infos:
            annotation, default = _annotation(info)
            parameters.append(
                inspect.Parameter(
                    _graphql_name(info),
                    keyword,
                    annotation=Annotated[annotation, strawberry.argument(description=info.doc)],
                    default=default,
                )
            )
    else:
        name = input_name or f"{command.__name__}Input"
        made = _INPUTS.get(name) or _input_type(command, infos, name)
        _INPUTS[name] = made
        parameters.append(
            inspect.Parameter(
                "input",
                keyword,
                annotation=Annotated[made, strawberry.argument(description="What to record.")],
            )
        )
    if spec.reason_required:
        parameters.append(
            inspect.Parameter(
                "reason",
                keyword,
                annotation=Annotated[str, strawberry.argument(description=REASON_REQUIRED)],
            )
        )
    if not spec.creates:
        parameters.append(
            inspect.Parameter(
                "expected_version",
                keyword,
                annotation=Annotated[int | None, strawberry.argument(description=EXPECTED_VERSION)],
                default=None,
            )
        )
    parameters.append(
        inspect.Parameter(
            "idempotency_key",
            keyword,
            annotation=Annotated[str | None, strawberry.argument(description=IDEMPOTENCY_KEY)],
            default=None,
        )
    )
    if not spec.reason_required:
        parameters.append(
            inspect.Parameter(
                "reason",
                keyword,
                annotation=Annotated[str | None, strawberry.argument(description=REASON)],
                default=None,
            )
        )

    async def resolve(info: Info[Context, None], **arguments: Any) -> Any:
        ctx = info.context
        given = arguments if flat else vars(arguments["input"])
        key = arguments.get("idempotency_key")
        values = _values(ctx, infos, given, key)
        if prepare is not None:
            values.update(await prepare(ctx, values))
        value = command(**values)
        context = ctx.command_context(
            idempotency_key=key,
            expected_version=arguments.get("expected_version"),
            reason=arguments.get("reason"),
        )
        return await ctx.run(command_result, lambda: ctx.runtime.app.execute(value, context))

    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=CommandResult
    )
    graphql_name = command.__name__[0].lower() + command.__name__[1:]
    resolve.__name__ = graphql_name
    return strawberry.mutation(resolver=resolve, name=graphql_name, description=spec.summary)


def _values(
    ctx: Context, infos: list[FieldInfo], given: dict[str, Any], key: str | None
) -> dict[str, Any]:
    """The command's field values from the caller's arguments: generated ids for new records
    (the same for a retry with the same key), times without a zone taken in the branch's."""
    zone = ZoneInfo(ctx.runtime.settings.branch_timezone)
    values: dict[str, Any] = {}
    for info in infos:
        value = given.get(_graphql_name(info))
        if value is None and info.new_id:
            value = _new_id(ctx.principal.staff_id, key, info.name)
        if value is None and info.default is not dataclasses.MISSING:
            continue
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        if isinstance(value, Enum) and not isinstance(value, info.base):
            value = info.base(value.value)
        values[info.name] = value
    return values


def _new_id(actor: UUID, key: str | None, name: str) -> UUID:
    if key is None:
        return uuid4()
    return uuid5(NAMESPACE_URL, f"backoffice:new-id:{actor}:{name}:{key}")
