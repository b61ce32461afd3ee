"""Fetching GraphiQL's pinned bundle at build time, and the URL `serve` prints (no network)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from api.graphiql import bundle
from api.graphiql.bundle import BundleError, NpmPackage, install, installed
from api.graphiql.url import ide_url


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


TARBALL = _tarball({"package/dist/x.min.js": b"x()", "package/LICENSE": b"MIT"})
PINNED = NpmPackage(
    "x",
    "1.0.0",
    _integrity(TARBALL),
    (("package/dist/x.min.js", "x.min.js"), ("package/LICENSE", "x.LICENSE.txt")),
)


class FakeNpm:
    """``npm pack`` that writes a given tarball, and counts its calls."""

    def __init__(self, tarball: bytes, returncode: int = 0) -> None:
        self.tarball = tarball
        self.returncode = returncode
        self.calls = 0

    def __call__(self, args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        self.calls += 1
        assert args[0] == "pack"
        (cwd / "x-1.0.0.tgz").write_bytes(self.tarball)
        out = json.dumps([{"name": "x", "version": "1.0.0", "filename": "x-1.0.0.tgz"}])
        return subprocess.CompletedProcess(list(args), self.returncode, out, "E404 Not Found")


def test_the_pinned_files_are_installed_and_a_second_build_asks_npm_nothing(
    tmp_path: Path,
) -> None:
    npm = FakeNpm(TARBALL)
    install(tmp_path / "vendor", npm, [PINNED])
    install(tmp_path / "vendor", npm, [PINNED])
    assert (tmp_path / "vendor" / "x.min.js").read_bytes() == b"x()"
    assert installed(tmp_path / "vendor", [PINNED])
    assert npm.calls == 1


def test_a_tarball_that_differs_from_its_pin_is_refused_and_nothing_installed(
    tmp_path: Path,
) -> None:
    swapped = _tarball({"package/dist/x.min.js": b"evil()", "package/LICENSE": b"MIT"})
    with pytest.raises(BundleError, match="pinned"):
        install(tmp_path / "vendor", FakeNpm(swapped), [PINNED])
    assert not (tmp_path / "vendor").exists()


def test_an_unreachable_registry_fails_the_build_saying_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="npm_config_registry"):
        install(tmp_path / "vendor", FakeNpm(TARBALL, returncode=1), [PINNED])


def test_the_installed_package_holds_the_pinned_graphiql_bundle() -> None:
    assert installed(), "GraphiQL's bundle is missing: pip install -e . runs setup.py's step"
    assert "graphiql.min.js" in bundle.file_names()


def test_the_printed_url_carries_the_token_in_the_fragment_only() -> None:
    url = ide_url("127.0.0.1", 8000, "bo_a-b_c")
    assert url == "http://127.0.0.1:8000/graphql#token=bo_a-b_c"


def test_the_printed_url_for_every_interface_is_the_loopback_one() -> None:
    assert ide_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/graphql"
    assert ide_url("::", 8000) == "http://[::1]:8000/graphql"
    assert ide_url("backoffice.branch.local", 80) == "http://backoffice.branch.local:80/graphql"
