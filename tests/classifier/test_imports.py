"""The library must stay independent of the application (ENGINEERING: pure libraries)."""

from __future__ import annotations

import ast
from pathlib import Path

import classifier

PKG = Path(classifier.__file__).parent


def test_classifier_imports_nothing_from_hotline() -> None:
    offenders = []
    files = sorted(PKG.rglob("*.py"))
    assert len(files) >= 8
    for path in files:
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "hotline"]
    assert offenders == []
