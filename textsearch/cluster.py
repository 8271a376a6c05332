"""Grouping short texts into matters: one cluster is one matter raised by several callers.

Single-pass leader clustering over token bags: each text, in the order given (oldest first, so a
cluster's first member — its leader — stays the same as later texts arrive), joins the cluster
whose centroid it is most similar to, if that cosine reaches the threshold, else it starts a new
cluster. The measure is ``tokens.similarity``'s — log-scaled counts, optionally idf-weighted —
taken against the sum of the members' weight vectors, so a cluster is compared by what its
members share rather than by its first text alone. The dot product runs over the text's own
tokens only, and the centroid's norm is kept as members join, so a comparison costs the length
of one text, not of the cluster.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Cosine to a cluster's centroid at or above which a text joins it. Provisional, set on a
#: handful of our own texts (not a labelled set): in one street and category, with idf weights
#: over the span, texts on the same matter from different callers scored 0.25–0.4 and
#: different matters 0.05–0.3 — the shared place names lift every pair. Identical and lightly
#: edited texts (repeat calls) score 0.6 and above.
THRESHOLD = 0.3


def idf_weights(docs: Iterable[Iterable[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency over the texts being clustered: tokens every text
    of a street has (小区, 希望, 处理) weigh little, the matter's own words much."""
    df: Counter[str] = Counter()
    n = 0
    for doc in docs:
        n += 1
        df.update(set(doc))
    return {tok: math.log((1 + n) / (1 + d)) + 1.0 for tok, d in df.items()}


def _vector(tokens: Iterable[str], idf: dict[str, float] | None) -> dict[str, float]:
    return {t: (1.0 + math.log(c)) * (idf.get(t, 1.0) if idf else 1.0)
            for t, c in Counter(tokens).items()}


@dataclass
class _Centroid:
    weights: dict[str, float] = field(default_factory=dict)
    sq: float = 0.0  # squared norm, kept up to date as members join

    def add(self, vec: dict[str, float]) -> None:
        for tok, w in vec.items():
            old = self.weights.get(tok, 0.0)
            self.weights[tok] = old + w
            self.sq += (old + w) ** 2 - old * old

    def cosine(self, vec: dict[str, float], norm: float) -> float:
        if not self.sq or not norm:
            return 0.0
        dot = sum(w * self.weights.get(tok, 0.0) for tok, w in vec.items())
        return dot / (norm * math.sqrt(self.sq))


def group_similar(docs: Sequence[Sequence[str]], threshold: float = THRESHOLD,
            idf: dict[str, float] | None = None) -> list[list[int]]:
    """Indices of ``docs`` grouped by matter, each cluster in input order, clusters in the
    order of their first member. An empty text is a cluster of its own (it matches nothing)."""
    clusters: list[list[int]] = []
    centroids: list[_Centroid] = []
    for i, tokens in enumerate(docs):
        vec = _vector(tokens, idf)
        norm = math.sqrt(sum(w * w for w in vec.values()))
        best, best_sim = -1, threshold
        for k, centroid in enumerate(centroids):
            sim = centroid.cosine(vec, norm)
            if sim >= best_sim:
                best, best_sim = k, sim
        if best < 0 or not vec:
            clusters.append([i])
            centroids.append(_Centroid())
            centroids[-1].add(vec)
        else:
            clusters[best].append(i)
            centroids[best].add(vec)
    return clusters


def representative(docs: Sequence[Sequence[str]], members: Sequence[int],
                   idf: dict[str, float] | None = None) -> int:
    """The member closest to its cluster's centroid: the text that best names the matter."""
    centroid = _Centroid()
    vectors = {i: _vector(docs[i], idf) for i in members}
    for vec in vectors.values():
        centroid.add(vec)
    return max(members, key=lambda i: (centroid.cosine(
        vectors[i], math.sqrt(sum(w * w for w in vectors[i].values()))), -i))
