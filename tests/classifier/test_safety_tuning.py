"""The detector on the calls it was tuned on (classifier/data/safety_tuning.csv, hand-written:
fires told without 着火, gas smells, threats to jump, lifts and floods, police matters, and
ordinary calls that mention danger in the past, negated or hypothetically). These numbers say
only that the rules and the backstop model learned those cases; the held-out set
(test_safety_heldout.py) says how well it generalises."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tests.classifier.safety_metrics import measure

TUNING = Path(str(resources.files("classifier.data").joinpath("safety_tuning.csv")))


def test_tuning_set_is_large_and_covers_every_kind() -> None:
    figures = measure(TUNING)
    assert figures.counts["emergency"] >= 50 and figures.counts["police"] >= 40
    assert figures.counts["ordinary"] >= 100


def test_detector_on_its_tuning_set() -> None:
    figures = measure(TUNING)
    print(figures.report())
    assert figures.rate("emergency") >= 0.98, figures.misses
    assert figures.rate("police") >= 0.95, figures.misses
    assert figures.rate("ordinary") <= 0.05, figures.misses
