"""Pinned dependencies: a fresh machine gets the versions the suite passed with.

requirements.lock (written by scripts/lock.py) pins every distribution of `hotline[test]`;
`make run`, `make test` and the Docker image install with it as a pip constraints file."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import lock  # noqa: E402


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = lock.read(REPO / "requirements.lock")
    declared = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    for line in declared:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} is not in requirements.lock (run scripts/lock.py)"
        assert req.specifier.contains(pins[name], prereleases=True), (name, pins[name], str(req.specifier))


def test_the_lock_is_what_this_environment_runs() -> None:
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "lock.py"), "--check"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_make_and_docker_install_from_the_lock() -> None:
    makefile = (REPO / "Makefile").read_text()
    installs = [ln for ln in makefile.splitlines() if "pip install" in ln]
    assert len(installs) == 2 and all("-c requirements.lock" in ln for ln in installs), installs
    assert "-c requirements.lock" in (REPO / "Dockerfile").read_text()
