"""Generates docs/WORKFLOW.md from the workflow table (hotline/tickets/workflow.py), so the diagram
cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from hotline.tickets.workflow import STATUS_LABELS, TRANSITIONS, mermaid
from hotline.units.models import ROLE_LABELS

WORKFLOW_MD = Path(__file__).resolve().parent.parent / "docs" / "WORKFLOW.md"


def workflow_markdown() -> str:
    lines = [
        "# Workflow",
        "",
        "Generated from `hotline/tickets/workflow.py` by `python -m hotline.docs`; a test fails when it is",
        "out of date.",
        "",
        "```mermaid",
        mermaid(),
        "```",
        "",
        "## States",
        "",
        "| state | 中文 |",
        "|---|---|",
        *[f"| `{k}` | {v} |" for k, v in STATUS_LABELS.items()],
        "",
        "## Actions",
        "",
        "| action | 中文 | from | to | who | scope | rule |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in TRANSITIONS:
        to = (", ".join(f"{k}→`{v}`" for k, v in t.branches.items()) if t.branch_on
              else f"`{t.target}`" if t.target else "(unchanged)")
        who = "、".join(ROLE_LABELS[r] for r in sorted(t.roles))
        src = ", ".join(f"`{s}`" for s in sorted(t.sources))
        lines.append(f"| `{t.action}` | {t.label} | {src} | {to} | {who} | {t.scope} | {t.rule} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    WORKFLOW_MD.write_text(workflow_markdown(), encoding="utf-8")
    print(f"wrote {WORKFLOW_MD}")
