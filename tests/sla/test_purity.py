"""``sla`` stays a pure library: nothing from ``hotline``, no database, no web."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.sla.conftest import REPO

FORBIDDEN = {
    "hotline",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "psycopg",
    "redis",
    "rq",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "requests",
    "jinja2",
}
MODULES = sorted((REPO / "sla").rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module":
            roots.add("<dynamic import>")
    return roots


def test_there_are_modules_to_check() -> None:
    assert len(MODULES) >= 10


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_imports_nothing_forbidden(path: Path) -> None:
    bad = imported_roots(path) & (FORBIDDEN | {"<dynamic import>"})
    assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"
