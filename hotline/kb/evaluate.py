"""Retrieval on real data (``hotline kb evaluate``): the official replies of wenzheng2020 become
entries, each message's body is the query, and the entry made from its own reply is the one
right answer. Reported: recall@1, recall@5, MRR and the time per query of the knowledge base's
own search (the database's index + textsearch's ranking), side by side with ``bm25s`` — a
maintained BM25 library — over the same tokens.

No message text goes into an entry: the answer is the reply with its greeting and header cut
(everything up to the last 答复如下), the title its first sentence.
"""

from __future__ import annotations

import csv
import re
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from sqlmodel import Session, select

import textsearch
from hotline.kb import index
from hotline.kb.models import KbEntry, KbStatus
from hotline.kb.search import Filters, search
from hotline.units.models import Unit, UnitKind
from textsearch.rank import Bm25Params, FieldWeights

_HEADER = "答复如下"
_SENTENCE = re.compile(r"^(.{4,60}?[。！？!?；;])")


def reply_answer(reply: str) -> str:
    """The reply without its greeting and header (everything up to the last 答复如下)."""
    cut = reply.rfind(_HEADER)
    text = reply[cut + len(_HEADER):] if cut >= 0 else reply
    return text.strip().lstrip("：:，,。 \n\t").strip()


def title_of(answer: str) -> str:
    flat = " ".join(answer.split())
    m = _SENTENCE.match(flat)
    return (m.group(1) if m else flat[:40]) or "答复"


@dataclass(frozen=True)
class Pair:
    message_id: str
    body: str
    answer: str


def read_replied(path: Path) -> list[Pair]:
    with path.open(encoding="utf-8", newline="") as f:
        return [Pair(r["message_id"], r["body"].strip(), reply_answer(r["reply"]))
                for r in csv.DictReader(f) if r["reply"].strip() and r["body"].strip()]


def load(session: Session, pairs: list[Pair], now: datetime) -> dict[int, int]:
    """Import the answers as published entries; entry id → index of its pair."""
    unit = session.exec(select(Unit).where(Unit.kind == UnitKind.hotline)).first()
    if unit is None:
        unit = Unit(code="HL", name="12345热线中心", kind=UnitKind.hotline, path="/")
        session.add(unit)
        session.flush()
    entries = [KbEntry(title=title_of(p.answer), questions=[], answer=p.answer, unit_id=unit.id,
                       status=KbStatus.published, public=True, created_at=now, updated_at=now,
                       reviewed_at=now) for p in pairs]
    index.apply(session, index.index(entries))
    session.add_all(entries)
    session.flush()
    index.post(session, entries)
    return {e.id: i for i, e in enumerate(entries)}


@dataclass
class Scores:
    name: str
    ranks: list[int | None]  # 0-based rank of the right entry, None if not in the top 10
    ms: list[float]
    #: CPU time of this process per query: on a shared machine the wall clock measures the
    #: neighbours too; with SQLite in-process this is the query's whole work.
    cpu_ms: list[float] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        n = len(self.ranks) or 1
        ms = sorted(self.ms) or [0.0]
        cpu = sorted(self.cpu_ms) or [0.0]
        return {"name": self.name, "queries": len(self.ranks),
                "recall@1": round(sum(r == 0 for r in self.ranks) / n, 3),
                "recall@5": round(sum(r is not None and r < 5 for r in self.ranks) / n, 3),
                "mrr": round(sum(1 / (r + 1) for r in self.ranks if r is not None) / n, 3),
                "p50_ms": round(statistics.median(ms), 2),
                "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 2),
                "cpu_p50_ms": round(statistics.median(cpu), 2),
                "cpu_p95_ms": round(cpu[min(len(cpu) - 1, int(0.95 * len(cpu)))], 2)}


def run_kb(session: Session, pairs: list[Pair], entry_to_pair: dict[int, int], now: datetime, *,
           params: Bm25Params | None = None, weights: FieldWeights | None = None,
           name: str = "hotline kb search") -> Scores:
    scores = Scores(name, [], [])
    for i, p in enumerate(pairs):
        t0, c0 = time.perf_counter(), time.process_time()
        hits = search(session, p.body, Filters(), 10, now=now, params=params, weights=weights)
        scores.ms.append((time.perf_counter() - t0) * 1000)
        scores.cpu_ms.append((time.process_time() - c0) * 1000)
        order = [entry_to_pair[h.entry.id] for h in hits]
        scores.ranks.append(order.index(i) if i in order else None)
    return scores


def run_bm25s(pairs: list[Pair], tokenize: Any, name: str) -> Scores:
    """bm25s with its defaults over the answers (title + answer, as the entries hold them)."""
    corpus = [tokenize(title_of(p.answer) + "\n" + p.answer) for p in pairs]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    scores = Scores(name, [], [])
    for i, p in enumerate(pairs):
        t0, c0 = time.perf_counter(), time.process_time()
        s = retriever.get_scores(tokenize(p.body))
        top = list(np.argsort(-s, kind="stable")[:10])
        scores.ms.append((time.perf_counter() - t0) * 1000)
        scores.cpu_ms.append((time.process_time() - c0) * 1000)
        scores.ranks.append(top.index(i) if i in top else None)
    return scores


def bm25s_baselines(pairs: list[Pair]) -> list[Scores]:
    return [run_bm25s(pairs, textsearch.index_tokens, "bm25s, same tokens (words + bigrams)"),
            run_bm25s(pairs, textsearch.tokens.words, "bm25s, jieba words only")]
