"""The knowledge base (CQ §17–19): entries units supply and the hotline reviews, searched in the
database itself (SQLite FTS5 / PostgreSQL tsvector over ``textsearch`` tokens), used by agents
to answer at intake (CQ §12(一)) and open to the public."""
