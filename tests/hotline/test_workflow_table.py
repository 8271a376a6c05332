"""The workflow table itself: complete, consistent, and documented."""

from __future__ import annotations

from hotline.docs import WORKFLOW_MD, workflow_markdown
from hotline.tickets.handlers import HANDLERS
from hotline.tickets.workflow import BY_ACTION, STATUS_LABELS, TRANSITIONS, Status


def test_docs_are_generated_from_the_table() -> None:
    assert WORKFLOW_MD.read_text(encoding="utf-8") == workflow_markdown(), (
        "docs/WORKFLOW.md is stale: run python -m hotline.docs")


def test_every_action_has_a_handler_and_a_unique_name() -> None:
    assert len(BY_ACTION) == len(TRANSITIONS)
    assert set(HANDLERS) == set(BY_ACTION)


def test_states_are_labelled_and_every_state_is_reachable_or_initial() -> None:
    assert set(STATUS_LABELS) == {s.value for s in Status}
    targets = {dst for t in TRANSITIONS for dst in t.targets()}
    assert {s.value for s in Status} - targets <= {"registered"}  # the initial state


def test_domain_decisions_are_in_the_table() -> None:
    """DOMAIN.md's intake decisions, handling steps and return-visit outcomes all exist."""
    for action in ("answer_directly", "warm_transfer", "not_accept", "emergency_handover",
                   "dispatch", "sign", "forward", "return", "reject_return", "request_extension",
                   "approve_extension", "deny_extension", "co_input", "reply", "visit", "rework",
                   "explain_close", "close", "supervise", "merge", "archive"):
        assert action in BY_ACTION, action
    visit = BY_ACTION["visit"]
    assert visit.branches["dissatisfied"] == "verifying"
    assert visit.branches["satisfied"] == visit.branches["basically_satisfied"] == "visited"
