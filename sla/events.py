"""The timeline vocabulary the hotline maps its own ticket events onto.

Keeping the vocabulary small and validated means a typo in the application ("sign" for
"signed") fails loudly at the boundary instead of silently leaving a clock running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, get_args

from sla.durations import Duration

EventKind = Literal[
    "dispatched",
    "signed",
    "forwarded",
    "returned",
    "extended",
    "paused",
    "resumed",
    "replied",
    "reopened",
    "merged",
    "closed",
]
EVENT_KINDS: Final[frozenset[str]] = frozenset(get_args(EventKind))  # one list, two views


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    kind: str
    at: datetime
    to_hotline: bool = False
    add: Duration | None = None
    new_due: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(
                f"unknown timeline event kind {self.kind!r}; expected one of {sorted(EVENT_KINDS)}"
            )
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError(f"event {self.kind!r}: 'at' must be timezone-aware, got {self.at!r}")
        if self.new_due is not None and (
            self.new_due.tzinfo is None or self.new_due.utcoffset() is None
        ):
            raise ValueError(f"event {self.kind!r}: 'new_due' must be timezone-aware")
