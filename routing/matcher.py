"""Multi-pattern matching of place names in free text (Aho-Corasick).

A gazetteer holds hundreds of names and every intake call scans two texts with all of them;
one pass of an Aho-Corasick automaton costs the length of the text, not the number of names.
We use `pyahocorasick` (C extension, BSD) rather than a hand-written automaton.

Matches are leftmost-longest and non-overlapping, so `东湖商场` wins over `东湖` and
`东城区` over `东城` — the longer name is the more specific one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import ahocorasick

T = TypeVar("T")


@dataclass(frozen=True)
class Match(Generic[T]):
    """One occurrence of a pattern: `text[start:end] == key`, with the value it was added with."""

    start: int
    end: int
    key: str
    value: T


class LongestMatcher(Generic[T]):
    """Finds every pattern in a text; on overlap the longest (then leftmost) one wins."""

    def __init__(self, patterns: Iterable[tuple[str, T]]) -> None:
        self._automaton = ahocorasick.Automaton()
        for key, value in patterns:
            if not key:
                raise ValueError("empty pattern")
            # A key added twice keeps the first value: callers put preferred entries first.
            if key not in self._automaton:
                self._automaton.add_word(key, (key, value))
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return len(self._automaton)

    def find(self, text: str) -> list[Match[T]]:
        """All non-overlapping leftmost-longest matches, in text order."""
        if self._empty or not text:
            return []
        out: list[Match[T]] = []
        for end_index, (key, value) in self._automaton.iter_long(text):
            end = end_index + 1
            out.append(Match(end - len(key), end, key, value))
        return out
