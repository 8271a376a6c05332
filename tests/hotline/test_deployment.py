"""The production-shaped deployment files agree with the code: commands exist, settings documented."""

from __future__ import annotations

import re

import pytest
import yaml
from typer.main import get_command

from hotline.cli import app
from hotline.core.settings import DEFAULT_SECRET, InsecureSettingsError, Settings
from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
DOC = (REPO / "docs" / "CONFIGURATION.md").read_text()


def _cli_paths() -> set[tuple[str, ...]]:
    root = get_command(app)
    paths: set[tuple[str, ...]] = set()

    def walk(cmd: object, prefix: tuple[str, ...]) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            paths.add((*prefix, name))
            walk(sub, (*prefix, name))

    walk(root, ())
    return paths


def test_compose_has_the_production_services() -> None:
    assert {"api", "worker", "cron", "postgres", "redis"} <= set(COMPOSE["services"])


@pytest.mark.parametrize("service", ["migrate", "api", "worker", "cron"])
def test_each_service_command_exists_in_the_cli(service: str) -> None:
    command = COMPOSE["services"][service]["command"]
    assert command[0] == "hotline"
    words = tuple(w for w in command[1:] if not w.startswith("-"))
    paths = _cli_paths()
    assert any(words[: len(p)] == p for p in paths), f"{command} not in {sorted(paths)}"


def test_every_setting_in_compose_is_real_and_documented() -> None:
    fields = {f"HOTLINE_{name.upper()}" for name in Settings.model_fields}
    used: set[str] = set()
    for svc in COMPOSE["services"].values():
        env = svc.get("environment") or {}
        used |= {k for k in env if k.startswith("HOTLINE_")}
    assert used, "compose sets no HOTLINE_ settings"
    peers = {k for k in used if k.startswith("HOTLINE_PEER__")}  # per-peer fields (integrations)
    assert used - peers <= fields, used - peers - fields
    assert not peers or "HOTLINE_PEER__" in DOC
    documented = set(re.findall(r"HOTLINE_[A-Z_]+", DOC))
    assert fields <= documented, f"undocumented settings: {fields - documented}"


def test_refuses_default_secret_outside_demo_mode() -> None:
    with pytest.raises(InsecureSettingsError):
        Settings(demo_mode=False, secret_key=DEFAULT_SECRET).check_safe()
    Settings(demo_mode=False, secret_key="x" * 40).check_safe()
    Settings(demo_mode=True).check_safe()


def test_create_app_refuses_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from hotline.app import create_app
    from hotline.core import settings

    monkeypatch.setenv("HOTLINE_DEMO_MODE", "false")
    monkeypatch.delenv("HOTLINE_SECRET_KEY", raising=False)
    settings.get_settings.cache_clear()
    try:
        with pytest.raises(InsecureSettingsError):
            create_app()
    finally:
        monkeypatch.setenv("HOTLINE_DEMO_MODE", "true")
        settings.get_settings.cache_clear()


def test_the_image_copies_every_package_it_installs() -> None:
    """The production image builds from what the Dockerfile copies: a library added to
    pyproject's packages but not copied (textsearch and vocabulary were, for a while) installs
    nothing and the API dies on its first import."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (REPO / "Dockerfile").read_text(), re.M))
    assert packages <= copied, f"not copied into the image: {sorted(packages - copied)}"
