"""Turning text into index tokens: jieba words plus the character bigrams of Chinese runs.

Words alone miss the names jieba does not know (景蓉华苑 vs 景蓉花苑 in a reply); bigrams alone
lose the word boundaries that make a match specific. Measured on the 2,816 replies of
wenzheng2020 (body queries, BM25): words recall@5 0.667, bigrams 0.712, both together with the
query weighting of ``rank`` 0.75+ (docs/KB.md). Tokens are lower-case runs of [0-9a-z] and CJK
characters only, so any database's plain splitter reproduces them from the joined string.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable

import jieba

jieba.setLogLevel(logging.WARNING)

_PIECE = re.compile(r"[0-9a-z\u4e00-\u9fff]+")
#: Longer pieces (a URL, a serial number) are dropped: they never match anything else.
MAX_TOKEN = 32
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def words(text: str) -> list[str]:
    """jieba's words, lower-cased and cut to index-safe pieces (punctuation dropped)."""
    out: list[str] = []
    for word in jieba.lcut(text.lower()):
        out.extend(p for p in _PIECE.findall(word) if len(p) <= MAX_TOKEN)
    return out


def bigrams(text: str) -> list[str]:
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def index_tokens(text: str) -> list[str]:
    """The tokens a text is indexed and queried by (with repeats: term frequency counts)."""
    if not text:
        return []
    return words(text) + bigrams(text)


def segment(text: str) -> str:
    """The tokens joined by spaces: what the database's full-text index is given."""
    return " ".join(index_tokens(text))


def similarity(a: Iterable[str], b: Iterable[str], idf: dict[str, float] | None = None) -> float:
    """Cosine of two token bags (log-scaled counts, optionally idf-weighted), in [0, 1].

    Used to compare two requests (similar matters across callers): symmetric, and 1.0 only
    for the same bag of tokens."""
    ca, cb = Counter(a), Counter(b)
    if not ca or not cb:
        return 0.0

    def weight(tok: str, n: int) -> float:
        return (1.0 + math.log(n)) * (idf.get(tok, 1.0) if idf else 1.0)

    wa = {t: weight(t, n) for t, n in ca.items()}
    wb = {t: weight(t, n) for t, n in cb.items()}
    dot = sum(w * wb[t] for t, w in wa.items() if t in wb)
    norm = math.sqrt(sum(w * w for w in wa.values())) * math.sqrt(sum(w * w for w in wb.values()))
    return dot / norm if norm else 0.0
