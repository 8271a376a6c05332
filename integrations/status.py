"""The state of a linked matter as the sender sees it, merged from status callbacks.

SH 二(二)1 wants "受理反馈闭环运行" — the sender learns what became of what it handed over.
Callbacks travel over the network and are retried, so they arrive late, twice or out of order.
``merge_status`` is a join (commutative, associative, idempotent) over a total order of
statuses, so whatever order and however many copies arrive, the final state is the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from integrations.messages import Accepted, Envelope, MessageKind


class LinkStatus(StrEnum):
    """Where a transferred matter stands on the receiving side, in the order it progresses."""

    sent = "sent"  # delivered (HTTP ack), no feedback yet
    accepted = "accepted"
    dispatched = "dispatched"
    on_site = "on_site"
    result = "result"
    closed = "closed"
    # Highest on purpose: "not ours" hands the matter back to us, and a person must see it even
    # if a contradictory "closed" also came in (SH 二(一)2 首接责任制: the first receiver acts).
    rejected = "rejected"
    # Set by the sender, never by feedback: it withdrew the matter (撤单, schema v2). Above
    # everything, so late feedback from the receiver does not bring a withdrawn matter back.
    cancelled = "cancelled"


RANK: MappingProxyType[LinkStatus, int] = MappingProxyType({s: i for i, s in enumerate(LinkStatus)})
FINAL = frozenset({LinkStatus.closed, LinkStatus.rejected, LinkStatus.cancelled})


def merge_status(current: LinkStatus | None, incoming: LinkStatus) -> LinkStatus:
    """The status after ``incoming`` arrives: the higher ranked of the two; never goes back."""
    if current is None:
        return incoming
    return incoming if RANK[incoming] > RANK[current] else current


@dataclass(frozen=True)
class LinkState:
    """What we know of one linked matter: its status, the peer's id and when each step happened.

    Every field merges order-independently: the status by rank, ``milestones`` keeps the
    earliest time seen per status, ``seen`` the set of sequence numbers (for gap detection).
    """

    status: LinkStatus = LinkStatus.sent
    peer_id: str | None = None
    milestones: dict[LinkStatus, datetime] = field(default_factory=dict)
    seen: frozenset[int] = frozenset()

    @property
    def missing(self) -> list[int]:
        """Sequence numbers below the highest seen that never arrived (lost or still coming)."""
        top = max(self.seen, default=0)
        return [n for n in range(1, top + 1) if n not in self.seen]

    @property
    def is_final(self) -> bool:
        return self.status in FINAL


def apply_feedback(state: LinkState, envelope: Envelope) -> LinkState:
    """Fold one feedback envelope into the state; duplicates and stale ones change nothing."""
    kind = envelope.kind
    payload: Any = envelope.payload
    if kind in _NO_STATUS:  # feedback that reports, not progresses (回访结果): only its number
        return replace(state, seen=state.seen | {payload.seq})
    if kind not in _FEEDBACK_STATUS:
        raise ValueError(f"{kind} is not a feedback message")
    status = _FEEDBACK_STATUS[kind]
    milestones = dict(state.milestones)
    at = payload.occurred_at
    if status not in milestones or at < milestones[status]:
        milestones[status] = at
    peer_id = state.peer_id
    if isinstance(payload, Accepted) and (peer_id is None or payload.peer_id < peer_id):
        peer_id = payload.peer_id  # a well-behaved peer sends one; min() keeps merges commutative
    return replace(
        state,
        status=merge_status(state.status, status),
        peer_id=peer_id,
        milestones=milestones,
        seen=state.seen | {payload.seq},
    )


_FEEDBACK_STATUS = {
    MessageKind.accepted: LinkStatus.accepted,
    MessageKind.dispatched: LinkStatus.dispatched,
    MessageKind.on_site: LinkStatus.on_site,
    MessageKind.result: LinkStatus.result,
    MessageKind.closed: LinkStatus.closed,
    MessageKind.rejected: LinkStatus.rejected,
}

#: Feedback kinds that move no status but take part in the sequence numbering.
_NO_STATUS = frozenset({MessageKind.visit_result})


def status_for(kind: MessageKind | str) -> LinkStatus:
    """The status a feedback kind reports (``accepted`` → ``LinkStatus.accepted`` …)."""
    return _FEEDBACK_STATUS[MessageKind(kind)]
