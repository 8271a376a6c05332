"""Knowledge-base search at 100,000 entries on PostgreSQL (goal: p95 ≤ 20 ms per query).

Synthetic entries (our own phrases, recombined) are bulk-loaded into a fresh schema
(``--schema``, default ``kb_bench``); then the knowledge base's own ``search`` (the API's code
path: query weighting, posting-list candidates, textsearch BM25, snippets) is timed for short
queries as an agent types them and for long ones as a caller tells a matter, unfiltered and
under each filter (category, a unit's subtree, public).

    .venv/bin/python bench/kb_search.py [--entries 100000] [--queries 400] [--schema kb_bench]
    .venv/bin/python bench/kb_search.py --reuse   # time again on the last load (a load made
                                                  # before migration 0011 has no kb_counts: reload)
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from _pgbench import fresh_schema, reuse_schema
from sqlalchemy import Engine, text
from sqlmodel import Session, select

import textsearch
from hotline.kb.index import PARAMS, WEIGHTS, Delta, apply, corpus, counts_row, posting_rows
from hotline.kb.models import KbEntry, KbStatus
from hotline.kb.search import CANDIDATES, QUERY_TERMS, Filters, candidate_query, search
from hotline.units.models import Unit
from hotline.units.tree import subtree_unit_ids


def _words(line: str) -> list[str]:
    return line.split()


SUBJECTS = _words(
    "社保卡 养老保险 医疗保险 失业保险 住房公积金 居住证 户口迁移 "
    "身份证 驾驶证 营业执照 物业服务费 电梯维修 老旧小区改造 垃圾分类 "
    "停车收费 噪声扰民 油烟污染 燃气安装 自来水水压 供暖费用 学位申请 "
    "义务教育入学 校外培训退费 医保报销 新生儿落户 退役军人优抚 "
    "残疾人补贴 低保申请 临时救助 公租房申请 不动产登记 个人所得税 "
    "出租车投诉 公交线路 共享单车 占道经营 违章建筑 道路积水 路灯损坏 "
    "犬只管理 食品安全 药品价格 预付卡退费 快递丢件 农民工工资 劳动合同 "
    "工伤认定"
)
ACTIONS = _words(
    "如何办理 需要哪些材料 在哪里办理 办理时限 收费标准 投诉渠道 "
    "补办流程 变更手续 注销流程 线上申请 异地办理 政策依据 申请条件 "
    "审核结果查询 费用退还"
)
DETAILS = [
    "持本人有效身份证件到就近的政务服务中心窗口办理",
    "也可通过市政务服务网或手机应用在线申请", "材料齐全的当场受理，五个工作日内办结",
    "代办的需提供委托书和代办人身份证件", "对处理结果有异议的可在十五日内申请复核",
    "相关费用按物价部门核定的标准收取", "由所在街道办事处和社区居委会负责受理",
    "由区县主管部门负责监督检查", "符合条件的按月发放补贴资金到本人社保卡",
    "逾期未办理的将影响后续业务办理",
    "夜间施工须取得许可并公示，否则可向生态环境部门投诉",
    "经营者拒不退费的可向市场监管部门投诉", "工作日上午九点至下午五点可拨打咨询电话",
    "具体以窗口工作人员的答复为准",
]
PLACES = _words(
    "东城区 西城区 南湖区 北岸新区 高新区 东华街道 西关街道 湖滨街道 "
    "月湖社区"
)
CATEGORIES = _words(
    "劳动和社会保障 城乡建设 生态环境 交通运输 市场监管 教育文体 "
    "卫生健康 公安政务"
)


def entry_text(rng: random.Random) -> tuple[str, list[str], str]:
    subject, action = rng.choice(SUBJECTS), rng.choice(ACTIONS)
    title = f"{rng.choice(PLACES)}{subject}{action}"
    questions = [f"{subject}怎么{action[:2]}", f"{rng.choice(PLACES)}{subject}问题"]
    answer = "，".join([f"{subject}{action}", *rng.sample(DETAILS, rng.randint(3, 5))]) + "。"
    return title, questions, answer


def load(engine: Engine, n: int, seed: int = 16) -> None:
    """Bulk load: the secondary indexes (GIN, the postings' impact order) are dropped during the
    load and rebuilt once; entries go in by multi-row INSERT with precomputed tokens, postings
    by COPY (~6 million rows)."""
    rng = random.Random(seed)
    seg_cache: dict[str, str] = {}

    def seg(t: str) -> str:
        # Fragments are joined by punctuation, which ends every jieba word and every bigram run:
        # segmenting fragment by fragment (cached) gives exactly the tokens of the whole text.
        pieces = t.replace("。", "，").split("，")
        return " ".join(seg_cache.setdefault(p, textsearch.segment(p)) for p in pieces)

    now = datetime.now(UTC)
    table = KbEntry.__table__  # type: ignore[attr-defined]
    with Session(engine) as s:
        units = [u.id for u in s.exec(select(Unit)).all()]
        delta, rows = Delta(), list[dict[str, Any]]()
        for i in range(n):
            title, questions, answer = entry_text(rng)
            fields = (seg(title), seg("，".join(questions)), seg(answer))
            delta.add(fields)
            rows.append({"id": i + 1, "title": title, "questions": questions, "answer": answer,
                         "category": rng.choice(CATEGORIES), "unit_id": rng.choice(units),
                         "public": rng.random() < 0.8, "status": KbStatus.published, "version": 1,
                         "created_at": now, "updated_at": now, "reviewed_at": now, "use_count": 0,
                         "search_title": fields[0], "search_questions": fields[1],
                         "search_answer": fields[2]})
        s.execute(text("DROP INDEX ix_kb_entries_search"))
        s.execute(text("DROP INDEX ix_kb_postings_term_filters"))
        for start in range(0, n, 5000):
            s.execute(table.insert(), rows[start:start + 5000])
        s.execute(text("SELECT setval(pg_get_serial_sequence('kb_entries', 'id'), :n)"), {"n": n})
        apply(s, delta)
        s.flush()
        avg = corpus(s, []).avg_length(WEIGHTS)
        raw: Any = s.connection().connection.driver_connection  # psycopg 3: COPY
        # Each posting carries its entry's filter columns, as ``hotline.kb.index.post`` writes them.
        names = ("published", "public", "unit_id", "category", "valid_from", "valid_until")
        columns = ", ".join(("entry_id", "term", "impact", *names))
        with raw.cursor() as cur, cur.copy(f"COPY kb_postings ({columns}) FROM STDIN") as copy:
            for start in range(0, n, 5000):
                batch = rows[start:start + 5000]
                own = {r["id"]: tuple(r.get(c) for c in names[1:]) for r in batch}
                docs = [(r["id"], (r["search_title"], r["search_questions"], r["search_answer"]))
                        for r in batch]
                for p in posting_rows(docs, avg):
                    copy.write_row((p["entry_id"], p["term"], p["impact"], True, *own[p["entry_id"]]))
        # The counts the ranking reads, as ``hotline.kb.index.post`` writes them (without them
        # every candidate would be counted from its text: the slow path, not the shipped one).
        with raw.cursor() as cur, cur.copy("COPY kb_counts (entry_id, digest, length, terms, tfs) "
                                           "FROM STDIN") as copy:
            for r in rows:
                c = counts_row(r["id"], (r["search_title"], r["search_questions"], r["search_answer"]))
                copy.write_row((c["entry_id"], c["digest"], c["length"], c["terms"], c["tfs"]))
        s.execute(text("CREATE INDEX ix_kb_entries_search ON kb_entries USING gin (search_vector)"))
        s.execute(text("CREATE INDEX ix_kb_postings_term_filters ON kb_postings (term, impact DESC, "
                       "entry_id, published, public, unit_id, category, valid_from, valid_until)"))
        s.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in ("kb_entries", "kb_terms", "kb_postings", "kb_counts"):
            conn.execute(text(f"VACUUM ANALYZE {name}"))


def queries(rng: random.Random, n: int) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        subject, action = rng.choice(SUBJECTS), rng.choice(ACTIONS)
        if i % 2 == 0:
            out.append(("short", f"{subject}{action}"))
        else:
            out.append(("long", f"你好，我住在{rng.choice(PLACES)}，想问一下{subject}{action}，"
                                f"之前去过一次窗口说材料不全，{rng.choice(DETAILS)}是真的吗？还有{rng.choice(SUBJECTS)}的事情。"))
    return out


def work(s: Session, q: str, f: Filters) -> dict[str, float]:
    """What the candidate statement does for one query, from PostgreSQL's own account
    (EXPLAIN ANALYZE, BUFFERS): posting rows read, entry rows fetched, buffers touched, and its
    planning and execution time — per-query work that does not depend on the neighbours' load."""
    query = textsearch.build_query(q)
    stats = corpus(s, query.terms)
    qw = query.weights(stats.idf(), PARAMS.idf_power)
    terms = sorted(qw, key=lambda t: (-qw[t], t))[:QUERY_TERMS]
    stmt, values = candidate_query("postgresql", {t: qw[t] for t in terms}, f, datetime.now(UTC),
                                   CANDIDATES)
    # The unit filter's list is an expanding parameter: expanded here (one parameter per unit).
    expanded = stmt.compile(s.get_bind()).construct_expanded_state(values)
    plan = s.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + expanded.statement,
                                          expanded.parameters).scalar_one()[0]
    out = {"terms": float(len(terms)), "postings": 0.0, "entries": 0.0,
           "buffers": float(plan["Plan"].get("Shared Hit Blocks", 0)
                            + plan["Plan"].get("Shared Read Blocks", 0)),
           "plan_ms": plan["Planning Time"], "exec_ms": plan["Execution Time"]}

    def walk(node: dict[str, Any]) -> None:
        rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
        if node.get("Relation Name") == "kb_postings":
            out["postings"] += rows
        elif node.get("Relation Name") == "kb_entries":
            out["entries"] += rows
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--reuse", action="store_true", help="time the queries on the last run's load")
    ap.add_argument("--load-only", action="store_true")
    ap.add_argument("--schema", default="kb_bench",
                    help="PostgreSQL schema to load into / reuse (not `bench`: intake and cityday use it)")
    args = ap.parse_args()
    if args.reuse:
        engine = reuse_schema(args.schema)
    else:
        engine = fresh_schema(args.schema)
        t0 = time.perf_counter()
        load(engine, args.entries)
        print(f"loaded {args.entries:,} entries in {time.perf_counter() - t0:.1f} s")
    if args.load_only:
        return
    rng = random.Random(7)
    qs = queries(rng, args.queries)
    with Session(engine) as s:
        subtrees = {code: subtree_unit_ids(s, s.exec(select(Unit.path).where(Unit.code == code)).one())
                    for code in ("DC", "XC", "NH", "XC-XG", "NH-NY", "DC-DH")}
    # The filters an agent or the public page sets, each drawn per query (the same draws on
    # every run: the generator is seeded). A district's subtree passes ~1 entry in 5, a street's
    # ~1 in 13, one category 1 in 8, public 4 in 5, public + category 1 in 10.
    filters: dict[str, Callable[[random.Random], Filters]] = {
        "category": lambda r: Filters(category=r.choice(CATEGORIES)),
        "unit subtree (district)": lambda r: Filters(unit_ids=subtrees[r.choice(("DC", "XC", "NH"))]),
        "unit subtree (street)": lambda r: Filters(unit_ids=subtrees[r.choice(("XC-XG", "NH-NY", "DC-DH"))]),
        "public": lambda r: Filters(public_only=True),
        "public + category": lambda r: Filters(public_only=True, category=r.choice(CATEGORIES)),
    }
    with Session(engine) as s:
        for _, q in qs[:20]:  # warm the caches (jieba's dictionary, PostgreSQL's buffers)
            search(s, q, Filters(), 10)
        times: dict[str, list[float]] = {"short": [], "long": []}
        times |= {f"{kind}, {label}": [] for kind in ("short", "long") for label in filters}
        cpu: dict[str, list[float]] = {k: [] for k in times}  # this process's CPU (not the server's)
        for kind, q in qs:
            t, c = time.perf_counter(), time.process_time()
            hits = search(s, q, Filters(), 10)
            times[kind].append((time.perf_counter() - t) * 1000)
            cpu[kind].append((time.process_time() - c) * 1000)
            assert hits, q
            for label, make in filters.items():
                f = make(rng)
                t, c = time.perf_counter(), time.process_time()
                search(s, q, f, 10)
                times[f"{kind}, {label}"].append((time.perf_counter() - t) * 1000)
                cpu[f"{kind}, {label}"].append((time.process_time() - c) * 1000)
    print(f"\n| queries ({args.entries:,} entries, PostgreSQL) | n | p50 ms | p95 ms | p99 ms "
          "| client CPU p50 ms | client CPU p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for kind, ms in times.items():
        print(f"| {kind} | {len(ms)} | {statistics.median(ms):.1f} | {pct(ms, 0.95):.1f} "
              f"| {pct(ms, 0.99):.1f} | {statistics.median(cpu[kind]):.1f} | {pct(cpu[kind], 0.95):.1f} |")
    with Session(engine) as s:
        samples = {kind: [q for k, q in qs if k == kind][:30] for kind in ("short", "long")}
        print("\n| candidate statement, EXPLAIN ANALYZE (median of 30) | terms | posting rows read "
              "| kb_entries rows out | buffers | planning ms | execution ms |")
        print("|---|---|---|---|---|---|---|")
        fixed = {"category": Filters(category=CATEGORIES[0]),
                 "unit subtree (district)": Filters(unit_ids=subtrees["NH"]),
                 "unit subtree (street)": Filters(unit_ids=subtrees["XC-XG"]),
                 "public": Filters(public_only=True),
                 "public + category": Filters(public_only=True, category=CATEGORIES[0])}
        for kind, sample in samples.items():
            for label, f in ((kind, Filters()), *((f"{kind}, {k}", v) for k, v in fixed.items())):
                w = [work(s, q, f) for q in sample]
                med = {k: statistics.median(x[k] for x in w) for k in w[0]}
                print(f"| {label} | {med['terms']:.0f} | {med['postings']:.0f} | {med['entries']:.0f} "
                      f"| {med['buffers']:.0f} | {med['plan_ms']:.1f} | {med['exec_ms']:.1f} |")
    engine.dispose()


if __name__ == "__main__":
    main()
