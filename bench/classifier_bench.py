"""Classifier benchmark, one table: in-process prediction latency per message (raw and
segmented input, one call per message), batch throughput, training time on the 6,447
segmented messages, held-out macro-F1/top-3 (seed-20200 stratified 20% split of the
training file, model trained on the other 80%), optional k-fold CV on that 80%.

Run: .venv/bin/python bench/classifier_bench.py [--cv 5]
Reads ../shared/data (or $HOTLINE_SHARED_DATA).
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

import numpy as np  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from classifier.evaluate import cross_validate, metrics_from_proba  # noqa: E402
from classifier.model import TextClassifier, fit_prepared, train_model  # noqa: E402
from classifier.text import prepare, warm_up  # noqa: E402

SPLIT_SEED = 20200


def _latency(model: TextClassifier, texts: list[str]) -> tuple[float, float]:
    for t in texts[:20]:
        model.predict(t)
    lat = []
    for t in texts:
        t1 = time.perf_counter()
        model.predict(t, k=3)
        lat.append((time.perf_counter() - t1) * 1000)
    lat.sort()
    return statistics.median(lat), lat[min(len(lat) - 1, int(0.99 * len(lat)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cv", type=int, default=0, help="also run k-fold CV on the 80%% part (slow)")
    args = ap.parse_args()
    base = Path(os.environ.get("HOTLINE_SHARED_DATA", REPO.parent / "shared" / "data")) / "wenzheng2020"
    if not (base / "labeled_tokens_train.csv").is_file():
        print(f"shared data not found at {base}", file=sys.stderr)
        return 2
    with (base / "labeled_tokens_train.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with (base / "labeled_sample.csv").open(encoding="utf-8") as fh:
        sample_rows = list(csv.DictReader(fh))
    sample = [f"{r['subject']} {r['body']}" for r in sample_rows]
    texts = [r["tokens"] for r in rows]
    labels = [r["label"] for r in rows]
    warm_up()
    out: list[tuple[str, str, str]] = []

    t0 = time.perf_counter()
    model = train_model(texts, labels)
    out.append((f"training time, {len(texts):,} messages", f"{time.perf_counter() - t0:.1f} s", "≤ 60 s"))
    # Segmented form of a sample message: the same text passed through the tokenizer.
    sample_seg = [prepare(t) for t in sample]
    p50, p99 = _latency(model, sample)
    out.append((f"predict p50 / p99, raw text (n={len(sample)})", f"{p50:.2f} / {p99:.2f} ms", "p50 ≤ 2 ms"))
    p50s, p99s = _latency(model, sample_seg)
    out.append(("predict p50 / p99, segmented text", f"{p50s:.2f} / {p99s:.2f} ms", ""))
    t1 = time.perf_counter()
    model.predict_many(sample * 4, k=3)
    rate = 4 * len(sample) / (time.perf_counter() - t1)
    out.append(("predict_many throughput, raw text", f"{rate:,.0f} msg/s", ""))

    docs = np.asarray([prepare(t) for t in texts], dtype=object)
    y = np.asarray(labels, dtype=object)
    tr, te = train_test_split(np.arange(len(docs)), test_size=0.2, stratify=labels, random_state=SPLIT_SEED)
    held = fit_prepared(list(docs[tr]), list(y[tr]))
    m = metrics_from_proba(list(y[te]), held.predict_proba_prepared(list(docs[te])), held.labels)
    out.append((f"held-out macro-F1 / top-3 (n={len(te)})",
                f"{m['macro_f1']:.4f} / {m['top_k_accuracy']['3']:.4f}", "≥ 0.93 / ≥ 0.99"))
    if args.cv:
        t2 = time.perf_counter()
        cv = cross_validate(list(docs[tr]), list(y[tr]), args.cv)
        took = f"({time.perf_counter() - t2:.0f} s)"
        out.append((f"{args.cv}-fold CV on the 80% part, macro-F1",
                    f"{cv['macro_f1_mean']:.4f} ± {cv['macro_f1_sd']:.4f}", took))
        out.append((f"{args.cv}-fold CV top-3 accuracy", f"{cv['top3_mean']:.4f}", ""))
    w = max(len(r[0]) for r in out)
    print(f"{'measure':<{w}}  {'value':>20}  goal")
    for name, val, goal in out:
        print(f"{name:<{w}}  {val:>20}  {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
