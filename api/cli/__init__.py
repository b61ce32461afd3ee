"""The ``backoffice`` command: one module per concern, each adding its commands to ``cli``."""

from __future__ import annotations

from api.cli import (  # noqa: F401 - each module registers its commands
    audit,
    bench,
    complaints,
    database,
    expenses,
    instruments,
    integrity,
    keys,
    projections,
    retention,
    serve,
    staff,
)
from api.cli.common import cli


def main() -> None:
    """Entry point of the ``backoffice`` console script."""
    cli(prog_name="backoffice")
