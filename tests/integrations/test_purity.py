"""``integrations`` is a library: it must not import the application that composes it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.integrations.conftest import REPO

FORBIDDEN = ("hotline", "routing", "classifier", "sla", "sqlalchemy", "sqlmodel", "redis", "rq")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_integrations_imports_nothing_from_the_application() -> None:
    files = sorted((REPO / "integrations").rglob("*.py"))
    assert len(files) > 10
    offenders = {
        f"{path.relative_to(REPO)}: {name}"
        for path in files
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert not offenders, offenders
