"""The house as docs/ARCHITECTURE.md draws it: layers that only look down, no import circle
(imports inside functions count), libraries that never import the application, and every side
table of the workflow complete against the one ``Action`` enum."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import integrations
from hotline.core.signals import Signal
from hotline.linkage.models import MatterStatus
from hotline.linkage.outbound import FEEDBACK, delivery_due
from hotline.tickets.actions import EVENT_LABELS, Action, EventKind
from hotline.tickets.handlers import HANDLERS
from hotline.tickets.signals import action_done
from hotline.tickets.workflow import ACTION_LABELS, BY_ACTION, TRANSITIONS
from tests.conftest import REPO

HOTLINE = REPO / "hotline"

#: The layout rule: a package may import its own modules and the layers below it, never a
#: layer above nor a sibling on its own layer (siblings meet only through hooks).
LAYERS: list[set[str]] = [
    {"core"},
    {"web"},
    {"units"},
    {"kb"},
    {"intake"},
    {"tickets"},
    {"callers", "notifications"},
    {"linkage"},
    {"supervision"},
    {"workers"},
    {"wiring", "tables", "docs", "seed", "preflight", "probes", "telemetry"},
    {"migrations"},
    {"app", "cli"},
]
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(HOTLINE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = modules()


def imports(path: Path) -> Iterator[tuple[ast.stmt, str, bool]]:
    """(node, hotline module it names, inside a function?) for every import of ``hotline``,
    relative imports (``from ..linkage import x``) included."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    here = path.relative_to(REPO).with_suffix("").parts
    package_parts = here[:-1]  # a module's package (for __init__ too: its own package)

    def absolute(node: ast.ImportFrom) -> str | None:
        if node.level == 0:
            return node.module
        base = package_parts[: len(package_parts) - (node.level - 1)]
        return ".".join([*base, *([node.module] if node.module else [])])

    def walk(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.stmt, str, bool]]:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "hotline":
                        yield child, alias.name, in_function
            elif isinstance(child, ast.ImportFrom) and (module := absolute(child)) \
                    and module.split(".")[0] == "hotline":
                for alias in child.names:
                    full = f"{module}.{alias.name}"
                    yield child, full if full in MODULES else module, in_function
            yield from walk(child, inner)

    yield from walk(tree, False)


def resolve(name: str) -> str:
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for _, target, _ in imports(path):
            target = resolve(target)
            if target != module and not module.startswith(target + "."):
                edges[module].add(target)
    return edges


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_there_is_no_import_circle_in_hotline() -> None:
    edges = graph()
    assert sum(len(e) for e in edges.values()) > 200  # the walk really saw the imports
    seen: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(edges[node]):
            if seen.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in seen:
                visit(nxt, [*path, nxt])
        seen[node] = 2

    for start in sorted(edges):
        if start not in seen:
            visit(start, [start])
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_every_package_looks_only_down() -> None:
    unknown = {package(m) for m in MODULES} - set(LAYER_OF) - {"__init__"}
    assert unknown == set(), f"place these in LAYERS (and docs/ARCHITECTURE.md): {unknown}"
    wrong = []
    for module, targets in graph().items():
        mine = package(module)
        for target in targets:
            theirs = package(target)
            if theirs in ("__init__", mine):
                continue
            if LAYER_OF[theirs] >= LAYER_OF[mine]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_imports_inside_functions_only_in_the_cli_and_say_why() -> None:
    """Only the command line defers imports (``hotline --help`` should not load the app), and
    each such import says so; anywhere else an import in a function hides a dependency."""
    unexplained = []
    for module, path in MODULES.items():
        lines = path.read_text("utf-8").splitlines()
        for node, target, in_function in imports(path):
            if in_function and (module != "hotline.cli" or "# lazy:" not in lines[node.lineno - 1]):
                unexplained.append(f"{module}:{node.lineno} imports {target}")
    assert unexplained == []


def test_the_libraries_never_import_the_application() -> None:
    offenders = []
    for lib in ("sla", "routing", "classifier", "integrations", "vocabulary", "textsearch"):
        for path in sorted((REPO / lib).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                offenders += [f"{path}: {n}" for n in names if n.split(".")[0] == "hotline"]
    assert offenders == []


def test_type_ignores_are_few() -> None:
    count = sum(len(re.findall(r"# type: ignore", p.read_text("utf-8"))) for p in MODULES.values())
    assert count <= 10, f"{count} '# type: ignore' in hotline/"


# ---------------------------------------------------------------------------------------------
# The workflow's side tables, each complete against the one Action enum
# ---------------------------------------------------------------------------------------------
def test_every_action_has_one_entry_one_handler_and_one_feedback_rule() -> None:
    assert [t.action for t in TRANSITIONS] == list(dict.fromkeys(t.action for t in TRANSITIONS))
    assert set(BY_ACTION) == set(HANDLERS) == set(FEEDBACK) == set(Action)
    assert all(isinstance(k, Action) for k in FEEDBACK)


def test_every_history_kind_has_a_label_and_none_is_both_action_and_event() -> None:
    assert set(EVENT_LABELS) == set(EventKind)
    assert not {a.value for a in Action} & {e.value for e in EventKind}
    assert set(ACTION_LABELS) == {a.value for a in Action} | {e.value for e in EventKind}
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in ACTION_LABELS.values())


def test_linked_matter_statuses_are_the_peers_plus_queued() -> None:
    assert {s.value for s in MatterStatus} == {"queued"} | {s.value for s in integrations.LinkStatus}


def test_the_core_does_not_know_its_receivers() -> None:
    """The receivers are connected (tests install them, as the app does), and not by the core."""
    assert isinstance(action_done, Signal)
    assert [r.__module__ for r in delivery_due.receivers] == ["hotline.workers.kick"]
    owners = {r.__module__ for r in action_done.receivers}
    assert owners == {"hotline.linkage.receivers", "hotline.supervision.receivers",
                      "hotline.callers.receivers"}
    core = {m for m in MODULES if package(m) == "tickets"}
    for module in core:
        for _, target, _ in imports(MODULES[module]):
            assert package(resolve(target)) not in {"linkage", "supervision", "callers"}, module
