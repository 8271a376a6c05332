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

import array
import math
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from textsearch.query import Query, idf

FIELDS = ("title", "questions", "answer")


@dataclass(frozen=True)
class Bm25Params:
    """k1 and b as in BM25; ``idf_power`` raises the query terms' idf (1: plain BM25; 2 leans
    on rare terms — the names and places a long message shares with its reply)."""

    k1: float = 2.0
    b: float = 1.0
    idf_power: float = 1.0


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


def term_frequencies(doc: Document, weights: FieldWeights) -> tuple[dict[str, float], float]:
    """Each term's field-weighted frequency in the document, and the document's weighted length."""
    tf: dict[str, float] = {}
    length = 0.0
    for name in FIELDS:
        tokens = doc.fields.get(name, [])
        w = weights.of(name)
        length += w * len(tokens)
        for tok, n in Counter(tokens).items():  # counted in C: a long answer has hundreds of tokens
            tf[tok] = tf.get(tok, 0.0) + w * n
    return tf, length


@dataclass(frozen=True, eq=False)
class Counted:
    """What ranking needs of a document: its field-weighted term frequencies and weighted
    length, counted with ``weights``. They depend only on the document's text and the weights,
    so an application may keep them between queries (counting a long reply's tokens anew for
    each of a search's candidates was a third of a long query's CPU). Read-only: a kept one is
    shared by every search."""

    id: int
    tf: Mapping[str, float]
    length: float
    weights: FieldWeights


def counted(doc: Document, weights: FieldWeights | None = None) -> Counted:
    weights = weights or FieldWeights()
    tf, length = term_frequencies(doc, weights)
    return Counted(doc.id, MappingProxyType(tf), length, weights)


@dataclass(frozen=True)
class Packed:
    """A ``Counted`` document in a form an application can store (a text column and a binary
    one) and read back exactly: the distinct terms space-separated (tokens hold no space), their
    field-weighted frequencies as little-endian float64 in the same order, and the weighted
    length. Stored at write time, it spares a search from splitting and counting a candidate's
    whole text (a long reply: ~2,000 tokens) — decoding is one split and one array copy, in C.
    The floats are the counted ones bit for bit, so ranking from it gives the same scores."""

    terms: str
    tfs: bytes
    length: float


def pack(doc: Counted) -> Packed:
    tfs = array.array("d", doc.tf.values())
    if sys.byteorder == "big":
        tfs.byteswap()
    return Packed(" ".join(doc.tf), tfs.tobytes(), doc.length)


def unpack(doc_id: int, packed: Packed, weights: FieldWeights, *, intern: bool = False) -> Counted:
    """The ``Counted`` that ``pack`` was given (``weights``: those it was counted with — the
    packed form does not record them; the application stores one weighting). ``intern``: the
    words are interned, so counts kept side by side share one copy of each (about twice the
    decoding time: only for counts that are kept)."""
    tfs = array.array("d", packed.tfs)
    if sys.byteorder == "big":
        tfs.byteswap()
    terms: Iterable[str] = packed.terms.split(" ") if packed.terms else []
    if intern:
        terms = map(sys.intern, terms)
    return Counted(doc_id, MappingProxyType(dict(zip(terms, tfs, strict=True))), packed.length, weights)


def impacts(doc: Document, avg_length: float, params: Bm25Params | None = None,
            weights: FieldWeights | None = None) -> dict[str, float]:
    """Each term's BM25 contribution to the document without the query's weight (idf): what
    an impact-ordered posting list stores, so an index can hand out a term's best documents
    first and a query's score is the sum of query weight x impact over its terms."""
    params = params or Bm25Params()
    weights = weights or FieldWeights()
    tf, length = term_frequencies(doc, weights)
    norm = params.k1 * (1.0 - params.b + params.b * length / max(avg_length, 1.0))
    return {t: f * (params.k1 + 1.0) / (f + norm) for t, f in tf.items()}


def rank(query: Query, docs: list[Document], corpus: Corpus, params: Bm25Params | None = None,
         weights: FieldWeights | None = None) -> list[tuple[int, float]]:
    """(id, score) best first; ties broken by id so the order is stable."""
    weights = weights or FieldWeights()
    return rank_counted(query, [counted(d, weights) for d in docs], corpus, params, weights)


def rank_counted(query: Query, docs: list[Counted], corpus: Corpus,
                 params: Bm25Params | None = None,
                 weights: FieldWeights | None = None) -> list[tuple[int, float]]:
    """``rank`` of documents already counted with the same ``weights``."""
    params = params or Bm25Params()
    weights = weights or FieldWeights()
    qw = query.weights(corpus.idf(), params.idf_power)
    return rank_weighted(qw, docs, corpus.avg_length(weights), params, weights)


def rank_weighted(qw: Mapping[str, float], docs: list[Counted], avg_length: float,
                  params: Bm25Params, weights: FieldWeights) -> list[tuple[int, float]]:
    """``rank_counted`` with the query's term weights (``Query.weights``) and the corpus's
    average length already computed: a search that has them (it chose its candidates by the
    same weights) does not compute ~300 idfs and weights again."""
    if not qw:
        return []
    avg = avg_length
    k1 = params.k1
    out: list[tuple[int, float]] = []
    for doc in docs:
        if doc.weights != weights:
            raise ValueError(f"document {doc.id} was counted with {doc.weights}, not {weights}")
        tf = doc.tf
        norm = k1 * (1.0 - params.b + params.b * doc.length / avg)
        # The shared terms are found in C (keys-view intersection): a long query has hundreds of
        # terms, a long reply hundreds of distinct tokens, and they share tens. The set's order
        # follows the process's string hashing, so the sum is fsum (exactly rounded, whatever
        # the order): every process gives the same score, and equal scores tie on the id.
        score = math.fsum(qw[t] * tf[t] * (k1 + 1.0) / (tf[t] + norm)
                          for t in tf.keys() & qw.keys())
        out.append((doc.id, score))
    out.sort(key=lambda p: (-p[1], p[0]))
    return out
