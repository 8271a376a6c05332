"""Classifier benchmark: training time on the 6,447 segmented messages, in-process
prediction latency per message (raw text, one call per message), optional k-fold CV.

Run: .venv/bin/python bench/classifier_bench.py [--cv 5]
Reads ../shared/data (or $HOTLINE_SHARED_DATA); prints one table.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from classifier.evaluate import cross_validate  # noqa: E402
from classifier.model import train_model  # noqa: E402
from classifier.text import warm_up  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cv", type=int, default=0, help="also run k-fold CV (slow)")
    args = ap.parse_args()
    base = Path(os.environ.get("HOTLINE_SHARED_DATA", REPO.parent / "shared" / "data")) / "wenzheng2020"
    if not (base / "labeled_tokens_train.csv").is_file():
        print(f"shared data not found at {base}", file=sys.stderr)
        return 2
    with (base / "labeled_tokens_train.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with (base / "labeled_sample.csv").open(encoding="utf-8") as fh:
        sample = [f"{r['subject']} {r['body']}" for r in csv.DictReader(fh)]
    texts = [r["tokens"] for r in rows]
    labels = [r["label"] for r in rows]
    warm_up()
    t0 = time.perf_counter()
    model = train_model(texts, labels)
    train_s = time.perf_counter() - t0
    for t in sample[:20]:
        model.predict(t)
    lat = []
    for t in sample:
        t1 = time.perf_counter()
        model.predict(t, k=3)
        lat.append((time.perf_counter() - t1) * 1000)
    lat.sort()
    p50 = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
    rows_out = [
        ("training time, 6,447 messages", f"{train_s:.1f} s", "≤ 60 s"),
        (f"predict p50 (raw text, n={len(lat)})", f"{p50:.2f} ms", "≤ 2 ms"),
        ("predict p99", f"{p99:.2f} ms", ""),
    ]
    if args.cv:
        t2 = time.perf_counter()
        cv = cross_validate(texts, labels, args.cv)
        rows_out.append(
            (f"{args.cv}-fold CV macro-F1 (mean ± sd)",
             f"{cv['macro_f1_mean']:.4f} ± {cv['macro_f1_sd']:.4f}", f"{time.perf_counter() - t2:.0f} s")
        )
        rows_out.append((f"{args.cv}-fold CV top-3 accuracy", f"{cv['top3_mean']:.4f}", ""))
    w = max(len(r[0]) for r in rows_out)
    print(f"{'measure':<{w}}  {'value':>18}  goal")
    for name, val, goal in rows_out:
        print(f"{name:<{w}}  {val:>18}  {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
