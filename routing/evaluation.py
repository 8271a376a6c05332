"""Real-data evaluation: can the answering unit be predicted from the citizen's message alone?

The public board (wenzheng2020/replied.csv) has no unit column, so the label is weak: the unit
our reply extractor finds (routing.replies). Units seen fewer than `min_examples` times are
dropped (nothing can be learnt from them); the rest are split 80/20 stratified by unit, and a
TF-IDF character n-gram linear model is trained on the 80%. Character n-grams need no word
segmentation and cope with the masked place codes (A7县) that carry much of the signal.
scikit-learn is imported here only, so `import routing` stays light.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from routing.replies import clean, extract_unit
from routing.units import UnitDirectory, UnitInfo


@dataclass(frozen=True)
class EvalReport:
    rows: int
    extracted: int
    coverage: float
    methods: dict[str, int]
    units_seen: int
    units_kept: int
    min_examples: int
    examples_kept: int
    train: int
    test: int
    top1: float
    top3: float
    baseline_top1: float
    baseline_top3: float
    top_units: list[tuple[str, int]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def table(self) -> str:
        lines = [
            f"rows                      {self.rows}",
            f"unit extracted            {self.extracted} ({self.coverage:.1%})  by {self.methods}",
            f"units seen / kept (≥{self.min_examples})    {self.units_seen} / {self.units_kept} "
            f"({self.examples_kept} messages)",
            f"train / test (stratified) {self.train} / {self.test}",
            "",
            "model                         top-1    top-3",
            f"majority unit baseline       {self.baseline_top1:6.1%}   {self.baseline_top3:6.1%}",
            f"TF-IDF char 1-3 + linear SVM {self.top1:6.1%}   {self.top3:6.1%}",
            "",
            "most frequent units: " + ", ".join(f"{u} ({n})" for u, n in self.top_units),
        ]
        return "\n".join(lines)


def load_labelled(path: Path, limit: int | None = None) -> tuple[list[str], list[str | None], Counter[str]]:
    """Messages (subject + body) and the extracted unit of each reply (None when not found)."""
    texts: list[str] = []
    labels: list[str | None] = []
    methods: Counter[str] = Counter()
    with path.open(encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if limit is not None and i >= limit:
                break
            message = clean(f"{row.get('subject', '')} {row.get('body', '')}")
            found = extract_unit(row.get("reply", ""), message)
            texts.append(message)
            labels.append(found.name if found else None)
            if found:
                methods[found.method] += 1
    return texts, labels, methods


def unit_directory(names: list[str]) -> UnitDirectory:
    """A directory of the units seen, kinds guessed from the name (for lookups and display)."""
    def kind(name: str) -> str:
        if name.endswith(("街道办事处", "镇人民政府", "乡人民政府")):
            return "street"
        if name.endswith("人民政府"):
            return "district_gov"
        return "city_dept" if "市" in name[:3] else "district_dept"
    hotline = UnitInfo(1, "HL", "12345热线", "hotline")
    return UnitDirectory([hotline] + [UnitInfo(i + 2, f"U{i + 1:03d}", n, kind(n), 1)
                                      for i, n in enumerate(sorted(names))])


def evaluate(path: Path, *, min_examples: int = 5, test_size: float = 0.2, seed: int = 20,
             limit: int | None = None) -> EvalReport:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import train_test_split
    from sklearn.svm import LinearSVC

    texts, labels, methods = load_labelled(path, limit)
    extracted = sum(label is not None for label in labels)
    counts = Counter(label for label in labels if label is not None)
    kept = {u for u, n in counts.items() if n >= min_examples}
    pairs = [(t, u) for t, u in zip(texts, labels, strict=True) if u in kept]
    if len(kept) < 2 or len(pairs) < 10:
        raise ValueError(f"too few labelled messages to evaluate ({len(pairs)} in {len(kept)} units)")
    unit_directory(sorted(kept))  # validates the names form a directory
    x = [t for t, _ in pairs]
    y = [u for _, u in pairs]
    n_test = max(round(len(y) * test_size), len(kept))
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=n_test, stratify=y, random_state=seed)
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
    model = LinearSVC(C=0.5, class_weight="balanced")
    model.fit(vectorizer.fit_transform(x_train), y_train)
    scores = model.decision_function(vectorizer.transform(x_test))
    order = np.argsort(-scores, axis=1)[:, :3]
    classes = model.classes_
    top1 = float(np.mean([classes[o[0]] == t for o, t in zip(order, y_test, strict=True)]))
    top3 = float(np.mean([t in classes[o] for o, t in zip(order, y_test, strict=True)]))
    majority = [u for u, _ in Counter(y_train).most_common(3)]
    base1 = float(np.mean([t == majority[0] for t in y_test]))
    base3 = float(np.mean([t in majority for t in y_test]))
    return EvalReport(
        rows=len(texts), extracted=extracted, coverage=extracted / max(len(texts), 1), methods=dict(methods),
        units_seen=len(counts), units_kept=len(kept), min_examples=min_examples, examples_kept=len(pairs),
        train=len(y_train), test=len(y_test), top1=top1, top3=top3, baseline_top1=base1, baseline_top3=base3,
        top_units=Counter(y).most_common(8))
