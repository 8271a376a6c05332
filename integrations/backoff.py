"""When to try a failed delivery again, and when to give up (the outbox relay's policy).

Exponential so a peer that is down is not hammered; jittered so that after an outage the
backlog does not come back as one synchronised wave; capped so a recovered peer is retried
within minutes, not hours. Pure: the random source is a parameter, so tests are exact.
"""

from __future__ import annotations

import random
from datetime import timedelta

BASE_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=15)
JITTER = 0.5
"""Share of the delay that is random: 0.5 → between half and all of the exponential delay."""


def next_attempt_delay(
    attempt: int,
    *,
    base: timedelta = BASE_DELAY,
    cap: timedelta = MAX_DELAY,
    factor: float = 2.0,
    jitter: float = JITTER,
    rng: random.Random | None = None,
) -> timedelta:
    """The wait before the next try, after ``attempt`` tries have failed (``attempt`` ≥ 1).

    ``min(cap, base·factor^(attempt-1))`` with its top ``jitter`` share drawn at random, so the
    result lies in ``[(1-jitter)·d, d]`` and never exceeds ``cap``.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    if not 0 <= jitter <= 1:
        raise ValueError(f"jitter must be within [0, 1], got {jitter}")
    # Cap the exponent as well as the result: 2.0 ** 5000 overflows a float.
    exponent = min(attempt - 1, 64)
    ceiling = min(cap.total_seconds(), base.total_seconds() * factor**exponent)
    draw = (rng or random).random()
    return timedelta(seconds=ceiling * (1 - jitter * draw))


def is_dead(attempts: int, max_attempts: int) -> bool:
    """True once ``attempts`` tries have been made and no more are allowed: alert a person."""
    return attempts >= max_attempts
