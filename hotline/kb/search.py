"""Searching the knowledge base in the database itself: impact-ordered posting lists find
candidates, ``textsearch`` ranks them, highlights and cuts snippets.

Candidates: for each of the query's heaviest terms, the entries where the term weighs most
(``kb_postings``, indexed on (term, impact DESC)), filtered (status, validity, public,
category, unit: the posting's own copy of its entry's columns, in the index, so no entry row is
fetched) in the same statement and summed per entry — one statement, the same on SQLite
and PostgreSQL, reading at most terms x depth index rows however common the terms are. (The
FTS5 table / GIN-indexed tsvector ranked *every* row matching any term: 35,000 rows and 1.4 s for
a two-word query at 100,000 entries; bench/RESULTS.md.) The final order is textsearch's BM25
over the candidates' stored tokens, the same on both databases.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    func,
    or_,
    true,
    union_all,
)
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

import textsearch
from hotline.core.columns import UTCDateTime
from hotline.core.times import utcnow
from hotline.kb.index import PARAMS, WEIGHTS, corpus, document
from hotline.kb.models import KB_COUNTS, KbEntry, KbPosting, KbStatus
from textsearch.rank import Bm25Params, Counted, FieldWeights, Packed

#: The heaviest query terms whose posting lists are read, how many entries are read from each
#: list, and how many of the best partial scores are ranked here (tuned in docs/KB.md).
QUERY_TERMS = 48
DEPTH = 40
CANDIDATES = 100
#: Each posting list is read at most SCAN x DEPTH entries deep looking for DEPTH that pass the
#: filters (enough for a filter passing one entry in ten).
SCAN = 10
#: A filter passing at most this many entries is scored entries-first (see ``candidates``).
FEW = 500
#: SQLite's candidate statement has a branch per query term, padded to a multiple of this.
PAD = 8


@dataclass(frozen=True)
class Filters:
    category: str | None = None
    unit_ids: list[int] | None = None
    public_only: bool = False
    published_only: bool = True  # and valid now


@dataclass(frozen=True)
class Hit:
    entry: KbEntry
    score: float
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        e = self.entry
        return {"id": e.id, "title": e.title, "score": round(self.score, 4), "snippet": self.snippet,
                "category": e.category, "unit_id": e.unit_id, "public": e.public,
                "status": str(e.status), "valid_until": e.valid_until, "basis": e.basis,
                "use_count": e.use_count}


def usable(now: datetime) -> ColumnElement[bool]:
    """Published and valid at ``now``: what agents may answer with and the public may read."""
    return and_(col(KbEntry.status) == KbStatus.published,
                or_(col(KbEntry.valid_from).is_(None), col(KbEntry.valid_from) <= now),
                or_(col(KbEntry.valid_until).is_(None), col(KbEntry.valid_until) > now))


_ENTRIES = KbEntry.__table__  # type: ignore[attr-defined]
#: The candidates' stored tokens, built once (Core: no ORM rows for what only the ranker reads):
#: counted at query time only for a tuning run's field weights and for an entry without counts.
_TOKENS = select(_ENTRIES.c.id, _ENTRIES.c.search_title, _ENTRIES.c.search_questions,
                 _ENTRIES.c.search_answer).where(_ENTRIES.c.id.in_(bindparam("ids", expanding=True)))
_COUNTS = KB_COUNTS
#: The candidates' count digests (what the process may have kept), then the misses' counts.
_DIGESTS = select(_COUNTS.c.entry_id, _COUNTS.c.digest).where(
    _COUNTS.c.entry_id.in_(bindparam("ids", expanding=True)))
_PACKED = core_select(_COUNTS.c.entry_id, _COUNTS.c.digest, _COUNTS.c.length, _COUNTS.c.terms,
                 _COUNTS.c.tfs).where(_COUNTS.c.entry_id.in_(bindparam("ids", expanding=True)))


def _filters(published_only: bool, public_only: bool, category: bool,
             units: bool) -> list[ColumnElement[bool]]:
    """The filters on the entries themselves (the entries-first path, ``_filtered_ids``)."""
    where: list[ColumnElement[bool]] = []
    if published_only:
        where.append(usable(bindparam("now", type_=UTCDateTime)))  # type: ignore[arg-type]
    if public_only:
        where.append(col(KbEntry.public).is_(True))
    if category:
        where.append(col(KbEntry.category) == bindparam("category", type_=String))
    if units:
        where.append(col(KbEntry.unit_id).in_(bindparam("units", expanding=True)))
    return where


def _posting_filters(c: Any, published_only: bool, public_only: bool, category: bool,
                     units: bool) -> list[ColumnElement[bool]]:
    """The same filters on the entry's columns as a posting carries them (``KbPosting``):
    tested on the index entry, no entry row fetched."""
    where: list[ColumnElement[bool]] = []
    if published_only:
        now = bindparam("now", type_=UTCDateTime)
        where.append(and_(c.published.is_(True), or_(c.valid_from.is_(None), c.valid_from <= now),
                          or_(c.valid_until.is_(None), c.valid_until > now)))
    if public_only:
        where.append(c.public.is_(True))
    if category:
        where.append(c.category == bindparam("category", type_=String))
    if units:
        where.append(c.unit_id.in_(bindparam("units", expanding=True)))
    return where


_FILTERS = ("published", "public", "unit_id", "category", "valid_from", "valid_until")


def _best(flags: tuple[bool, bool, bool, bool], term: ColumnElement[Any], outer: Any = None) -> Select[Any]:
    """One term's bounded read: of the ``scan`` entries where the term weighs most, the
    ``depth`` best passing the filters (a selective filter thus cannot make it read a common
    term's whole list; ``candidates`` then scores the filtered entries themselves). The filters
    are tested on the posting's copy of the entry's columns, all in the index (term, impact
    DESC, entry_id, filter columns…): an index-only read, no entry row."""
    p = KbPosting.__table__  # type: ignore[attr-defined]
    top = (select(p.c.entry_id, p.c.impact, *(p.c[name] for name in _FILTERS)).where(p.c.term == term)
           .order_by(p.c.impact.desc(), p.c.entry_id).limit(bindparam("scan", type_=Integer)))
    # PostgreSQL: ``term`` is a column of the outer unnest, read laterally.
    read = top.correlate(outer).lateral("top") if outer is not None else top.subquery("top")
    return (select(read.c.entry_id, read.c.impact).where(*_posting_filters(read.c, *flags))
            .order_by(read.c.impact.desc(), read.c.entry_id).limit(bindparam("depth", type_=Integer)))


@lru_cache(maxsize=512)
def _candidate_statement(n_terms: int, published_only: bool, public_only: bool, category: bool,
                         units: bool, lateral: bool = False) -> Select[Any]:
    """The candidate statement for a shape of query (how many terms, which filters), with
    every value a bound parameter: built and compiled once per shape, not per search (48
    sub-selects cost SQLAlchemy ~50 ms to build). SQLite: a UNION ALL of one bounded read per
    term. PostgreSQL (``lateral``): the same reads as one LATERAL subquery over the unnested
    term and weight arrays — one plan whatever the number of terms (planning a 42-branch UNION
    took ~20 ms there)."""
    flags = (published_only, public_only, category, units)
    if lateral:
        q = (func.unnest(bindparam("terms", type_=ARRAY(String)), bindparam("weights", type_=ARRAY(Float)))
             .table_valued("term", "w").render_derived(name="q"))
        best = _best(flags, q.c.term, q).lateral("b")
        hits = (select(best.c.entry_id, (best.c.impact * q.c.w).label("s"))
                .select_from(q).join(best, true()).subquery("hits"))
    else:
        branches = []
        for i in range(n_terms):
            one = _best(flags, bindparam(f"t{i}", type_=String)).subquery(f"b{i}")
            weight = bindparam(f"w{i}", type_=Float)
            branches.append(select(one.c.entry_id, (one.c.impact * weight).label("s")))
        hits = union_all(*branches).subquery("hits")
    return (select(hits.c.entry_id).group_by(hits.c.entry_id)
            .order_by(func.sum(hits.c.s).desc(), hits.c.entry_id)
            .limit(bindparam("limit", type_=Integer)))


def candidate_query(dialect: str, weights: dict[str, float], f: Filters, now: datetime, limit: int,
                    depth: int = DEPTH) -> tuple[Select[Any], dict[str, Any]]:
    """The candidate statement and its values (``candidates`` runs it; the benchmark explains it)."""
    lateral = dialect == "postgresql"
    ordered = sorted(weights.items())
    # SQLite: one branch per term, the count rounded up to a multiple of ``PAD``; the extra
    # branches read term NULL, which matches no posting. A statement is built and compiled
    # once per shape (~80 ms for 48 branches): with a shape per exact count, long queries
    # (31, 37, 45 … terms) kept meeting new shapes (a search in ~50 paid it, on wenzheng2020).
    branches = 0 if lateral else -(-len(ordered) // PAD) * PAD
    stmt = _candidate_statement(branches, f.published_only, f.public_only,
                                bool(f.category), f.unit_ids is not None, lateral)
    values: dict[str, Any] = {"now": now, "depth": depth, "scan": depth * SCAN, "limit": limit}
    if lateral:
        values["terms"], values["weights"] = [t for t, _ in ordered], [w for _, w in ordered]
    for i, (term, w) in enumerate([] if lateral else ordered):
        values[f"t{i}"], values[f"w{i}"] = term, w
    for i in range(len(ordered), branches):
        values[f"t{i}"], values[f"w{i}"] = None, 0.0
    if f.category:
        values["category"] = f.category
    if f.unit_ids is not None:
        values["units"] = list(f.unit_ids)
    return stmt, values


def candidates(session: Session, weights: dict[str, float], f: Filters, now: datetime, limit: int,
               depth: int = DEPTH, few: int = FEW) -> list[int]:
    """Entry ids with the highest partial scores: for each query term the ``depth`` entries
    (passing the filters) where it has the highest impact, read from the index on
    (term, impact DESC); an entry's partial score is the sum of query weight x impact over the
    lists it was found in. Each list is read at most ``SCAN x depth`` deep, so the work is
    bounded by terms x SCAN x depth rows whatever the terms' frequencies and the filters, and
    both databases read the same rows. When fewer than ``limit`` come back under a category or
    unit filter passing at most ``few`` entries, those entries are scored exactly instead."""
    if not weights:
        return []
    stmt, values = candidate_query(session.get_bind().dialect.name, weights, f, now, limit, depth)
    ids = [int(i) for i in session.execute(stmt, values).scalars()]
    if len(ids) < limit and (f.category or f.unit_ids is not None):
        # Few came back: the filter may pass entries too far down the lists to be reached. If it
        # passes at most ``few`` entries, score exactly those from their own postings (primary
        # key (entry_id, term)): at most few x terms rows.
        few_stmt = _filtered_ids(f.published_only, f.public_only, bool(f.category), f.unit_ids is not None)
        few_values: dict[str, Any] = {"now": now, "few": few + 1}
        if f.category:
            few_values["category"] = f.category
        if f.unit_ids is not None:
            few_values["units"] = list(f.unit_ids)
        passing = [int(i) for i in session.execute(few_stmt, few_values).scalars()]
        if len(passing) <= few:
            return _score_few(session, passing, weights, limit)
    return ids


@lru_cache(maxsize=32)
def _filtered_ids(published_only: bool, public_only: bool, category: bool, units: bool) -> Select[Any]:
    where = _filters(published_only, public_only, category, units)
    return select(col(KbEntry.id)).where(*where).limit(bindparam("few", type_=Integer))


_POSTINGS = KbPosting.__table__  # type: ignore[attr-defined]
_OWN = select(_POSTINGS.c.entry_id, _POSTINGS.c.term, _POSTINGS.c.impact).where(
    _POSTINGS.c.entry_id.in_(bindparam("ids", expanding=True)),
    _POSTINGS.c.term.in_(bindparam("terms", expanding=True))).order_by(_POSTINGS.c.entry_id, _POSTINGS.c.term)


def _score_few(session: Session, ids: list[int], weights: dict[str, float], limit: int) -> list[int]:
    """The few filtered entries scored exactly (sum of weight x impact over all query terms)."""
    if not ids:
        return []
    scores: dict[int, float] = {}
    terms = sorted(weights)
    for row in session.connection().execute(_OWN, {"ids": ids, "terms": terms}):
        scores[row[0]] = scores.get(row[0], 0.0) + weights[row[1]] * row[2]
    return sorted(scores, key=lambda i: (-scores[i], i))[:limit]


class KeptCounts:
    """Candidates' decoded term counts kept between searches, least recently used evicted.

    The counts themselves are in the database (kb_counts, written with the entry); decoding a
    long reply's ~235 terms for each of a search's 100 candidates still costs ~4 ms, so a
    process keeps what it decoded. The key is the entry's id and the stored row's ``digest`` (a
    hash of the counts' content, written with them), read with the candidates: whichever
    process changed an entry, the next search reads the new digest and decodes anew, so nothing
    kept can be stale (an entry whose text changed without new counts has no row, and is
    counted from its text, not kept). Bounded twice: at most ``size`` entries, and at most
    ``max_terms`` term slots (each kept entry's distinct terms, summed); an entry with more than
    an eighth of them is used but not kept. A slot costs ~70 bytes when its word is shared with
    other kept entries (words are interned as they are kept) and ~150–170 bytes when only this
    entry has it (names, numbers), so 600,000 slots are ~40 MB per process for natural text and
    ~100 MB at worst. wenzheng2020 replies have ~235 distinct terms at the median: 2,048 of them
    fill ~480,000 slots (bench/RESULTS.md). Thread-safe: requests search from the thread pool.
    """

    def __init__(self, size: int = 2048, max_terms: int = 600_000) -> None:
        if size < 1 or max_terms < 8:
            raise ValueError("a cache holds at least one entry of eight terms")
        self.size, self.max_terms = size, max_terms
        self.hits = self.misses = self.terms = 0
        self._items: OrderedDict[tuple[int, str], Counted] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, entry_id: int, digest: str) -> Counted | None:
        """The counts kept for this entry with this digest, if any (counted as a hit or a miss)."""
        key = (entry_id, digest)
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def keep(self, entry_id: int, digest: str, made: Counted) -> Counted:
        """Keep ``made`` (decoded from the row with this digest, its words interned so kept
        entries share one copy of each) unless it is too large; returns it."""
        if len(made.tf) > self.max_terms // 8:
            return made  # one entry may not crowd out most of the others
        key = (entry_id, digest)
        with self._lock:
            if key not in self._items:
                self._items[key] = made
                self.terms += len(made.tf)
            while len(self._items) > self.size or self.terms > self.max_terms:
                _, evicted = self._items.popitem(last=False)
                self.terms -= len(evicted.tf)
        return made

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = self.terms = 0


kept_counts = KeptCounts()


def counted(session: Session, ids: list[int], weights: FieldWeights = WEIGHTS) -> list[Counted]:
    """The candidates' counts for ranking, each exactly ``textsearch.counted`` of the entry's
    stored tokens: kept by this process under the stored digest, else decoded from kb_counts
    (and kept), else — no counts row (the text changed by a statement that wrote none), or a
    tuning run's other field weights — counted from the stored tokens (not kept). An id whose
    entry no longer exists is left out."""
    conn = session.connection()
    docs: list[Counted] = []
    todo = list(ids)
    if weights == WEIGHTS:
        missing = []
        for entry_id, digest in conn.execute(_DIGESTS, {"ids": todo}):
            found = kept_counts.get(entry_id, digest)
            if found is None:
                missing.append(entry_id)
            else:
                docs.append(found)
        if missing:
            for p in conn.execute(_PACKED, {"ids": missing}):
                docs.append(kept_counts.keep(p[0], p[1], textsearch.unpack(
                    p[0], Packed(p[3], bytes(p[4]), p[2]), WEIGHTS, intern=True)))
        have = {d.id for d in docs}
        todo = [i for i in ids if i not in have]
    if todo:
        for r in conn.execute(_TOKENS, {"ids": todo}):
            docs.append(textsearch.counted(document(r[0], (r[1], r[2], r[3])), weights))
    return docs


def search(session: Session, query_text: str, f: Filters | None = None, limit: int = 10, *,
           now: datetime | None = None, params: Bm25Params | None = None,
           weights: FieldWeights | None = None, query_terms: int = QUERY_TERMS,
           n_candidates: int = CANDIDATES, depth: int = DEPTH) -> list[Hit]:
    f = f or Filters()
    now = now or utcnow()
    query = textsearch.build_query(query_text)
    if not query:
        return []
    params = params or PARAMS
    weights = weights or WEIGHTS
    stats = corpus(session, query.terms)
    idf = stats.idf()
    qw = query.weights(idf, params.idf_power)
    terms = sorted(qw, key=lambda t: (-qw[t], t))[:query_terms]
    ids = candidates(session, {t: qw[t] for t in terms}, f, now, max(n_candidates, limit), depth)
    if not ids:
        return []
    # Rank from the stored counts only; the full rows are read for the hits shown.
    # (``rank_counted`` with the weights the candidates were chosen by, not computed again.)
    ranked = textsearch.rank_weighted(qw, counted(session, ids, weights), stats.avg_length(weights), params,
                                      weights)[:limit]
    shown = [i for i, _ in ranked]
    by_id = {e.id: e for e in session.exec(select(KbEntry).where(col(KbEntry.id).in_(shown))).all()}
    # The snippet marks the query's heaviest terms (all of a long message's would mark everything).
    marks = [t for t in query.heaviest(idf, 24) if len(t) >= 2]
    return [Hit(by_id[i], score, textsearch.snippet(by_id[i].answer, marks)) for i, score in ranked]
