"""From what a person typed to a query: the distinct terms, their weights, and the strings the
two databases' full-text indexes understand.

Query term weighting: a term repeated in a long message says more about it (1 + log tf), and a
rare term more than a common one (idf, from the index's document frequencies). The index is
asked only for the ``limit`` heaviest terms: a long message has hundreds of tokens, and every
one is an OR branch the index must walk.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from textsearch.tokens import index_tokens


@dataclass(frozen=True)
class Query:
    """Distinct query terms with their counts in the query text."""

    counts: dict[str, int]

    @property
    def terms(self) -> list[str]:
        return list(self.counts)

    def weights(self, idf: dict[str, float], power: float = 1.0) -> dict[str, float]:
        """(1 + log tf) x idf^power per term; a term the index never saw weighs nothing."""
        return {t: (1.0 + math.log(n)) * idf[t] ** power for t, n in self.counts.items()
                if idf.get(t, 0.0) > 0}

    def heaviest(self, idf: dict[str, float], limit: int, power: float = 1.0) -> list[str]:
        w = self.weights(idf, power)
        return sorted(w, key=lambda t: (-w[t], t))[:limit]

    def __bool__(self) -> bool:
        return bool(self.counts)


def build_query(text: str) -> Query:
    return Query(dict(Counter(index_tokens(text))))


def idf(df: int, n_docs: int) -> float:
    """BM25's idf (the Lucene form, never negative)."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def fts5_match(terms: list[str]) -> str:
    """An FTS5 MATCH expression: any of the terms, each quoted (tokens are [0-9a-z] and CJK
    only, so quoting is enough to keep FTS5's own syntax — AND, NOT, NEAR — out)."""
    return " OR ".join(f'"{t}"' for t in terms)


def tsquery(terms: list[str]) -> str:
    """A ``to_tsquery('simple', …)`` expression: any of the terms, each quoted."""
    return " | ".join(f"'{t}'" for t in terms)
