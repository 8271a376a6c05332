"""Metrics for a model or a training recipe.

Macro-F1 is the headline number because small categories (交通运输, 环境保护) matter as much
to the citizens who call about them as the big ones; accuracy would hide their errors.
Top-k accuracy measures what the agent sees: the right answer among the proposals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from classifier.model import TextClassifier, TrainConfig, fit_prepared
from classifier.text import prepare


def top_k_accuracy(y_true: Sequence[str], probs: np.ndarray, labels: Sequence[str], k: int) -> float:
    if len(y_true) == 0:
        return 0.0
    order = np.argsort(-probs, axis=1)[:, :k]
    lab = np.asarray(labels, dtype=object)
    return float(np.mean([t in set(lab[row]) for t, row in zip(y_true, order, strict=True)]))


def metrics_from_proba(
    y_true: Sequence[str], probs: np.ndarray, labels: Sequence[str], abstain_below: float = 0.0
) -> dict[str, Any]:
    lab = np.asarray(labels, dtype=object)
    y_pred = [str(x) for x in lab[probs.argmax(axis=1)]]
    y_true = [str(x) for x in y_true]
    classes = sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    top1 = probs.max(axis=1)
    kept = top1 >= abstain_below
    kept_acc = (
        float(np.mean(np.asarray(y_true)[kept] == np.asarray(y_pred)[kept])) if kept.any() else 0.0
    )
    return {
        "n": len(y_true),
        "macro_f1": float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)),
        "accuracy": float(np.mean(np.asarray(y_true) == np.asarray(y_pred))),
        "top_k_accuracy": {
            str(k): top_k_accuracy(y_true, probs, labels, k) for k in (1, 2, 3)
        },
        "abstention": {
            "threshold": abstain_below,
            "rate": float(1 - kept.mean()),
            "accuracy_when_answered": kept_acc,
        },
        "per_class": {
            c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, c in enumerate(classes)
        },
        "confusion_matrix": {
            "labels": classes,
            "matrix": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
        },
    }


def evaluate_model(model: TextClassifier, texts: Sequence[str], y_true: Sequence[str]) -> dict[str, Any]:
    probs = model.predict_proba(texts)
    return metrics_from_proba(y_true, probs, model.labels, model.abstain_below)


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int = 5,
    cfg: TrainConfig | None = None,
    seed: int = 0,
    fit: Callable[[Sequence[str], Sequence[str], TrainConfig | None], TextClassifier] = fit_prepared,
) -> dict[str, Any]:
    """Stratified k-fold; texts are prepared once up front, then each fold trains anew."""
    docs = np.asarray([prepare(t) for t in texts], dtype=object)
    y = np.asarray([str(lab) for lab in labels], dtype=object)
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    f1s: list[float] = []
    top3: list[float] = []
    for tr, te in skf.split(docs, y):
        model = fit(list(docs[tr]), list(y[tr]), cfg)
        probs = model.predict_proba_prepared(list(docs[te]))
        m = metrics_from_proba(list(y[te]), probs, model.labels)
        f1s.append(m["macro_f1"])
        top3.append(m["top_k_accuracy"]["3"])
    return {
        "folds": folds,
        "macro_f1": f1s,
        "macro_f1_mean": float(np.mean(f1s)),
        "macro_f1_sd": float(np.std(f1s, ddof=1)) if folds > 1 else 0.0,
        "top3_mean": float(np.mean(top3)),
    }
