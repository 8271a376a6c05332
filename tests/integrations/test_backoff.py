"""The relay's retry policy: exponential, jittered, capped; dead after max_attempts."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations import is_dead, next_attempt_delay


class Fixed(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


def test_without_jitter_it_doubles_from_five_seconds_up_to_the_cap() -> None:
    delays = [next_attempt_delay(n, rng=Fixed(0)).total_seconds() for n in range(1, 10)]
    assert delays == [5, 10, 20, 40, 80, 160, 320, 640, 900]


def test_jitter_takes_off_up_to_half() -> None:
    assert next_attempt_delay(3, rng=Fixed(0.999999)) > timedelta(seconds=10)
    assert next_attempt_delay(3, rng=Fixed(1.0)) == timedelta(seconds=10)


@given(attempt=st.integers(1, 10_000), seed=st.integers(0, 2**32))
def test_delay_is_bounded(attempt: int, seed: int) -> None:
    delay = next_attempt_delay(attempt, rng=random.Random(seed))
    ceiling = min(900.0, 5 * 2 ** min(attempt - 1, 64))
    assert ceiling / 2 <= delay.total_seconds() <= ceiling


def test_jitter_spreads_retries() -> None:
    rng = random.Random(1)
    assert len({next_attempt_delay(4, rng=rng) for _ in range(50)}) > 40


def test_custom_policy_and_bad_input() -> None:
    assert next_attempt_delay(2, base=timedelta(seconds=1), factor=3, jitter=0, cap=timedelta(hours=1)) == \
        timedelta(seconds=3)
    with pytest.raises(ValueError):
        next_attempt_delay(0)
    with pytest.raises(ValueError):
        next_attempt_delay(1, jitter=1.5)


def test_is_dead() -> None:
    assert not is_dead(0, 3) and not is_dead(2, 3)
    assert is_dead(3, 3) and is_dead(4, 3)
