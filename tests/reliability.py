"""The reliability report: tests that probe the service as an attacker or an operator would
record their figures (cases sent, refused, stored; faults injected; recoveries and times), and
``pytest -m reliability --reliability-report docs/reliability.md`` writes them down.

A probe test takes the ``probe`` fixture and calls ``probe.count("refused")`` or
``probe.figure("recovered after (s)", 1.8)``; its docstring says what it probes.
"""

from __future__ import annotations

import platform
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

_PROBES: dict[str, Probe] = {}


@dataclass
class Probe:
    """The figures of one probe test (all its parametrised cases together)."""

    title: str
    doc: str
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    figures: dict[str, Any] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def count(self, what: str, n: int = 1) -> None:
        """Add ``n`` to the count of ``what``."""
        self.counts[what] += n

    def figure(self, what: str, value: Any) -> None:
        """Record a measured value (the last one recorded wins; keep the worst)."""
        old = self.figures.get(what)
        if isinstance(value, int | float) and isinstance(old, int | float):
            value = max(old, value)
        self.figures[what] = value


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reliability-report",
        metavar="FILE",
        default=None,
        help="write the figures of the reliability probes (tests marked reliability) to FILE",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability: a probe of docs/reliability.md (records its figures)"
    )


@pytest.fixture
def probe(request: pytest.FixtureRequest) -> Iterator[Probe]:
    """Where a probe test records its figures."""
    test = request.node.originalname or request.node.name
    doc = (request.function.__doc__ or "").strip()
    found = _PROBES.setdefault(test, Probe(test.removeprefix("test_").replace("_", " "), doc))
    yield found


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    name = getattr(item, "originalname", item.name)
    if report.when == "call" and name in _PROBES:
        _PROBES[name].outcomes[report.outcome] += 1


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption("--reliability-report")
    if not target or not _PROBES:
        return
    lines = [
        "# Reliability probes",
        "",
        "Each probe below is an automated test (`pytest -m reliability`) that tries the service",
        "as an attacker or an operator would, against real PostgreSQL; the figures are what the",
        "last run recorded. Regenerate this page with:",
        "",
        "```sh",
        ".venv/bin/pytest -m reliability --reliability-report docs/reliability.md",
        "```",
        "",
        f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()},"
        f" Python {platform.python_version()}.",
        "",
    ]
    for probe in sorted(_PROBES.values(), key=lambda p: p.title):
        passed = probe.outcomes.get("passed", 0)
        total = sum(probe.outcomes.values())
        lines += [f"## {probe.title}", "", probe.doc, "", f"- cases: {passed} of {total} passed"]
        lines += [f"- {k}: {v}" for k, v in sorted(probe.counts.items())]
        lines += [f"- {k}: {v}" for k, v in sorted(probe.figures.items())]
        lines.append("")
    Path(target).write_text("\n".join(lines), encoding="utf-8")
