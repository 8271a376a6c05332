"""How well the hotspots' clustering threshold (``textsearch.cluster.THRESHOLD``) puts two
messages on the same matter into one cluster, on the hand-labelled pairs of
``tests/textsearch/similar_pairs.csv`` (ids and labels; the texts are read from the data set,
never stored). Not a timing: any machine.

Two readings, each for a range of thresholds:

- **pair**: the two messages clustered alone (the second joins the first's cluster iff its
  cosine to it reaches the threshold), idf over all the data set's messages — the threshold's
  own meaning, free of what else is clustered;
- **in context**: all the data set's messages (4,326, in posting order) clustered as one group
  with the same idf, then "are the two in one cluster?" — harsher than the board, which
  clusters per street and category (the data set has neither), so more matters compete and a
  cluster can drift as members join.

Texts are tokenised as the hotspots do (``hotline.supervision.hotspots``: distinct tokens of two
characters or more, the first 80).

    .venv/bin/python bench/cluster_threshold.py [--data ../shared/data/wenzheng2020/unlabeled_with_votes.csv]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from hotline.supervision.hotspots import _tokens
from textsearch import group_similar, idf_weights
from textsearch.cluster import THRESHOLD
from textsearch.similar import message_text

THRESHOLDS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]


def figures(pairs: list[tuple[str, str, bool]], together: set[tuple[str, str]]) -> tuple[float, float, float]:
    tp = sum(same and (a, b) in together for a, b, same in pairs)
    fp = sum(not same and (a, b) in together for a, b, same in pairs)
    fn = sum(same and (a, b) not in together for a, b, same in pairs)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=Path, default=Path("tests/textsearch/similar_pairs.csv"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data/wenzheng2020/unlabeled_with_votes.csv"))
    args = ap.parse_args()
    with args.pairs.open(encoding="utf-8", newline="") as f:
        pairs = [(r["message_id_a"], r["message_id_b"], r["same_matter"] == "1") for r in csv.DictReader(f)]
    with args.data.open(encoding="utf-8", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: (r["posted_at"], r["message_id"]))
    ids = [r["message_id"] for r in rows]
    docs = [_tokens(message_text(r["subject"], r["body"])) for r in rows]
    where = {m: i for i, m in enumerate(ids)}
    idf = idf_weights(docs)
    positives = sum(s for _, _, s in pairs)
    print(f"{len(pairs)} pairs ({positives} same matter, {len(pairs) - positives} not), "
          f"{len(docs)} messages; shipped threshold {THRESHOLD}\n")
    print("| threshold | pair: precision | recall | F1 | in context: precision | recall | F1 "
          "| clusters | of 2+ | largest |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for t in THRESHOLDS:
        alone = {(a, b) for a, b, _ in pairs
                 if len(group_similar([docs[where[a]], docs[where[b]]], t, idf)) == 1}
        cluster_of: dict[str, int] = {}
        grouped = group_similar(docs, t, idf)
        for k, members in enumerate(grouped):
            for i in members:
                cluster_of[ids[i]] = k
        inside = {(a, b) for a, b, _ in pairs if cluster_of[a] == cluster_of[b]}
        p1, r1, f1 = figures(pairs, alone)
        p2, r2, f2 = figures(pairs, inside)
        mark = " (shipped)" if abs(t - THRESHOLD) < 1e-9 else ""
        sizes = [len(m) for m in grouped]
        print(f"| {t:.2f}{mark} | {p1:.3f} | {r1:.3f} | {f1:.3f} | {p2:.3f} | {r2:.3f} | {f2:.3f} "
              f"| {len(sizes)} | {sum(n > 1 for n in sizes)} | {max(sizes)} |")


if __name__ == "__main__":
    main()
