"""Plain inputs that the application composes from other libraries (safety screening, knowledge base).

`routing` deliberately does not import the classifier: the application converts its
`SafetyFinding` into a `SafetyInput` and its knowledge-base search into a `kb_hook`, so each
library can be tested and replaced on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

SafetyKind = Literal["emergency", "not_accepted", "none"]


@dataclass(frozen=True)
class SafetyInput:
    """A safety finding: `emergency` (CQ §10, `service` is 110/119/120/122) or `not_accepted`
    (CQ §9, `reason_code` e.g. litigation, `referral` the body that handles it)."""

    kind: SafetyKind = "none"
    service: str | None = None
    reason_code: str | None = None
    referral: str | None = None
    triggers: tuple[str, ...] = ()


NO_SAFETY_FINDING = SafetyInput()


@dataclass(frozen=True)
class KBHit:
    """A knowledge-base entry that may answer the caller directly (CQ §12(一))."""

    entry_id: str
    title: str
    answer: str
    confidence: float


# Called with the caller's text and the most likely category (or None).
KBHook = Callable[[str, str | None], KBHit | None]
