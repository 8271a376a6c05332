"""Keeping the ranker's statistics in step with the entries: each entry's segmented fields, the
document frequency of every token, the token counts per field.

The full-text index proper is kept by the database (FTS5 triggers on SQLite, a generated
column on PostgreSQL); what BM25 also needs — idf and average length — is kept here, in the
same transaction as the change, by deltas: an edit subtracts the old tokens and adds the new.
Upserts go in sorted term order, so two writers never lock the same rows in opposite orders.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ARRAY, Connection, String, any_, bindparam, delete, func, insert
from sqlalchemy import text as sql
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

import textsearch
from hotline.kb.models import KB_COUNTS, KbEntry, KbPosting, KbStats, KbStatus, KbTerm
from textsearch.rank import FIELDS, Bm25Params, Corpus, Document, FieldWeights, Packed, impacts

#: The knowledge base's ranking (tuned on wenzheng2020, docs/KB.md): a slow saturation (k1 = 3),
#: full length normalisation, query terms weighted by idf squared (rare words — names, places —
#: decide which reply answers a message). The posting lists' impacts are computed with these.
PARAMS = Bm25Params(k1=3.0, b=1.0, idf_power=2.0)
#: kb_counts rows do not record the weights they were counted with: a change here must recount
#: every row (``count_all``) in the same change, or searches rank from another weighting's counts.
WEIGHTS = FieldWeights(title=2.0, questions=2.0, answer=1.0)


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


_TERMS = KbTerm.__table__  # type: ignore[attr-defined]
#: Built once (a search runs it for every query; the ORM's per-call construction showed up).
_DF = select(_TERMS.c.term, _TERMS.c.df).where(_TERMS.c.term.in_(bindparam("terms", expanding=True)))
#: The same with the terms as one value, so the statement's text is the same whatever their
#: number and the database prepares it once: a long message has ~300 terms, and an expanded IN
#: of 300 parameters, rendered and prepared anew for each query, was half of the look-up
#: (1.2 → 0.7 ms on SQLite). SQLite: a JSON array (terms are [0-9a-z] and CJK only);
#: PostgreSQL: an array.
_DF_ONE = {
    "sqlite": select(_TERMS.c.term, _TERMS.c.df).where(_TERMS.c.term.in_(
        select(func.json_each(bindparam("terms", type_=String)).table_valued("value").c.value))),
    "postgresql": select(_TERMS.c.term, _TERMS.c.df).where(
        _TERMS.c.term == any_(bindparam("terms", type_=ARRAY(String)))),
}


def corpus(session: Session, terms: list[str]) -> Corpus:
    """The statistics the ranker needs for these query terms."""
    stats = session.get(KbStats, 1) or KbStats(id=1)
    df: dict[str, int] = {}
    conn = session.connection()
    one = _DF_ONE.get(conn.dialect.name)
    if terms and one is not None:
        value: object = json.dumps(terms, ensure_ascii=False) if conn.dialect.name == "sqlite" else terms
        df.update({r[0]: r[1] for r in conn.execute(one, {"terms": value})})
    else:
        for start in range(0, len(terms), 500):
            chunk = terms[start:start + 500]
            df.update({r[0]: r[1] for r in conn.execute(_DF, {"terms": chunk})})
    return Corpus(n_docs=stats.docs, df=df, field_lengths={
        "title": stats.title_len, "questions": stats.questions_len, "answer": stats.answer_len})


def document(entry_id: int, fields: tuple[str, str, str]) -> Document:
    """An entry's stored tokens as the ranker reads them."""
    return Document(entry_id, {name: text.split() for name, text in zip(FIELDS, fields, strict=True)})


def posting_rows(docs: Iterable[tuple[int, tuple[str, str, str]]],
                 avg_length: float) -> list[dict[str, object]]:
    """kb_postings rows for entries given as (id, segmented fields)."""
    return [{"entry_id": entry_id, "term": term, "impact": impact}
            for entry_id, fields in docs
            for term, impact in sorted(impacts(document(entry_id, fields), avg_length, PARAMS,
                                               WEIGHTS).items())]


def digest(packed: Packed) -> str:
    """The name of a packed count's content: equal digests, equal counts (what a process may
    keep decoded between searches, ``hotline.kb.search.KeptCounts``)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(packed.terms.encode())
    h.update(b"\0")
    h.update(packed.tfs)
    h.update(struct.pack("<d", packed.length))
    return h.hexdigest()


def counts_row(entry_id: int, fields: tuple[str, str, str]) -> dict[str, object]:
    """The kb_counts row of an entry given as its segmented fields: its tokens counted with the
    shipped field weights, packed (``textsearch.pack``)."""
    packed = textsearch.pack(textsearch.counted(document(entry_id, fields), WEIGHTS))
    return {"entry_id": entry_id, "digest": digest(packed), "length": packed.length,
            "terms": packed.terms, "tfs": packed.tfs}


def filter_columns(entry: KbEntry) -> dict[str, object]:
    """The entry's columns a search filters on, as each of its postings carries them (later
    changes reach the postings through migration 0010_i16kb's triggers)."""
    return {"published": entry.status == KbStatus.published, "public": entry.public,
            "unit_id": entry.unit_id, "category": entry.category, "valid_from": entry.valid_from,
            "valid_until": entry.valid_until}


def post(session: Session, entries: Iterable[KbEntry]) -> None:
    """Rewrite the posting lists of these entries (after ``apply`` and a flush: the ids exist
    and the average length includes them). Impacts use the average length of the moment; as
    the corpus grows they drift a little, which only changes which entries are read first —
    the final order is computed from the tokens (``textsearch.rank``). Each posting also
    carries the entry's filter columns (``filter_columns``). The entries' packed counts
    (kb_counts, what the ranking reads) are rewritten with them."""
    entries = list(entries)
    if not entries:
        return
    avg = corpus(session, []).avg_length(WEIGHTS)
    ids = [e.id for e in entries]
    table = KbPosting.__table__  # type: ignore[attr-defined]
    for start in range(0, len(ids), 500):
        session.execute(delete(table).where(table.c.entry_id.in_(ids[start:start + 500])))
    rows = posting_rows(((e.id, (e.search_title, e.search_questions, e.search_answer)) for e in entries), avg)
    filters: dict[object, dict[str, object]] = {e.id: filter_columns(e) for e in entries}
    for row in rows:
        row.update(filters[row["entry_id"]])
    for start in range(0, len(rows), 20_000):
        session.execute(insert(table), rows[start:start + 20_000])
    counts = KB_COUNTS
    for start in range(0, len(ids), 500):
        session.execute(delete(counts).where(counts.c.entry_id.in_(ids[start:start + 500])))
    count_rows = [counts_row(e.id, (e.search_title, e.search_questions, e.search_answer)) for e in entries]
    for start in range(0, len(count_rows), 2000):
        session.execute(insert(counts), count_rows[start:start + 2000])
    session.flush()


def post_all(conn: Connection) -> None:
    """Fill kb_postings from every entry's stored tokens (the migration that adds the table,
    0007_i16search: terms and impacts only — 0010_i16kb then copies the filter columns)."""
    stats = conn.execute(sql("SELECT docs, title_len, questions_len, answer_len FROM kb_stats")).first()
    avg = 1.0
    if stats is not None and stats[0]:
        c = Corpus(stats[0], {"title": stats[1], "questions": stats[2], "answer": stats[3]}, {})
        avg = c.avg_length(WEIGHTS)
    table = KbPosting.__table__  # type: ignore[attr-defined]
    result = conn.execute(sql("SELECT id, search_title, search_questions, search_answer FROM kb_entries"))
    while batch := result.fetchmany(1000):
        rows = posting_rows(((r[0], (r[1], r[2], r[3])) for r in batch), avg)
        if rows:
            conn.execute(insert(table), rows)


_PAGE = sql("SELECT id, search_title, search_questions, search_answer FROM kb_entries "
            "WHERE id > :after ORDER BY id LIMIT 1000")


def count_all(conn: Connection) -> None:
    """Fill kb_counts from every entry's stored tokens (into an empty table: what a change of
    ``WEIGHTS`` must do after clearing it; migration 0011_i16counts keeps its own frozen copy).
    Paged by id: a whole table read at once is buffered by the driver."""
    after = 0
    while rows := conn.execute(_PAGE, {"after": after}).all():
        conn.execute(insert(KB_COUNTS), [counts_row(r[0], (r[1], r[2], r[3])) for r in rows])
        after = rows[-1][0]


__all__ = ["PARAMS", "WEIGHTS", "Delta", "apply", "corpus", "count_all", "counts_row", "digest", "document",
           "filter_columns", "index", "post", "post_all", "posting_rows", "segmented"]
