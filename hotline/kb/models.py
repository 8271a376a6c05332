"""The knowledge base's tables: entries, their audited history (every change, with a snapshot of
the content: the version history), and the index's statistics the ranker needs.

The full-text index itself is not a model: on SQLite it is the FTS5 table ``kb_fts`` kept in
step with ``kb_entries`` by triggers, on PostgreSQL the generated ``search_vector`` column with
its GIN index (migration 0005_kb). Both read the ``search_*`` columns: text already segmented
by ``textsearch``, so neither database needs a Chinese parser.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from hotline.core.columns import EnumText, UTCDateTime


class KbStatus(StrEnum):
    draft = "draft"  # 草稿
    in_review = "in_review"  # 待审核
    published = "published"  # 已发布
    expired = "expired"  # 已过期
    withdrawn = "withdrawn"  # 已撤回


KB_STATUS_LABELS: dict[str, str] = {
    "draft": "草稿", "in_review": "待审核", "published": "已发布", "expired": "已过期",
    "withdrawn": "已撤回",
}


class KbEntry(SQLModel, table=True):
    __tablename__ = "kb_entries"

    id: int = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    questions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    category: str | None = Field(default=None, max_length=200, index=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    basis: str | None = Field(default=None, max_length=500)  # 法律政策依据
    valid_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    public: bool = True
    status: KbStatus = Field(sa_column=Column(EnumText(KbStatus, 20), nullable=False, index=True))
    version: int = 1
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by_id: int | None = Field(default=None, foreign_key="users.id")
    use_count: int = 0
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: Set by the stale scan (past valid_until, or not reviewed for months); cleared on review.
    stale_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stale_reason: str | None = Field(default=None, max_length=200)
    # What the full-text index reads: textsearch tokens, space-separated.
    search_title: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    search_questions: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    search_answer: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class KbEvent(SQLModel, table=True):
    """One change of an entry (CQ §17–18 review trail): who, when, which step, and the content
    as it stood after it (``snapshot``) — the version history is the events with a snapshot."""

    __tablename__ = "kb_events"
    __table_args__ = (UniqueConstraint("entry_id", "seq"),)

    id: int = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="kb_entries.id", index=True)
    seq: int
    action: str = Field(max_length=30)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    at: datetime = Field(sa_type=UTCDateTime)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    version: int
    note: str | None = Field(default=None, sa_column=Column(Text))
    snapshot: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class KbTerm(SQLModel, table=True):
    """Document frequency of an index token over all entries (the ranker's idf)."""

    __tablename__ = "kb_terms"

    term: str = Field(sa_column=Column(String(64), primary_key=True))
    df: int = 0


class KbStats(SQLModel, table=True):
    """One row: how many entries the index holds and their token counts per field (the
    ranker's average length)."""

    __tablename__ = "kb_stats"

    id: int = Field(default=1, primary_key=True)
    docs: int = 0
    title_len: int = 0
    questions_len: int = 0
    answer_len: int = 0


class KbPosting(SQLModel, table=True):
    """One term of one entry with its BM25 impact (the term's score in the entry, without the
    query's weight): impact-ordered posting lists, so a search reads the best few entries of
    each query term from the index on (term, impact DESC) instead of every entry holding a
    common term (migration 0007_i16search; docs/KB.md).

    The entry's filter columns are copied onto each of its postings (migration 0010_i16kb), and
    the index carries them after its order: a filtered search tests a posting from the index
    alone instead of fetching its entry row (up to 10 x 40 per term — 26 ms p95 filtered at
    100,000 entries, bench/RESULTS.md). ``hotline.kb.index.post`` writes them with the
    postings; database triggers on ``kb_entries`` rewrite them whenever the entry's status,
    validity, public flag, category or unit changes, whichever code or statement changes it."""

    __tablename__ = "kb_postings"
    __table_args__ = (Index("ix_kb_postings_term_filters", "term", text("impact DESC"), "entry_id",
                            "published", "public", "unit_id", "category", "valid_from", "valid_until"),)

    entry_id: int = Field(sa_column=Column(Integer, ForeignKey("kb_entries.id", ondelete="CASCADE"),
                                           primary_key=True))
    term: str = Field(sa_column=Column(String(64), primary_key=True))
    impact: float = Field(sa_column=Column(Float(precision=53), nullable=False))
    # The entry's, as of its last change (see above). No Python-side defaults: post_all, which
    # migration 0007 runs before these columns exist, inserts the three columns above only.
    published: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=false()))
    public: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=false()))
    unit_id: int | None = Field(default=None, sa_column=Column(Integer))
    category: str | None = Field(default=None, sa_column=Column(String(200)))
    valid_from: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    valid_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class KbCounts(SQLModel, table=True):
    """One entry's field-weighted term frequencies and weighted length, as the ranker needs them
    (``textsearch.Packed``), written with the entry's postings (``hotline.kb.index.post``, same
    transaction). A search ranks its ~100 candidates from these instead of splitting and
    counting each one's stored tokens (a long reply: ~2,000 tokens) at query time.

    ``digest`` names the content (blake2b of terms, frequencies and length): a process keeps
    decoded counts under (entry id, digest), so what it kept is the stored row's content
    whichever process wrote it. A change of an entry's ``search_*`` columns that does not come
    with new counts (an operator's statement) deletes the row by trigger (migration
    0011_i16counts), and the search counts that entry from its stored tokens instead: no path
    can leave counts that disagree with the text."""

    __tablename__ = "kb_counts"

    # Small columns first: SQLite reads a row's leading columns without its overflow pages.
    entry_id: int = Field(sa_column=Column(Integer, ForeignKey("kb_entries.id", ondelete="CASCADE"),
                                           primary_key=True, autoincrement=False))
    digest: str = Field(sa_column=Column(String(32), nullable=False))
    length: float = Field(sa_column=Column(Float(precision=53), nullable=False))
    terms: str = Field(sa_column=Column(Text, nullable=False))
    tfs: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


#: The table itself, for Core statements (typed, where ``KbCounts.__table__`` is not).
KB_COUNTS = SQLModel.metadata.tables["kb_counts"]
