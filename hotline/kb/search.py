"""Searching the knowledge base in the database itself: the full-text index finds candidates,
``textsearch`` ranks them, highlights and cuts snippets.

SQLite: the FTS5 table ``kb_fts`` (``bm25`` orders the candidates). PostgreSQL: the GIN-indexed
``search_vector`` (``ts_rank`` orders them). Either way only the query's heaviest terms are
sent (a long message has hundreds), the filters (status, validity, public, category, unit) are
applied in the same statement, and the final order is textsearch's BM25 over the candidates,
the same on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, column, func, literal, literal_column, or_, table, text
from sqlmodel import Session, col, select

import textsearch
from hotline.core.times import utcnow
from hotline.kb.index import corpus
from hotline.kb.models import KbEntry, KbStatus
from textsearch.rank import Bm25Params, Document, FieldWeights

#: Terms sent to the full-text index, and candidates ranked here (tuned in docs/KB.md).
QUERY_TERMS = 48
CANDIDATES = 60


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


def _conditions(f: Filters, now: datetime) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.published_only:
        out.append(usable(now))
    if f.public_only:
        out.append(col(KbEntry.public).is_(True))
    if f.category:
        out.append(col(KbEntry.category) == f.category)
    if f.unit_ids is not None:
        out.append(col(KbEntry.unit_id).in_(f.unit_ids))
    return out


def candidates(session: Session, terms: list[str], f: Filters, now: datetime, limit: int) -> list[int]:
    """Entry ids the database's full-text index ranks highest for any of the terms."""
    if not terms:
        return []
    where = _conditions(f, now)
    if session.get_bind().dialect.name == "postgresql":
        tsq = func.to_tsquery(literal_column("'simple'::regconfig"),
                              literal(textsearch.tsquery(terms), String))
        vector: ColumnElement[Any] = literal_column("search_vector")
        stmt = (select(col(KbEntry.id)).where(vector.op("@@")(tsq), *where)
                .order_by(func.ts_rank(vector, tsq).desc()).limit(limit))
    else:
        fts = table("kb_fts", column("rowid"))
        stmt = (select(col(KbEntry.id)).join(fts, fts.c.rowid == col(KbEntry.id))
                .where(text("kb_fts MATCH :q").bindparams(q=textsearch.fts5_match(terms)), *where)
                .order_by(text("bm25(kb_fts, 2.0, 2.0, 1.0)"))
                .limit(limit))
    return list(session.exec(stmt).all())


def search(session: Session, query_text: str, f: Filters | None = None, limit: int = 10, *,
           now: datetime | None = None, params: Bm25Params | None = None,
           weights: FieldWeights | None = None, query_terms: int = QUERY_TERMS,
           n_candidates: int = CANDIDATES) -> list[Hit]:
    f = f or Filters()
    now = now or utcnow()
    query = textsearch.build_query(query_text)
    if not query:
        return []
    stats = corpus(session, query.terms)
    terms = query.heaviest(stats.idf(), query_terms)
    ids = candidates(session, terms, f, now, max(n_candidates, limit))
    if not ids:
        return []
    rows = session.exec(select(KbEntry).where(col(KbEntry.id).in_(ids))).all()
    by_id = {e.id: e for e in rows}
    docs = [Document(e.id, {"title": e.search_title.split(), "questions": e.search_questions.split(),
                            "answer": e.search_answer.split()}) for e in rows]
    ranked = textsearch.rank(query, docs, stats, params, weights)[:limit]
    # The snippet marks the query's heaviest terms (all of a long message's would mark everything).
    marks = [t for t in query.heaviest(stats.idf(), 24) if len(t) >= 2]
    return [Hit(by_id[i], score, textsearch.snippet(by_id[i].answer, marks)) for i, score in ranked]
