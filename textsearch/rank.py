"""Ranking candidates: BM25 over weighted fields (BM25F in its simple form) with weighted
query terms.

The database's own index finds the candidates; this ranks them, so SQLite and PostgreSQL give
the same order (PostgreSQL's ``ts_rank`` is not BM25) and the ranking can be tuned where it is
measured. A term's frequency in a document is the field-weighted sum of its frequencies in the
title, the question variants and the answer; the document's length is weighted alike. Tuned
on wenzheng2020 replies (docs/KB.md): long answers, so full length normalisation (b = 1) and a
slow saturation (k1 = 2) rank best.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from textsearch.query import Query, idf

FIELDS = ("title", "questions", "answer")


@dataclass(frozen=True)
class Bm25Params:
    k1: float = 2.0
    b: float = 1.0


@dataclass(frozen=True)
class FieldWeights:
    title: float = 2.0
    questions: float = 2.0
    answer: float = 1.0

    def of(self, name: str) -> float:
        return float(getattr(self, name))


@dataclass(frozen=True)
class Document:
    """A candidate: its id and its tokens per field (``title``, ``questions``, ``answer``)."""

    id: int
    fields: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Corpus:
    """What the whole index knows: how many documents, their summed token count per field,
    and each term's document frequency (only the query's terms are needed)."""

    n_docs: int
    field_lengths: dict[str, int]
    df: dict[str, int]

    def idf(self) -> dict[str, float]:
        return {t: idf(d, self.n_docs) for t, d in self.df.items() if d > 0}

    def avg_length(self, weights: FieldWeights) -> float:
        if self.n_docs <= 0:
            return 1.0
        total = sum(weights.of(f) * self.field_lengths.get(f, 0) for f in FIELDS)
        return max(total / self.n_docs, 1.0)


def rank(query: Query, docs: list[Document], corpus: Corpus, params: Bm25Params | None = None,
         weights: FieldWeights | None = None) -> list[tuple[int, float]]:
    """(id, score) best first; ties broken by id so the order is stable."""
    params = params or Bm25Params()
    weights = weights or FieldWeights()
    qw = query.weights(corpus.idf())
    if not qw:
        return []
    avg = corpus.avg_length(weights)
    out: list[tuple[int, float]] = []
    for doc in docs:
        tf: Counter[str] = Counter()
        length = 0.0
        for name in FIELDS:
            tokens = doc.fields.get(name, [])
            w = weights.of(name)
            length += w * len(tokens)
            for tok in tokens:
                if tok in qw:
                    tf[tok] += w  # type: ignore[assignment]
        norm = params.k1 * (1.0 - params.b + params.b * length / avg)
        score = sum(qw[t] * f * (params.k1 + 1.0) / (f + norm) for t, f in tf.items())
        out.append((doc.id, score))
    out.sort(key=lambda p: (-p[1], p[0]))
    return out
