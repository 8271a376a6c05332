"""The three figures the safety detector is judged by (issue 14, CQ §10, SH 二(一)2):
emergency recall, police recall (a transfer to 110 suggested) and the false-alarm rate on
ordinary calls — many of which mention danger in the past, in the negative or hypothetically."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from classifier import SafetyDetector


@dataclass
class Figures:
    counts: dict[str, int] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    def rate(self, kind: str) -> float:
        return self.hits.get(kind, 0) / self.counts[kind] if self.counts.get(kind) else float("nan")

    def report(self) -> str:
        return (f"emergency recall={self.rate('emergency'):.3f} ({self.hits.get('emergency', 0)}/"
                f"{self.counts.get('emergency', 0)}), police recall={self.rate('police'):.3f} "
                f"({self.hits.get('police', 0)}/{self.counts.get('police', 0)}), false alarms on "
                f"ordinary={self.rate('ordinary'):.3f} ({self.hits.get('ordinary', 0)}/"
                f"{self.counts.get('ordinary', 0)})")


def _kind(row: dict[str, str]) -> str:
    raw = (row.get("expected") or row.get("kind") or row.get("label") or "").strip().lower()
    return {"none": "ordinary", "normal": "ordinary", "110": "police"}.get(raw, raw)


def measure(path: Path, detector: SafetyDetector | None = None) -> Figures:
    """Emergency: flagged as an emergency; police: flagged with a transfer to 110; ordinary:
    a hit is a false alarm (flagged as an emergency)."""
    det = detector or SafetyDetector()
    out = Figures()
    with path.open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            kind = _kind(row)
            if kind not in ("emergency", "police", "ordinary"):
                continue
            f = det.check(row["text"])
            hit = f.kind == "emergency" and (kind != "police" or f.service == "110")
            out.counts[kind] = out.counts.get(kind, 0) + 1
            out.hits[kind] = out.hits.get(kind, 0) + int(hit)
            if hit == (kind == "ordinary"):
                out.misses.append((kind, f"{f.kind}/{f.service}", row["text"]))
    return out
