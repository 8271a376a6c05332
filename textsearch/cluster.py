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

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

#: Cosine to a cluster's centroid at or above which a text joins it. Provisional, set on a
#: handful of our own texts (not a labelled set): in one street and category, with idf weights
#: over the span, texts on the same matter from different callers scored 0.25–0.4 and
#: different matters 0.05–0.3 — the shared place names lift every pair. Identical and lightly
#: edited texts (repeat calls) score 0.6 and above. Measured since on 240 labelled pairs of
#: real messages (docs/SIMILAR.md): precision 0.94–0.95, recall 0.51–0.54 — lower thresholds
#: find more but were not measured where the board clusters (one street and category).
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


#: Each text is compared by its heaviest tokens only: a long message's hundreds of tokens add
#: cost, not discrimination (its rare, idf-heavy words name the matter).
TOP_TOKENS = 32
#: A token posted under more clusters than this is too common to find candidates by.
MAX_POSTING = 64


def _vector(tokens: Iterable[str], idf: dict[str, float] | None,
            top: int | None = TOP_TOKENS) -> dict[str, float]:
    """Log-scaled counts × idf, the ``top`` heaviest kept. ``tokens``: a list (counted) or a
    mapping of token → count (taken as is)."""
    counts = Counter(tokens)
    if idf:
        vec = {t: (1.0 + math.log(c) if c > 1 else 1.0) * idf.get(t, 1.0) for t, c in counts.items()}
    else:
        vec = {t: 1.0 + math.log(c) if c > 1 else 1.0 for t, c in counts.items()}
    if top is not None and len(vec) > top:  # ties: the earlier token (the text's own order)
        vec = dict(heapq.nlargest(top, vec.items(), key=itemgetter(1)))
    return vec


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


def group_similar(docs: Sequence[Iterable[str]], threshold: float = THRESHOLD,
                  idf: dict[str, float] | None = None,
                  top: int | None = TOP_TOKENS) -> list[list[int]]:
    """Indices of ``docs`` grouped by matter, each cluster in input order, clusters in the
    order of their first member. An empty text is a cluster of its own (it matches nothing).
    A text is its tokens (a list, counted) or a mapping of token → count.

    Candidates come from an inverted index, token → the clusters whose centroid has it: a text
    is scored (exactly) only against clusters it shares a token with, and a token already
    posted under more than ``MAX_POSTING`` clusters (小区, 反映: words of every matter) is not
    walked, so a text costs a few short postings, not every cluster. A text that shares only
    such common words with a cluster is not on its matter."""
    clusters: list[list[int]] = []
    centroids: list[_Centroid] = []
    postings: dict[str, list[int]] = {}
    for i, tokens in enumerate(docs):
        vec = _vector(tokens, idf, top)
        norm = math.sqrt(sum(w * w for w in vec.values()))
        candidates: set[int] = set()
        for tok in vec:
            posted = postings.get(tok, ())
            if len(posted) <= MAX_POSTING:
                candidates.update(posted)
        best, best_sim = -1, threshold
        for k in sorted(candidates):
            sim = centroids[k].cosine(vec, norm)
            if sim >= best_sim:
                best, best_sim = k, sim
        if best < 0 or not vec:
            best = len(clusters)
            clusters.append([])
            centroids.append(_Centroid())
        clusters[best].append(i)
        for tok in vec:
            if tok not in centroids[best].weights:
                postings.setdefault(tok, []).append(best)
        centroids[best].add(vec)
    return clusters


def representative(docs: Sequence[Iterable[str]], members: Sequence[int],
                   idf: dict[str, float] | None = None) -> int:
    """The member closest to its cluster's centroid: the text that best names the matter."""
    centroid = _Centroid()
    if len(members) == 1:
        return members[0]
    vectors = {i: _vector(docs[i], idf) for i in members}
    for vec in vectors.values():
        centroid.add(vec)
    return max(members, key=lambda i: (centroid.cosine(
        vectors[i], math.sqrt(sum(w * w for w in vectors[i].values()))), -i))
