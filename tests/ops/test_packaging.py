"""pyproject.toml declares the dependencies; `make lock` resolves them into
requirements.lock (what runs) and requirements-dev.lock (plus the test and dev
extras), which is what .venv and the Docker image install."""
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def locked(name: str) -> dict[str, str]:
    """{canonical name: version} of a lock file."""
    pins = {}
    for line in (REPO / name).read_text().splitlines():
        if match := PIN.match(line):
            pins[canonicalize_name(match[1])] = match[2]
    return pins


RUNTIME = locked("requirements.lock")
DEV = locked("requirements-dev.lock")


def declared(*extras: str) -> list[Requirement]:
    lines = PROJECT["dependencies"] + [r for extra in extras for r in PROJECT["optional-dependencies"][extra]]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(("lock", "requirements"), [
    (RUNTIME, declared()),
    (DEV, declared("test", "dev")),
], ids=["requirements.lock", "requirements-dev.lock"])
def test_every_declared_dependency_is_locked_at_a_version_it_allows(lock, requirements):
    """Fails when pyproject.toml changed without `make lock`."""
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{requirement} is not in the lock: run make lock"
        assert requirement.specifier.contains(lock[name], prereleases=True), \
            f"{name}=={lock[name]} is locked but pyproject.toml asks {requirement}: run make lock"
        for extra in requirement.extras:
            companion = canonicalize_name(f"{name}-{extra}")
            if companion in lock:  # psycopg[binary] -> psycopg-binary, at the same version
                assert lock[companion] == lock[name]
                continue
            # uvicorn[standard]: every package the extra brings on this platform is locked
            brought = [Requirement(line) for line in metadata.requires(requirement.name) or []]
            brought = [r for r in brought if r.marker and r.marker.evaluate({"extra": extra})
                       and not r.marker.evaluate({"extra": ""})]
            assert brought, f"{requirement}: the extra {extra!r} brings nothing"
            for dependency in brought:
                assert canonicalize_name(dependency.name) in lock, f"{dependency} (from {requirement}) is not locked"


def test_what_runs_is_locked_at_the_same_versions_for_the_tests():
    assert {name: DEV.get(name) for name in RUNTIME} == RUNTIME
    # The test and dev tools stay out of the image.
    for tool in ("pytest", "pip-tools", "supervisor"):
        assert tool not in RUNTIME and tool in DEV


@pytest.mark.parametrize("name", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_is_hash_checked(name):
    entries = re.split(r"\n(?=[A-Za-z])", (REPO / name).read_text())
    pinned = [entry for entry in entries if PIN.match(entry)]
    assert pinned
    for entry in pinned:
        assert "--hash=sha256:" in entry, f"no hash for {entry.splitlines()[0]}"


def test_this_environment_is_the_dev_lock():
    """make installs the lock: every locked package at its locked version."""
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    assert {name: installed.get(name) for name in DEV} == DEV
