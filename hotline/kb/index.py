"""Keeping the ranker's statistics in step with the entries: each entry's segmented fields, the
document frequency of every token, the token counts per field.

The full-text index proper is kept by the database (FTS5 triggers on SQLite, a generated
column on PostgreSQL); what BM25 also needs — idf and average length — is kept here, in the
same transaction as the change, by deltas: an edit subtracts the old tokens and adds the new.
Upserts go in sorted term order, so two writers never lock the same rows in opposite orders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

import textsearch
from hotline.kb.models import KbEntry, KbStats, KbTerm
from textsearch.rank import FIELDS, Corpus


def segmented(entry: KbEntry) -> tuple[str, str, str]:
    return (textsearch.segment(entry.title), textsearch.segment("\n".join(entry.questions)),
            textsearch.segment(entry.answer))


@dataclass
class Delta:
    """What a batch of index changes does to the statistics."""

    df: Counter[str] = field(default_factory=Counter)
    docs: int = 0
    lengths: Counter[str] = field(default_factory=Counter)

    def remove(self, fields: tuple[str, str, str]) -> None:
        self._add(fields, -1)

    def add(self, fields: tuple[str, str, str]) -> None:
        self._add(fields, +1)

    def _add(self, fields: tuple[str, str, str], sign: int) -> None:
        tokens: set[str] = set()
        for name, text in zip(FIELDS, fields, strict=True):
            parts = text.split()
            self.lengths[name] += sign * len(parts)
            tokens.update(parts)
        for tok in tokens:
            self.df[tok] += sign
        self.docs += sign


def index(entries: Iterable[KbEntry], delta: Delta | None = None) -> Delta:
    """Segment the entries' fields (after a content change) and account for it in ``delta``;
    the caller applies the delta once per transaction (``apply``)."""
    delta = delta or Delta()
    for entry in entries:
        old = (entry.search_title, entry.search_questions, entry.search_answer)
        new = segmented(entry)
        if entry.id is not None and any(old):
            delta.remove(old)
        delta.add(new)
        entry.search_title, entry.search_questions, entry.search_answer = new
    return delta


def apply(session: Session, delta: Delta) -> None:
    changes = sorted((t, n) for t, n in delta.df.items() if n)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = KbTerm.__table__  # type: ignore[attr-defined]
    for start in range(0, len(changes), 2000):
        rows = [{"term": t, "df": n} for t, n in changes[start:start + 2000]]
        stmt = insert(table).values(rows)
        session.execute(stmt.on_conflict_do_update(index_elements=[table.c.term],
                                                   set_={"df": table.c.df + stmt.excluded.df}))
    stats = session.get(KbStats, 1)
    if stats is None:
        stats = KbStats(id=1)
        session.add(stats)
    stats.docs += delta.docs
    stats.title_len += delta.lengths["title"]
    stats.questions_len += delta.lengths["questions"]
    stats.answer_len += delta.lengths["answer"]
    session.flush()


def corpus(session: Session, terms: list[str]) -> Corpus:
    """The statistics the ranker needs for these query terms."""
    stats = session.get(KbStats, 1) or KbStats(id=1)
    df: dict[str, int] = {}
    for start in range(0, len(terms), 500):
        chunk = terms[start:start + 500]
        df.update(session.exec(select(KbTerm.term, KbTerm.df)
                               .where(col(KbTerm.term).in_(chunk))).all())
    return Corpus(n_docs=stats.docs, df=df, field_lengths={
        "title": stats.title_len, "questions": stats.questions_len, "answer": stats.answer_len})


__all__ = ["Delta", "apply", "corpus", "index", "segmented"]
