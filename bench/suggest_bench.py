"""The agent's live suggestion end to end, in-process: classifier + safety + gazetteer + catalogue
+ unit directory from the database (`hotline.intake.advice.advise`). Goal: p95 ≤ 20 ms.

Run by hand:  .venv/bin/python bench/suggest_bench.py [--calls 1000]
Uses a temporary SQLite database with the demo units and the demo-corpus model.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=1000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    os.environ.update(HOTLINE_DATABASE_URL=f"sqlite:///{tmp}/bench.db", HOTLINE_MODEL_DIR=str(tmp / "models"),
                      HOTLINE_DEMO_MODE="true", HOTLINE_EMBEDDED_JOBS="false")
    from sqlmodel import Session

    from classifier.demo import demo_corpus_path, ensure_default_model
    from hotline.core.db import get_engine
    from hotline.core.migrate import upgrade
    from hotline.intake.advice import advise
    from hotline.seed import seed_units_and_users

    ensure_default_model(tmp / "models")
    upgrade(get_engine())
    with Session(get_engine()) as s:
        seed_units_and_users(s)
        s.commit()
    with open(demo_corpus_path(), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    texts = [next(v for k, v in r.items() if k in ("text", "content", "message")) for r in rows]
    addresses = ["东城区桂花苑小区", "西城区锦绣华庭", "南湖区月湖小区南门", None, "东湖路"]
    times: list[float] = []
    with Session(get_engine()) as s:
        for i in range(20):
            advise(s, texts[i], addresses[i % 5], None)
        for i in range(args.calls):
            t0 = time.perf_counter()
            advise(s, texts[i % len(texts)], addresses[i % 5], "投诉")
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p = lambda q: times[min(len(times) - 1, round(q * (len(times) - 1)))]  # noqa: E731
    print(f"hotline.intake.advice.advise — {args.calls} calls, demo city, demo-corpus model")
    print("| mean ms | p50 ms | p95 ms | p99 ms | goal p95 |\n|---|---|---|---|---|")
    print(f"| {statistics.mean(times):.2f} | {p(0.5):.2f} | {p(0.95):.2f} | {p(0.99):.2f} | ≤ 20 ms |")


if __name__ == "__main__":
    main()
