"""Is this call the same matter at the same place as an earlier one? (并单 across callers)

A pure scorer: plain strings in, a figure in [0, 1] out. The application picks the candidates
(recent tickets a merge could still go into) and shows the figure; this module only compares.

The score of two requests ``a`` and ``b``::

    content = cosine of their token bags (as ``tokens.similarity``, over ``index_tokens``: jieba
              words + character bigrams, counts log-scaled; no idf, so a figure does not change
              with whatever else was reported that week)
    place   = how well the places they name agree (``place_match``), or None when either
              names none
    score   = content                                             if place is None
            = MISMATCH · content                                  if place == 0
            = (1 - PLACE_WEIGHT) · content + PLACE_WEIGHT · place  otherwise

A shared place lifts the figure; places that share nothing (another 小区, another district)
halve it, so even a word-for-word copy about another place stays under the threshold.

Places are the address field plus the place names written in the text: up to six characters
before a place word (小区, 花园, 路, 街道, 村, 栋 …), cut after the last function word. Two
requests naming different districts (A3区 / A5区 in the masked public data, 渝中区 / 江北区 at
the start of an address) have place 0. Why the place term: the public data has neighbours of
different 小区 posting the very same complaint text (油烟扰民 word for word, only the 小区
changed) — content alone calls that one matter, and a merge would tell one 小区's callers
about another's result.

Measured on 240 hand-labelled pairs of wenzheng2020 messages (docs/SIMILAR.md, ``hotline
similar evaluate``): at ``THRESHOLD`` 0.45, precision 0.90 and recall 0.96 (F1 0.93); content
alone, at its own best threshold, reaches F1 0.89.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from textsearch.tokens import index_tokens

#: How much the place agreement counts when both requests name a place.
PLACE_WEIGHT = 0.35
#: What is left of the content's figure when the places named share nothing.
MISMATCH = 0.5
#: The score from which the console offers a ticket as the same matter (docs/SIMILAR.md).
THRESHOLD = 0.45

#: Words that end a place's name: a 小区, a road, a village, a building.
_SUFFIX = ("小区|花园|花苑|家园|新村|新城|公寓|大厦|大楼|广场|商场|社区|街道|大道|公园|中学|小学|"
           "幼儿园|学校|医院|市场|园区|路|街|巷|村|镇|乡|苑|城|湾|栋|幢")
_PLACE = re.compile(rf"[\u4e00-\u9fff0-9A-Za-z]{{2,6}}?(?:{_SUFFIX})")
#: Characters a place's name does not run across (function words, verbs of a complaint): the
#: name is what follows the last of them — "领导为我们小区" is no place, "魅力之城" is one.
_STOP = re.compile(r"^.*[的了我们你他她是在和与及对向从到为被把让给请有无这那个也都就还又很太不没要想"
                   r"能会可将已等其该此本各每吗呢吧着过使由于以因所而但并或即说问建住买卖开近旁边]")
#: District codes of the masked public data (A3区, K3县, A9市) — "A市", the city, is not one.
_DISTRICT = re.compile(r"[A-Z]\d{1,2}[区县市]")
#: A real district at the start of an address field: 渝中区, 东城区, 长寿县.
_ADDRESS_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{1,3}?[区县](?<!小区)(?<!社区)(?<!园区)(?<!片区)(?<!景区)")
#: Common words that end like a place but name none.
_NOT_PLACES = ("马路", "道路", "公路", "线路", "铁路", "出路", "县城", "省城", "全城", "乡村", "农村")


@dataclass(frozen=True)
class Profile:
    """What a request is compared by: its content tokens and the places it names.

    The token bag's weights and norm are computed once with the profile: the console scores
    one call against hundreds of cached profiles per keystroke."""

    tokens: tuple[str, ...]
    places: frozenset[str]
    districts: frozenset[str]
    weights: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)
    norm: float = field(default=0.0, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.tokens and not self.weights:  # the same weights as ``tokens.similarity``
            weights = {t: 1.0 + math.log(n) for t, n in Counter(self.tokens).items()}
            object.__setattr__(self, "weights", weights)
            object.__setattr__(self, "norm", math.sqrt(sum(w * w for w in weights.values())))


def content_similarity(a: Profile, b: Profile) -> float:
    """``tokens.similarity`` of the two token bags, from the weights computed once."""
    if not a.norm or not b.norm:
        return 0.0
    small, large = (a.weights, b.weights) if len(a.weights) <= len(b.weights) else (b.weights, a.weights)
    dot = sum(w * large[t] for t, w in small.items() if t in large)
    return min(dot / (a.norm * b.norm), 1.0)


def places(text: str) -> tuple[set[str], set[str]]:
    """(specific place names, district codes) written in ``text``.

    A specific name is up to six characters before a place word, cut after the last function
    word, at least three characters long and not a common word (马路, 小区)."""
    districts = set(_DISTRICT.findall(text))
    rest = _DISTRICT.sub(" ", text)
    found: set[str] = set()
    for raw in _PLACE.findall(rest):
        name = _STOP.sub("", raw)
        if len(name) >= 3 and not name.endswith(_NOT_PLACES):
            found.add(name)
    return found, districts


def profile(content: str, address: str = "") -> Profile:
    """The profile of one request; the address's places count with those in the text."""
    names, districts = places(f"{address or ''} {content}")
    if address and (m := _ADDRESS_DISTRICT.match(address.strip())):
        districts.add(m.group(0))
    return Profile(tuple(index_tokens(content)), frozenset(names), frozenset(districts))


#: Place words themselves say nothing about which place: "桂花苑小区" and "月湖苑小区" share
#: "小区" and are still two places.
_PLACE_WORD_PAIRS = frozenset(w for w in _SUFFIX.split("|") if len(w) == 2)


def _bigrams(names: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for n in names:
        out.update(n[i:i + 2] for i in range(len(n) - 1))
    return out - _PLACE_WORD_PAIRS


def place_match(a: Profile, b: Profile) -> float | None:
    """Agreement of the places two requests name, in [0, 1]; None when either names none.

    Two different districts → 0. Otherwise the share of the smaller side's place-name
    character pairs found in the other's (an overlap coefficient: "桂花苑5栋" and "桂花苑小区"
    agree, "桂花苑" and "月湖苑" do not)."""
    if a.districts and b.districts and not (a.districts & b.districts):
        return 0.0
    x, y = _bigrams(a.places), _bigrams(b.places)
    if not x or not y:
        return None
    return len(x & y) / min(len(x), len(y))


def score(a: Profile, b: Profile) -> float:
    """The similarity figure of two requests in [0, 1] (see the module's formula)."""
    content = content_similarity(a, b)
    place = place_match(a, b)
    if place is None:
        return min(content, 1.0)
    if place == 0.0:
        return MISMATCH * min(content, 1.0)
    return min((1.0 - PLACE_WEIGHT) * content + PLACE_WEIGHT * place, 1.0)


def most_similar(query: Profile, candidates: Sequence[Profile], threshold: float = THRESHOLD,
                 limit: int = 10) -> list[tuple[int, float]]:
    """(index into ``candidates``, score) of those at or above ``threshold``, best first."""
    found = [(i, s) for i, c in enumerate(candidates) if (s := score(query, c)) >= threshold]
    found.sort(key=lambda p: (-p[1], p[0]))
    return found[:limit]


# ---------------------------------------------------------------------------------------------
# Evaluation against hand-labelled pairs
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figures:
    """Precision, recall and F1 of "score ≥ threshold means the same matter"."""

    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def figures(scored: Iterable[tuple[float, bool]], threshold: float) -> Figures:
    """The confusion counts of (score, labelled the same matter) pairs at one threshold."""
    tp = fp = fn = tn = 0
    for value, same in scored:
        hit = value >= threshold
        tp += hit and same
        fp += hit and not same
        fn += (not hit) and same
        tn += (not hit) and not same
    return Figures(threshold, tp, fp, fn, tn)


def message_text(subject: str, body: str) -> str:
    """What a posted message is compared by: its subject and its body, whitespace folded (a
    subject names the matter and the place as a caller's first sentence does)."""
    return f"{subject.strip()}。{' '.join(body.split())}"


def evaluate(texts: Mapping[str, str], pairs: Iterable[tuple[str, str, bool]],
             thresholds: Sequence[float]) -> dict[str, list[Figures]]:
    """Figures of the shipped score and of content alone over labelled pairs of ids into
    ``texts``, at each threshold: the table the shipped ``THRESHOLD`` was chosen from."""
    profiles = {key: profile(text) for key, text in texts.items()}
    labelled = [(profiles[a], profiles[b], same) for a, b, same in pairs]
    shipped = [(score(a, b), same) for a, b, same in labelled]
    content = [(content_similarity(a, b), same) for a, b, same in labelled]
    return {"shipped": [figures(shipped, t) for t in thresholds],
            "content": [figures(content, t) for t in thresholds]}
