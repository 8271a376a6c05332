"""knowledge base: each entry's packed term counts (kb_counts), what the ranking reads

A search ranked its ~100 candidates from their stored tokens: it read each candidate's whole
segmented text and either counted it (a long reply: ~2,000 tokens, ~0.13 ms) or hashed it to
find counts kept by the process (~0.04 ms with the read). The counts are now written once, with
the postings, in the same transaction (``hotline.kb.index.post``), named by a digest of their
content so a process can keep them decoded and know from the row alone whether what it kept is
current.

A trigger deletes an entry's counts when its ``search_*`` columns change (only when they do):
the application's own write then inserts the new counts after it (``post`` runs after the
flush), and any other statement that changes the text leaves the entry without counts, so the
search counts it from its text — never from counts of another text. SQLite's foreign keys may be
off on a connection, so a second trigger deletes the counts of a deleted entry there (an entry
id can be reused by SQLite); PostgreSQL's foreign key cascades.

Revision ID: 0011_i16counts
Revises: 0010_i16kb
"""

from __future__ import annotations

import array
import hashlib
import struct
import sys
from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_i16counts"
down_revision: str | Sequence[str] | None = "0010_i16kb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = ("search_title", "search_questions", "search_answer")
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _TEXT)


#: Frozen here, not imported from the application: a migration must write what it wrote when it
#: was made, whatever ``hotline.kb.index`` becomes. The same rows as ``index.counts_row`` at this
#: revision (tested): field weights title 2, questions 2, answer 1, counted in field order; the
#: frequencies as little-endian float64; the digest over terms, NUL, frequencies, length.
_WEIGHTS = (2.0, 2.0, 1.0)
_COUNTS = sa.table("kb_counts", sa.column("entry_id"), sa.column("digest"), sa.column("length"),
                   sa.column("terms"), sa.column("tfs"))
_PAGE = sa.text("SELECT id, search_title, search_questions, search_answer FROM kb_entries "
                "WHERE id > :after ORDER BY id LIMIT 1000")


def _row(entry_id: int, fields: tuple[str, str, str]) -> dict[str, object]:
    tf: dict[str, float] = {}
    length = 0.0
    for weight, text in zip(_WEIGHTS, fields, strict=True):
        tokens = text.split()
        length += weight * len(tokens)
        for token, n in Counter(tokens).items():
            tf[token] = tf.get(token, 0.0) + weight * n
    values = array.array("d", tf.values())
    if sys.byteorder == "big":
        values.byteswap()
    terms, tfs = " ".join(tf), values.tobytes()
    h = hashlib.blake2b(digest_size=16)
    for part in (terms.encode(), b"\0", tfs, struct.pack("<d", length)):
        h.update(part)
    return {"entry_id": entry_id, "digest": h.hexdigest(), "length": length, "terms": terms,
            "tfs": tfs}


def _count_all(conn: sa.Connection) -> None:
    """Page by id: a whole table read at once is buffered by the driver (hundreds of MB at
    100,000 long entries)."""
    after = 0
    while rows := conn.execute(_PAGE, {"after": after}).all():
        conn.execute(_COUNTS.insert(), [_row(r[0], (r[1], r[2], r[3])) for r in rows])
        after = rows[-1][0]


def upgrade() -> None:
    op.create_table(
        "kb_counts",
        sa.Column("entry_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("length", sa.Float(precision=53), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("tfs", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["kb_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("entry_id"),
    )
    _count_all(op.get_bind())
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION kb_counts_forget() RETURNS trigger LANGUAGE plpgsql
            SET search_path FROM CURRENT AS $$
            BEGIN
                DELETE FROM kb_counts WHERE entry_id = NEW.id;
                RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE TRIGGER kb_entries_counts_au AFTER UPDATE OF {", ".join(_TEXT)} ON kb_entries
            FOR EACH ROW WHEN ({_CHANGED}) EXECUTE FUNCTION kb_counts_forget()""")
        # The trigger functions name their tables without a schema; they must find them in the
        # schema they were made in, not in the search path of whoever runs the UPDATE (an
        # operator's psql session would else fail, or clear another schema's rows). 0010's
        # function had the same flaw and is pinned here.
        op.execute("ALTER FUNCTION kb_postings_restamp() SET search_path FROM CURRENT")
    else:
        op.execute(f"""
            CREATE TRIGGER kb_entries_counts_au AFTER UPDATE OF {", ".join(_TEXT)} ON kb_entries
            WHEN {_CHANGED.replace("IS DISTINCT FROM", "IS NOT")}
            BEGIN
                DELETE FROM kb_counts WHERE entry_id = NEW.id;
            END""")
        op.execute("""
            CREATE TRIGGER kb_entries_counts_ad AFTER DELETE ON kb_entries
            BEGIN
                DELETE FROM kb_counts WHERE entry_id = OLD.id;
            END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS kb_entries_counts_au ON kb_entries")
        op.execute("DROP FUNCTION IF EXISTS kb_counts_forget()")
        op.execute("ALTER FUNCTION kb_postings_restamp() RESET search_path")
    else:
        op.execute("DROP TRIGGER IF EXISTS kb_entries_counts_au")
        op.execute("DROP TRIGGER IF EXISTS kb_entries_counts_ad")
    op.drop_table("kb_counts")
