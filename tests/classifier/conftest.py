"""Shared fixtures: the real data lives outside the repo (../shared/data, or
$HOTLINE_SHARED_DATA); tests that need it skip cleanly when it is absent."""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from classifier.model import TextClassifier, fit_prepared
from classifier.text import prepare, warm_up

REPO = Path(__file__).resolve().parents[2]
SPLIT_SEED = 20200  # fixed before any model was evaluated on the split


def shared_data_dir() -> Path:
    return Path(os.environ.get("HOTLINE_SHARED_DATA", REPO.parent / "shared" / "data"))


def wenzheng() -> Path:
    path = shared_data_dir() / "wenzheng2020"
    if not (path / "labeled_tokens_train.csv").is_file():
        pytest.skip(f"shared data not found at {path} (set HOTLINE_SHARED_DATA)")
    return path


def match_sample_rows(sample_docs: list[str], train_docs: list[str]) -> list[tuple[int, float]]:
    """For each raw sample message, the most similar segmented training row (Jaccard of
    token sets): labeled_sample messages also appear, segmented, in the training file."""
    sets = [set(d.split()) for d in train_docs]
    index: dict[str, set[int]] = defaultdict(set)
    for i, s in enumerate(sets):
        for w in s:
            index[w].add(i)
    out = []
    for doc in sample_docs:
        ss = set(doc.split())
        cand: set[int] = set()
        for w in ss:
            if len(index[w]) < 300:
                cand |= index[w]
        best, score = -1, 0.0
        for i in cand:
            j = len(ss & sets[i]) / max(1, len(ss | sets[i]))
            if j > score:
                best, score = i, j
        out.append((best, score))
    return out


@dataclass
class RealSetup:
    model: TextClassifier
    test_docs: list[str]
    test_labels: list[str]
    sample_raw: list[str]
    sample_seg: list[str]
    sample_labels: list[str]
    excluded: int


@pytest.fixture(scope="session")
def real() -> RealSetup:
    base = wenzheng()
    warm_up()
    with (base / "labeled_tokens_train.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with (base / "labeled_sample.csv").open(encoding="utf-8") as fh:
        sample = list(csv.DictReader(fh))
    docs = [prepare(r["tokens"]) for r in rows]
    labels = [r["label"] for r in rows]
    idx = np.arange(len(docs))
    tr, te = train_test_split(idx, test_size=0.2, stratify=labels, random_state=SPLIT_SEED)
    sample_raw = [f"{s['subject']} {s['body']}" for s in sample]
    sample_prep = [prepare(t) for t in sample_raw]
    matches = match_sample_rows(sample_prep, docs)
    # Keep the sample unseen: its matched training rows leave the training part.
    drop = {i for i, score in matches if score >= 0.3}
    tr_kept = [i for i in tr if i not in drop]
    model = fit_prepared([docs[i] for i in tr_kept], [labels[i] for i in tr_kept])
    # The segmented form of each sample message is its matched row of the training file.
    seg = [
        rows[i]["tokens"] if score >= 0.3 else raw
        for (i, score), raw in zip(matches, sample_raw, strict=True)
    ]
    return RealSetup(
        model=model,
        test_docs=[docs[i] for i in te],
        test_labels=[labels[i] for i in te],
        sample_raw=sample_raw,
        sample_seg=seg,
        sample_labels=[s["label"] for s in sample],
        excluded=len(tr) - len(tr_kept),
    )


def demo_rows() -> list[dict[str, str]]:
    from classifier.demo import demo_corpus_path

    with demo_corpus_path().open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
