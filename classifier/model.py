"""Label-agnostic text classifier: one trainer for category, request type or handling unit.

Design choices (measured by 5-fold CV on the training part of the 2020 messages, not on
any test split): word 1–2-gram and within-word character 1–3-gram TF-IDF with sublinear tf;
two linear models, an NB-SVM (one-vs-rest LinearSVC on features scaled by per-class
naive-Bayes log-count ratios) and a plain LinearSVC, each calibrated by sigmoid on
cross-validated scores, probabilities averaged. Character n-grams carry the model over
segmentation differences between raw and pre-segmented text; calibration makes the scores
usable for abstention (below the threshold the ticket goes to manual triage).

Prediction runs on a compiled form of the fitted models (`classifier.compiled`): one
vocabulary pass and one weight matrix, no scikit-learn objects per call. The fitted
scikit-learn objects stay in the model as the reference path (`predict_proba_reference`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from classifier.compiled import CompiledClassifier, _ModelBlock
from classifier.text import prepare

DEFAULT_ABSTAIN_BELOW = 0.4


@dataclass(frozen=True)
class Prediction:
    label: str | None
    top: list[tuple[str, float]]
    abstained: bool

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "top": [[lab, s] for lab, s in self.top]}
        if self.abstained:
            out["abstained"] = True
        return out


@dataclass
class TrainConfig:
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (1, 3)
    min_df: int = 2
    svc_c: float = 1.0
    nbsvm_c: float = 1.0
    nb_alpha: float = 1.0
    calibration_folds: int = 3
    abstain_below: float = DEFAULT_ABSTAIN_BELOW
    extra: dict[str, Any] = field(default_factory=dict)


class Featurizer:
    """Word and character views of the prepared token string, L2-normalised per view."""

    def __init__(self, cfg: TrainConfig, n_docs: int) -> None:
        # On tiny corpora (a CLI smoke test, a new unit's first tickets) min_df=2 would
        # drop most of the vocabulary; keep every term there.
        min_df = cfg.min_df if n_docs >= 200 else 1
        self.word = TfidfVectorizer(
            tokenizer=str.split, token_pattern=None, lowercase=False,
            ngram_range=cfg.word_ngrams, sublinear_tf=True, min_df=min_df, dtype=np.float64,
        )
        self.char = TfidfVectorizer(
            analyzer="char_wb", ngram_range=cfg.char_ngrams, lowercase=False,
            sublinear_tf=True, min_df=min_df, dtype=np.float64,
        )

    def fit_transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([self.word.fit_transform(docs), self.char.fit_transform(docs)]).tocsr()

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([self.word.transform(docs), self.char.transform(docs)]).tocsr()


class NBSVMClassifier(ClassifierMixin, BaseEstimator):
    """NB-SVM (Wang & Manning 2012): per class, features scaled by the log-count ratio of
    their presence in that class against the rest, then a binary LinearSVC. The ratio
    stresses words that single out a class (e.g. 公交, 站台 for 交通运输), which the small
    classes need most. Binary problems train one model for `classes_[1]` and return a 1-D
    decision, as scikit-learn's linear models do."""

    def __init__(self, C: float = 1.0, alpha: float = 1.0) -> None:
        self.C = C
        self.alpha = alpha

    def fit(self, x: sp.csr_matrix, y: Sequence[str]) -> NBSVMClassifier:
        labels = np.asarray(y)
        self.classes_ = np.unique(labels)
        present = x.copy().tocsr()
        present.data[:] = 1.0
        targets = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        ratios, coefs, intercepts = [], [], []
        for c in targets:
            pos = labels == c
            p = self.alpha + np.asarray(present[pos].sum(axis=0)).ravel()
            q = self.alpha + np.asarray(present[~pos].sum(axis=0)).ravel()
            r = np.log((p / p.sum()) / (q / q.sum()))
            svm = LinearSVC(C=self.C, class_weight="balanced", random_state=0)
            svm.fit(sp.csr_matrix(x.multiply(r)), pos.astype(int))
            ratios.append(r)
            coefs.append(svm.coef_[0])
            intercepts.append(svm.intercept_[0])
        # Decision of class k: (r_k * w_k) . x + b_k, kept folded.
        self.coef_ = np.asarray(ratios) * np.asarray(coefs)
        self.intercept_ = np.asarray(intercepts)
        return self

    def decision_function(self, x: sp.csr_matrix) -> np.ndarray:
        d = np.asarray(x @ self.coef_.T) + self.intercept_
        return d[:, 0] if len(self.classes_) == 2 else d

    def predict(self, x: sp.csr_matrix) -> np.ndarray:
        d = self.decision_function(x)
        if d.ndim == 1:
            return self.classes_[(d > 0).astype(int)]
        return self.classes_[d.argmax(axis=1)]


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class TextClassifier:
    """A trained model plus what is needed to trust it later: labels and metadata."""

    def __init__(
        self,
        featurizer: Featurizer,
        estimators: list[Any],
        labels: list[str],
        metadata: dict[str, Any] | None = None,
        abstain_below: float = DEFAULT_ABSTAIN_BELOW,
    ) -> None:
        self.featurizer = featurizer
        self.estimators = estimators
        self.labels = labels
        self.metadata: dict[str, Any] = metadata or {}
        self.abstain_below = abstain_below
        self.compiled = compile_model(featurizer, estimators, labels)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if getattr(self, "compiled", None) is None:  # saved before compilation existed
            self.compiled = compile_model(self.featurizer, self.estimators, self.labels)

    def predict_proba_prepared(self, docs: Sequence[str]) -> np.ndarray:
        if not docs:
            return np.zeros((0, len(self.labels)), dtype=np.float64)
        return self.compiled.predict_proba(docs)

    def predict_proba_reference(self, docs: Sequence[str]) -> np.ndarray:
        """The scikit-learn path the compiled one must match (prepared docs)."""
        x = self.featurizer.transform(docs)
        probs = np.zeros((len(docs), len(self.labels)), dtype=np.float64)
        for est in self.estimators:
            if hasattr(est, "predict_proba"):
                probs += est.predict_proba(x)
            else:  # too few examples per class to calibrate: softmax of margins
                d = est.decision_function(x)
                if d.ndim == 1:
                    d = np.column_stack([-d, d])
                probs += _softmax(3.0 * d)
        return probs / len(self.estimators)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.predict_proba_prepared([prepare(t) for t in texts])

    def _to_predictions(self, probs: np.ndarray, k: int) -> list[Prediction]:
        out = []
        k = max(1, min(k, len(self.labels)))
        for row in probs:
            order = np.argsort(-row)[:k]
            top = [(self.labels[i], round(float(row[i]), 4)) for i in order]
            abstained = float(row[order[0]]) < self.abstain_below
            out.append(Prediction(None if abstained else top[0][0], top, abstained))
        return out

    def predict_many(self, texts: Sequence[str], k: int = 3) -> list[Prediction]:
        if not texts:
            return []
        return self._to_predictions(self.predict_proba(texts), k)

    def predict(self, text: str, k: int = 3) -> Prediction:
        return self.predict_many([text], k)[0]


def compile_model(featurizer: Featurizer, estimators: list[Any], labels: list[str]) -> CompiledClassifier:
    """Fold vectorisers and (calibrated) linear models into `CompiledClassifier` arrays."""
    word, char = featurizer.word, featurizer.char
    n_word = len(word.vocabulary_)
    word_vocab = {str(k): int(v) for k, v in word.vocabulary_.items()}
    char_vocab = {str(k): int(v) + n_word for k, v in char.vocabulary_.items()}
    idf = np.concatenate([word.idf_, char.idf_]).astype(np.float64)
    cols: list[np.ndarray] = []
    intercepts: list[np.ndarray] = []
    blocks: list[_ModelBlock] = []
    start = 0
    for est in estimators:
        if isinstance(est, CalibratedClassifierCV):
            cal = est.calibrated_classifiers_[0]
            base, calibrators = cal.estimator, cal.calibrators
            if list(base.classes_) != list(est.classes_):
                raise ValueError("calibrated model reorders classes; cannot compile")
            a = np.array([c.a_ for c in calibrators], dtype=np.float64)
            b = np.array([c.b_ for c in calibrators], dtype=np.float64)
        else:
            base, a, b = est, None, None
        if [str(c) for c in base.classes_] != list(labels):
            raise ValueError("estimators disagree on the class order; cannot compile")
        coef = np.atleast_2d(np.asarray(base.coef_, dtype=np.float64))
        cols.append(coef.T)
        intercepts.append(np.atleast_1d(np.asarray(base.intercept_, dtype=np.float64)))
        blocks.append(_ModelBlock(start, coef.shape[0], a, b))
        start += coef.shape[0]
    return CompiledClassifier(
        word_vocab, tuple(word.ngram_range), char_vocab, tuple(char.ngram_range), idf,
        np.hstack(cols), np.concatenate(intercepts), blocks, len(labels),
    )


def data_hash(texts: Sequence[str], labels: Sequence[str]) -> str:
    """Identifies the training data in the metadata without storing any of it."""
    h = hashlib.sha256()
    for t, lab in zip(texts, labels, strict=True):
        h.update(t.encode("utf-8"))
        h.update(b"\x1f")
        h.update(lab.encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


def fit_prepared(
    docs: Sequence[str], labels: Sequence[str], cfg: TrainConfig | None = None
) -> TextClassifier:
    """Train on already prepared token strings (lets CV prepare each text only once)."""
    cfg = cfg or TrainConfig()
    if len(docs) != len(labels):
        raise ValueError("texts and labels differ in length")
    counts = Counter(labels)
    if len(counts) < 2:
        raise ValueError("need at least two different labels to train a classifier")
    y = np.asarray(labels, dtype=object)
    feat = Featurizer(cfg, len(docs))
    x = feat.fit_transform(docs)
    bases = [
        NBSVMClassifier(C=cfg.nbsvm_c, alpha=cfg.nb_alpha),
        LinearSVC(C=cfg.svc_c, class_weight="balanced", random_state=0),
    ]
    folds = min(cfg.calibration_folds, min(counts.values()))
    estimators: list[Any] = []
    for base in bases:
        if folds >= 2:
            est: Any = CalibratedClassifierCV(base, method="sigmoid", cv=folds, ensemble=False)
        else:
            est = base
        est.fit(x, y)
        estimators.append(est)
    labels_sorted = [str(c) for c in estimators[0].classes_]
    model = TextClassifier(feat, estimators, labels_sorted, abstain_below=cfg.abstain_below)
    model.metadata.update(
        {
            "n_samples": len(docs),
            "class_counts": dict(sorted(counts.items())),
            "calibrated": folds >= 2,
            "config": {
                "word_ngrams": list(cfg.word_ngrams),
                "char_ngrams": list(cfg.char_ngrams),
                "min_df": cfg.min_df,
                "models": ["nbsvm", "linear_svc"],
                "nbsvm_c": cfg.nbsvm_c,
                "nb_alpha": cfg.nb_alpha,
                "svc_c": cfg.svc_c,
                "calibration_folds": folds,
                "abstain_below": cfg.abstain_below,
            },
        }
    )
    return model


def train_model(
    texts: Sequence[str], labels: Sequence[str], cfg: TrainConfig | None = None
) -> TextClassifier:
    """Raw or segmented texts alike; labels may be any strings (category path, request
    type, unit name), the trainer does not care which target it learns."""
    labels = [str(lab).strip() for lab in labels]
    model = fit_prepared([prepare(t) for t in texts], labels, cfg)
    model.metadata["data_hash"] = data_hash(texts, labels)
    return model
