"""The detector on a held-out set it was never tuned on (tests/classifier/safety_heldout.csv):
209 calls written from the categories alone by someone who had not read the detector's rules,
kept apart from the tuning cases and copied in only after the tuning was finished (issue 14).

Goals: emergency recall ≥ 0.95, police recall ≥ 0.8 (a transfer to 110 suggested), false
alarms on ordinary calls ≤ 0.1. Run once, as it came; the detector is not tuned to its misses.
"""

from __future__ import annotations

from pathlib import Path

from tests.classifier.safety_metrics import measure

HELDOUT = Path(__file__).with_name("safety_heldout.csv")


def test_detector_on_the_held_out_set() -> None:
    figures = measure(HELDOUT)
    print(figures.report())
    for kind, got, text in figures.misses:
        print(f"  miss [{kind} → {got}] {text}")
    assert figures.counts["emergency"] >= 20 and figures.counts["police"] >= 10
    assert figures.rate("emergency") >= 0.95, figures.report()
    assert figures.rate("police") >= 0.8, figures.report()
    assert figures.rate("ordinary") <= 0.1, figures.report()
