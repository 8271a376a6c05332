"""Snippets and highlighting: the passage of an answer that matches the query best, with the
matched words marked. Output is HTML-escaped text with ``<mark>`` around matches, safe to put
into a page as it is."""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from functools import lru_cache

from textsearch.tokens import words

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _needles(terms: list[str]) -> list[str]:
    """The strings to mark: query words of two or more characters (single characters and
    bigram pieces of longer words would mark half the text), longest first."""
    keep = {t for t in terms if len(t) >= 2}
    return sorted(keep, key=lambda t: (-len(t), t))


@lru_cache(maxsize=64)
def _pattern(needles: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern per query (a search marks all its hits with the same one)."""
    return re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)


def _spans(text: str, needles: list[str]) -> list[tuple[int, int]]:
    if not needles:
        return []
    return [(m.start(), m.end()) for m in _pattern(tuple(needles)).finditer(text)]


def highlight(text: str, terms: list[str]) -> str:
    """The whole text, escaped, matches wrapped in ``<mark>``."""
    out: list[str] = []
    last = 0
    for start, end in _spans(text, _needles(terms)):
        out.append(html.escape(text[last:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def snippet(text: str, query: str | list[str], width: int = 80) -> str:
    """The ``width``-character window of ``text`` holding the most matches of the query's
    words (the query text, or its words already cut — a search cuts them once for all its
    hits), highlighted, with an ellipsis where it was cut."""
    flat = " ".join(text.split())
    terms = words(query) if isinstance(query, str) else query
    spans = _spans(flat, _needles(terms))
    if len(flat) <= width or not spans:
        start = 0
    else:
        # Matches neither overlap nor nest, so their starts and ends both ascend: the matches
        # inside [begin, begin + width] are those from the first starting at or after begin to
        # the last ending by begin + width — two bisections instead of a pass over every match
        # for each candidate window (a long answer has dozens).
        starts, ends = [a for a, _ in spans], [b for _, b in spans]
        best, start = -1, 0
        for s, _ in spans:
            begin = max(0, min(s - width // 4, len(flat) - width))
            count = max(0, bisect_right(ends, begin + width) - bisect_left(starts, begin))
            if count > best:
                best, start = count, begin
    piece = flat[start:start + width]
    body = highlight(piece, terms)
    return ("…" if start > 0 else "") + body + ("…" if start + width < len(flat) else "")
