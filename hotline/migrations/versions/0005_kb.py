"""knowledge base: entries, their events, index statistics; FTS5 (SQLite) / tsvector + GIN (PostgreSQL)

Revision ID: 0005_kb
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hotline.core.columns
from hotline.kb.models import KbStatus

revision: str = "0005_kb"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = hotline.core.columns.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kb_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=500), nullable=True),
        sa.Column("valid_from", UTC, nullable=True),
        sa.Column("valid_until", UTC, nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("status", hotline.core.columns.EnumText(KbStatus, 20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("reviewed_at", UTC, nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.Column("last_used_at", UTC, nullable=True),
        sa.Column("stale_since", UTC, nullable=True),
        sa.Column("stale_reason", sa.String(length=200), nullable=True),
        sa.Column("search_title", sa.Text(), server_default="", nullable=False),
        sa.Column("search_questions", sa.Text(), server_default="", nullable=False),
        sa.Column("search_answer", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_entries_category", "kb_entries", ["category"])
    op.create_index("ix_kb_entries_unit_id", "kb_entries", ["unit_id"])
    op.create_index("ix_kb_entries_valid_until", "kb_entries", ["valid_until"])
    op.create_index("ix_kb_entries_status", "kb_entries", ["status"])
    op.create_table(
        "kb_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", UTC, nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["kb_entries.id"]),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "seq"),
    )
    op.create_index("ix_kb_events_entry_id", "kb_events", ["entry_id"])
    op.create_table(
        "kb_terms",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term"),
    )
    op.create_table(
        "kb_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("docs", sa.Integer(), nullable=False),
        sa.Column("title_len", sa.Integer(), nullable=False),
        sa.Column("questions_len", sa.Integer(), nullable=False),
        sa.Column("answer_len", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # The text is segmented before it is stored: the 'simple' configuration only splits on
        # the spaces and lower-cases — no Chinese parser extension needed.
        op.execute("""
            ALTER TABLE kb_entries ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('simple', search_title), 'A') ||
                setweight(to_tsvector('simple', search_questions), 'B') ||
                setweight(to_tsvector('simple', search_answer), 'C')) STORED""")
        op.execute("CREATE INDEX ix_kb_entries_search ON kb_entries USING gin (search_vector)")
    else:
        op.execute("""
            CREATE VIRTUAL TABLE kb_fts USING fts5(
                search_title, search_questions, search_answer,
                content='kb_entries', content_rowid='id', tokenize='unicode61 remove_diacritics 0')""")
        op.execute("""
            CREATE TRIGGER kb_entries_ai AFTER INSERT ON kb_entries BEGIN
                INSERT INTO kb_fts(rowid, search_title, search_questions, search_answer)
                VALUES (new.id, new.search_title, new.search_questions, new.search_answer);
            END""")
        op.execute("""
            CREATE TRIGGER kb_entries_ad AFTER DELETE ON kb_entries BEGIN
                INSERT INTO kb_fts(kb_fts, rowid, search_title, search_questions, search_answer)
                VALUES ('delete', old.id, old.search_title, old.search_questions, old.search_answer);
            END""")
        op.execute("""
            CREATE TRIGGER kb_entries_au AFTER UPDATE OF search_title, search_questions, search_answer
            ON kb_entries BEGIN
                INSERT INTO kb_fts(kb_fts, rowid, search_title, search_questions, search_answer)
                VALUES ('delete', old.id, old.search_title, old.search_questions, old.search_answer);
                INSERT INTO kb_fts(rowid, search_title, search_questions, search_answer)
                VALUES (new.id, new.search_title, new.search_questions, new.search_answer);
            END""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS kb_fts")
    op.drop_table("kb_stats")
    op.drop_table("kb_terms")
    op.drop_table("kb_events")
    op.drop_table("kb_entries")
