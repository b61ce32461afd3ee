"""The architecture's hard rules, checked on every run of the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLUnionType

from api.graphql.schema import schema
from domain.application import BackOffice
from domain.commands import REGISTRY
from domain.envelope import BackofficeAggregate, event_classes
from domain.fields import field_infos
from projections.registry import all_models

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "projections", "api")
#: Events that change no read model on purpose (each with the reason).
IGNORED: dict[str, str] = {
    "AccountNumberClaim.Claimed": "a uniqueness claim; the account number is on the client",
    "ExecutionClaim.Claimed": "a uniqueness claim; the execution is on the order's fill",
    "TokenClaim.Claimed": "a uniqueness claim; the token is on the staff member",
    "Disclosure.Made": "the audit trail (which reads every event) lists every disclosure",
    "SigningKey.Published": "verify reads the keys from the event store itself",
    "SigningKey.Retired": "verify reads the keys from the event store itself",
    "ComplaintNumbering.Started": "a counter; the number is on the complaint",
    "ComplaintNumbering.Issued": "a counter; the number is on the complaint",
    "InvoiceClaim.Claimed": "a uniqueness claim; the invoice is on the expense",
    "InvoiceClaim.Released": "frees a uniqueness claim; the expense says rejected or withdrawn",
}


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[dev]'"
    return found


def test_domain_imports_no_edge_and_projections_do_not_import_the_api() -> None:
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_ruff_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", *LAYERS, "migrations", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_formatted_as_ruff_formats_it() -> None:
    result = subprocess.run(
        [_tool("ruff"), "format", "--check", *LAYERS, "migrations", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_type_checks_under_mypy_strict() -> None:
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_source_file_of_a_layer_is_longer_than_four_hundred_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for layer in LAYERS
        for path in (ROOT / layer).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not long, f"split these by record kind or concern: {long}"


def _aggregates() -> list[type[BackofficeAggregate]]:
    BackOffice  # noqa: B018 - importing the application imports every record kind
    found, todo = [], list(BackofficeAggregate.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_event_class_is_read_by_a_read_model_or_ignored_with_a_reason() -> None:
    read = {
        event_class.__qualname__
        for model in all_models()
        if not model.reads_everything
        for event_class in model.handlers
    }
    unread = {
        event.__qualname__
        for aggregate in _aggregates()
        for event in event_classes(aggregate)
        if event.__qualname__ not in read and event.__qualname__ not in IGNORED
    }
    assert not unread, f"no read model handles these events: {sorted(unread)}"


@pytest.mark.parametrize("spec", sorted(REGISTRY.values(), key=lambda s: s.name), ids=str)
def test_every_command_field_is_typed_with_limits_and_described(spec: object) -> None:
    command = spec.command  # type: ignore[attr-defined]
    for info in field_infos(command):
        assert info.doc, f"{command.__name__}.{info.name} has no description"


def test_every_type_field_and_argument_of_the_schema_is_described() -> None:
    missing = []
    for name, kind in schema._schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Boolean", "Float", "ID"):
            continue
        if not kind.description:
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInputObjectType):
            for field_name, f in kind.fields.items():
                if not f.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(f, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
    assert not missing, f"undescribed: {missing}"


def test_closed_vocabularies_are_enums_in_outputs_inputs_and_filters() -> None:
    types = schema._schema.type_map

    def named(t: object) -> object:
        while hasattr(t, "of_type"):
            t = t.of_type
        return t

    order = types["Order"]
    assert isinstance(order, GraphQLObjectType)
    assert isinstance(named(order.fields["status"].type), GraphQLEnumType)
    assert isinstance(named(order.fields["side"].type), GraphQLEnumType)
    order_filter = types["OrderFilter"]
    assert isinstance(order_filter, GraphQLInputObjectType)
    assert isinstance(named(order_filter.fields["status"].type), GraphQLEnumType)
    receive = types["ReceiveOrderInput"]
    assert isinstance(receive, GraphQLInputObjectType)
    assert isinstance(named(receive.fields["channel"].type), GraphQLEnumType)
    result = types["CommandResult"]
    assert isinstance(result, GraphQLUnionType)
    errors = types["ValidationError"]
    assert isinstance(errors, GraphQLObjectType)
    assert isinstance(named(errors.fields["code"].type), GraphQLEnumType)


def test_every_registered_command_has_a_mutation() -> None:
    mutations = schema._schema.mutation_type
    assert mutations is not None
    # Run by the CLI and by the REST downloads themselves, not as mutations.
    internal = {
        "issue_token",
        "upsert_instrument",
        "set_retention_presets",
        "record_disclosure",
        "publish_signing_key",
        "retire_signing_key",
    }
    names = {
        spec.command.__name__[0].lower() + spec.command.__name__[1:]
        for spec in REGISTRY.values()
        if spec.name not in internal
    }
    assert names <= set(mutations.fields), names - set(mutations.fields)


def test_every_package_of_the_layers_ships_in_the_wheel() -> None:
    # A package left out of the wheel works in an editable install and fails in a real one.
    import tomllib

    from setuptools import find_packages

    with (ROOT / "pyproject.toml").open("rb") as f:
        include = tomllib.load(f)["tool"]["setuptools"]["packages"]["find"]["include"]
    shipped = set(find_packages(where=str(ROOT), include=include))
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for layer in (*LAYERS, "migrations")
        for init in (ROOT / layer).rglob("__init__.py")
    }
    assert on_disk - shipped == set()
