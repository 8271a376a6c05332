"""Text matching and ranking for Chinese short texts — a pure library (no database, no web).

The application stores the tokens this library produces (space-separated, so a database's
plain word splitter — SQLite FTS5 ``unicode61``, PostgreSQL's ``simple`` configuration — sees
exactly our tokens and needs no Chinese parser), asks its full-text index for candidates, and
ranks them here, so both databases give the same order and the evaluation measures one ranker.
``textsearch.similar`` compares two requests (the same matter at the same place? 并单).
"""

from textsearch.cluster import group_similar, idf_weights, representative
from textsearch.query import Query, build_query, fts5_match, tsquery
from textsearch.rank import (
    Bm25Params,
    Counted,
    Document,
    FieldWeights,
    Packed,
    counted,
    pack,
    rank,
    rank_counted,
    rank_weighted,
    unpack,
)
from textsearch.similar import Profile, profile
from textsearch.similar import score as similar_score
from textsearch.snippet import highlight, snippet
from textsearch.tokens import index_tokens, segment, similarity

__all__ = [
    "Bm25Params",
    "Counted",
    "Document",
    "FieldWeights",
    "Packed",
    "Profile",
    "Query",
    "build_query",
    "counted",
    "fts5_match",
    "group_similar",
    "highlight",
    "idf_weights",
    "index_tokens",
    "pack",
    "profile",
    "rank",
    "rank_counted",
    "rank_weighted",
    "representative",
    "segment",
    "similar_score",
    "similarity",
    "snippet",
    "tsquery",
    "unpack",
]
