"""What `suggest` returns: plain frozen values, serialisable with `to_dict()` for the API and logs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from routing.inputs import KBHit
from routing.territory import Territory

Decision = Literal["emergency", "not_accepted", "transfer", "answer_directly", "dispatch"]
Role = Literal["lead", "co", "handler", "candidate"]


@dataclass(frozen=True)
class UnitSuggestion:
    """One unit with its score in [0, 1] and a reason a person can read."""

    code: str
    name: str
    kind: str
    score: float
    role: Role
    reason: str
    category: str | None = None
    rule_line: int | None = None   # the catalogue line that named it; None for a fallback
    target: str | None = None      # the catalogue target expression that resolved to it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Suggestion:
    """The intake decision to suggest and, for a dispatch, the lead, co-units and handler.

    `candidates` ranks every unit considered (the agent may pick another); it is filled even when
    the decision is an emergency or not-accepted, so the agent can still open a work order."""

    decision: Decision
    reason: str
    territory: Territory
    lead: UnitSuggestion | None = None
    co_units: tuple[UnitSuggestion, ...] = ()
    handler: UnitSuggestion | None = None
    candidates: tuple[UnitSuggestion, ...] = ()
    emergency_service: str | None = None
    not_accepted_reason_code: str | None = None
    referral: str | None = None
    transfer_target: str | None = None
    kb_entry: KBHit | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["territory"] = self.territory.to_dict()
        return d
