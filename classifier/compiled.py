"""Inference without scikit-learn on the hot path.

A fitted `Featurizer` plus its calibrated linear models fold into plain arrays:

* one vocabulary (word n-grams and within-word character n-grams in two dicts whose column
  numbers continue each other) with the precomputed idf of every column;
* one weight matrix holding every linear model side by side (the NB-SVM log-count ratios
  are multiplied into its weights), one intercept row;
* per model and class the Platt sigmoid (a, b) of the calibration.

A message is then one pass over its tokens, a gather of weight rows and a few numpy ops.
The arithmetic mirrors scikit-learn's (sublinear tf, idf, L2 per view, sigmoid, row
normalisation), so probabilities agree with the reference path to ~1e-12; a test holds
them to 1e-6.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class _ModelBlock:
    start: int  # first column in the stacked weight matrix
    width: int  # 1 for a binary model (decision for the positive class), else n_classes
    a: np.ndarray | None  # Platt slopes per column, None: softmax of margins (uncalibrated)
    b: np.ndarray | None


def char_wb_ngrams(tokens: Sequence[str], min_n: int, max_n: int) -> list[str]:
    """scikit-learn's `char_wb` analyzer on tokens that are already split on whitespace."""
    out: list[str] = []
    append = out.append
    for tok in tokens:
        w = f" {tok} "
        w_len = len(w)
        for n in range(min_n, max_n + 1):
            if w_len <= n:
                append(w)
                break
            for i in range(w_len - n + 1):
                append(w[i : i + n])
    return out


def word_ngrams(tokens: list[str], min_n: int, max_n: int) -> list[str]:
    """scikit-learn's word n-grams (joined by one space) for a token list."""
    out = list(tokens) if min_n == 1 else []
    for n in range(max(2, min_n), min(max_n, len(tokens)) + 1):
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


class CompiledClassifier:
    def __init__(
        self,
        word_vocab: dict[str, int],
        word_ngrams: tuple[int, int],
        char_vocab: dict[str, int],
        char_ngrams: tuple[int, int],
        idf: np.ndarray,
        weights: np.ndarray,
        intercept: np.ndarray,
        blocks: list[_ModelBlock],
        n_classes: int,
    ) -> None:
        self.word_vocab = word_vocab
        self.word_range = word_ngrams
        self.char_vocab = char_vocab  # column numbers already offset by the word view
        self.char_range = char_ngrams
        self.n_word = len(word_vocab)
        self.idf = idf
        self.weights = np.ascontiguousarray(weights)
        self.intercept = intercept
        self.blocks = blocks
        self.n_classes = n_classes

    # ---- features ---------------------------------------------------------------------
    @staticmethod
    def _count(grams: list[str], vocab: dict[str, int]) -> dict[int, int]:
        counts: dict[int, int] = {}
        get = vocab.get
        for g in grams:
            j = get(g)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        return counts

    def _row(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        tokens = doc.split()
        idx_parts: list[np.ndarray] = []
        val_parts: list[np.ndarray] = []
        for grams, vocab in (
            (word_ngrams(tokens, *self.word_range), self.word_vocab),
            (char_wb_ngrams(tokens, *self.char_range), self.char_vocab),
        ):
            counts = self._count(grams, vocab)
            if not counts:
                continue
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            val = (np.log(tf) + 1.0) * self.idf[idx]
            val /= math.sqrt(float(val @ val))
            idx_parts.append(idx)
            val_parts.append(val)
        if not idx_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return np.concatenate(idx_parts), np.concatenate(val_parts)

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        rows = [self._row(d) for d in docs]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(i) for i, _ in rows])
        indices = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, np.int64)
        data = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        return sp.csr_matrix((data, indices, indptr), shape=(len(rows), len(self.idf)))

    # ---- scores -----------------------------------------------------------------------
    def _proba_from_scores(self, scores: np.ndarray) -> np.ndarray:
        n = scores.shape[0]
        total = np.zeros((n, self.n_classes), dtype=np.float64)
        for blk in self.blocks:
            d = scores[:, blk.start : blk.start + blk.width]
            if blk.a is None:
                if blk.width == 1:
                    d = np.column_stack([-d[:, 0], d[:, 0]])
                z = 3.0 * d
                z = z - z.max(axis=1, keepdims=True)
                e = np.exp(z)
                total += e / e.sum(axis=1, keepdims=True)
                continue
            s = 1.0 / (1.0 + np.exp(blk.a * d + blk.b))  # expit(-(a*d + b))
            if blk.width == 1:
                p = np.column_stack([1.0 - s[:, 0], s[:, 0]])
            else:
                den = s.sum(axis=1, keepdims=True)
                p = np.divide(s, den, out=np.full_like(s, 1.0 / self.n_classes), where=den != 0)
            p[(p > 1.0) & (p <= 1.0 + 1e-5)] = 1.0
            total += p
        return total / len(self.blocks)

    def predict_proba_one(self, doc: str) -> np.ndarray:
        idx, val = self._row(doc)
        scores = (val @ self.weights[idx] + self.intercept)[None, :]
        return self._proba_from_scores(scores)

    def predict_proba(self, docs: Sequence[str]) -> np.ndarray:
        if len(docs) == 1:
            return self.predict_proba_one(docs[0])
        x = self.transform(docs)
        scores = np.asarray(x @ self.weights) + self.intercept
        return self._proba_from_scores(scores)
