"""The knowledge base's candidate stage on both databases: reading the impact-ordered posting
lists gives the same best results as ranking every entry, the work stays bounded when a term is
in every entry, and the filters hold inside the bounded read (docs/KB.md)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, func, update
from sqlmodel import Session, col, select

import textsearch
from hotline.core.migrate import downgrade, upgrade
from hotline.core.times import utcnow
from hotline.kb import entries
from hotline.kb import evaluate as ev
from hotline.kb.importing import import_csv
from hotline.kb.index import (
    PARAMS,
    WEIGHTS,
    apply,
    corpus,
    count_all,
    document,
    filter_columns,
    index,
    post,
    post_all,
)
from hotline.kb.models import KbCounts, KbEntry, KbPosting
from hotline.kb.search import Filters, KeptCounts, candidates, counted, kept_counts, search
from hotline.kb.upkeep import expire_and_flag
from hotline.seed import seed_units_and_users
from hotline.units.actor import actor_for
from textsearch.rank import Counted, Document, FieldWeights, Packed

SUBJECTS = ["社保卡", "养老保险", "住房公积金", "居住证", "物业服务费", "电梯维修", "垃圾分类",
            "停车收费", "噪声扰民", "燃气安装", "学位申请", "医保报销", "公租房", "路灯损坏"]
ACTIONS = ["如何办理", "需要哪些材料", "收费标准", "投诉渠道", "补办流程", "办理时限"]
DETAILS = ["持本人身份证到政务服务中心办理", "可在网上申请", "五个工作日内办结",
           "对结果有异议可申请复核", "由街道办事处受理", "按物价部门核定的标准收取"]


def _corpus(session: Session, n: int = 160) -> dict[int, int]:
    rng = random.Random(16)
    pairs = []
    for i in range(n):
        subject, action = rng.choice(SUBJECTS), rng.choice(ACTIONS)
        answer = "，".join([f"{subject}{action}", *rng.sample(DETAILS, rng.randint(1, 4))]) + "。"
        pairs.append(ev.Pair(str(i), "", answer))
    mapping = ev.load(session, pairs, utcnow() - timedelta(days=1))
    session.commit()
    return mapping


def _exhaustive(session: Session, q: str, limit: int) -> list[tuple[int, float]]:
    query = textsearch.build_query(q)
    rows = session.exec(select(KbEntry.id, KbEntry.search_title, KbEntry.search_questions,
                               KbEntry.search_answer)).all()
    docs = [document(r[0], (r[1], r[2], r[3])) for r in rows]
    return textsearch.rank(query, docs, corpus(session, query.terms), PARAMS, WEIGHTS)[:limit]


def test_bounded_candidates_give_the_exhaustive_ranking(engine: Engine) -> None:
    with Session(engine) as s:
        _corpus(s)
        for q in ["社保卡补办流程", "物业服务费收费标准", "噪声扰民投诉渠道，夜里施工怎么办",
                  "我想问一下公租房需要哪些材料，网上可以申请吗", "路灯坏了"]:
            got = [(h.entry.id, round(h.score, 9)) for h in search(s, q, limit=5)]
            want = [(i, round(score, 9)) for i, score in _exhaustive(s, q, 5)]
            assert got == want, q


def test_a_term_in_every_entry_does_not_read_every_entry(engine: Engine) -> None:
    with Session(engine) as s:
        _corpus(s, 120)
        term = "办理"  # in "…如何办理" and in DETAILS: most entries hold it
        held = s.exec(select(func.count()).select_from(KbPosting).where(col(KbPosting.term) == term)).one()
        assert held > 60
        ids = candidates(s, {term: 1.0}, Filters(), utcnow(), limit=100, depth=10)
        assert 0 < len(ids) <= 10
        # the ten read are the ten where the term weighs most
        best = s.exec(select(KbPosting.entry_id).where(col(KbPosting.term) == term)
                      .order_by(col(KbPosting.impact).desc(), col(KbPosting.entry_id)).limit(10)).all()
        assert sorted(ids) == sorted(best)
        # two terms: at most two lists of ten
        assert len(candidates(s, {term: 1.0, "材料": 2.0}, Filters(), utcnow(), 100, depth=10)) <= 20


def test_filters_apply_inside_the_bounded_read(engine: Engine) -> None:
    with Session(engine) as s:
        _corpus(s, 120)
        all_ids = s.exec(select(KbEntry.id).order_by(col(KbEntry.id))).all()
        marked = set(all_ids[::7])  # a small category, not the entries the term weighs most in
        s.execute(update(KbEntry).where(col(KbEntry.id).in_(marked)).values(category="少数", public=False))
        s.commit()
        # the posting lists read until 5 of the category turn up (few=0: never entries-first)
        ids = candidates(s, {"办理": 1.0}, Filters(category="少数"), utcnow(), 100, depth=5, few=0)
        assert len(ids) == 5 and set(ids) <= marked
        # a filter passing few entries: those entries scored exactly from their own postings
        exact = candidates(s, {"办理": 1.0}, Filters(category="少数"), utcnow(), 100, depth=5)
        held = set(s.exec(select(KbPosting.entry_id).where(col(KbPosting.term) == "办理",
                                                            col(KbPosting.entry_id).in_(marked))).all())
        assert set(exact) == held and ids == exact[:5]
        assert not set(candidates(s, {"办理": 1.0}, Filters(public_only=True), utcnow(), 100, 50)) & marked
        hits = search(s, "社保卡补办流程", Filters(category="少数"), limit=10)
        assert hits and {h.entry.id for h in hits} <= marked


def test_the_migration_fills_the_postings_the_application_writes(engine: Engine) -> None:
    """0007_i16search fills kb_postings for entries that existed before it (post_all): the
    same rows the application writes for a new entry."""
    def rows(s: Session) -> list[tuple[int, str, float]]:
        return sorted(s.exec(select(KbPosting.entry_id, KbPosting.term, KbPosting.impact)).all())

    with Session(engine) as s:
        _corpus(s, 30)
        written = rows(s)
        s.execute(delete(KbPosting))
        s.commit()
    with engine.begin() as conn:
        post_all(conn)
    with Session(engine) as s:
        assert rows(s) == written and len(written) > 300


def test_a_selective_filter_does_not_walk_a_whole_list(engine: Engine) -> None:
    """One entry passes the filter, the last in the term's list: the bounded read (SCAN x depth
    deep) does not reach it; the entries-first fallback scores it."""
    with Session(engine) as s:
        _corpus(s, 120)
        last = s.exec(select(KbPosting.entry_id).where(col(KbPosting.term) == "办理")
                      .order_by(col(KbPosting.impact), col(KbPosting.entry_id).desc()).limit(1)).one()
        s.execute(update(KbEntry).where(col(KbEntry.id) == last).values(category="孤"))
        s.commit()
        f = Filters(category="孤")
        assert candidates(s, {"办理": 1.0}, f, utcnow(), 10, depth=1, few=0) == []
        assert candidates(s, {"办理": 1.0}, f, utcnow(), 10, depth=1) == [last]


def _drift(s: Session) -> list[tuple[int, dict[str, object], dict[str, object]]]:
    """Entries whose postings' copy of the filter columns is not the entry's own."""
    p = KbPosting
    held: dict[int, list[dict[str, object]]] = {}
    for r in s.exec(select(p.entry_id, p.published, p.public, p.unit_id, p.category, p.valid_from,
                           p.valid_until).distinct()).all():
        held.setdefault(r[0], []).append(dict(zip(FILTER_NAMES, r[1:], strict=True)))
    out = []
    for entry in s.exec(select(KbEntry)).all():
        want = filter_columns(entry)
        for got in held.get(entry.id, []):
            if got != want:
                out.append((entry.id, got, want))
    return out


FILTER_NAMES = ("published", "public", "unit_id", "category", "valid_from", "valid_until")


def test_postings_follow_every_change_of_their_entry(engine: Engine) -> None:
    """The filters are tested on the postings' copy of the entry's columns: withdrawing,
    expiring, recategorising, moving to another unit, hiding from the public — through the
    workflow, the upkeep job, an import or a bare statement — must reach every posting, or a
    filtered search finds what it must not (or misses what it must find)."""
    now = utcnow()
    with Session(engine) as s:
        units, users = seed_units_and_users(s)
        sup, admin = actor_for(s, users["supervisor"]), actor_for(s, users["admin"])
        ids = sorted(_corpus(s, 40))
        assert _drift(s) == []

        def found(entry_id: int, f: Filters, at: datetime | None = None) -> bool:
            text = s.get(KbEntry, entry_id).answer  # type: ignore[union-attr]
            return entry_id in {h.entry.id for h in search(s, text, f, limit=100, now=at or utcnow())}

        withdrawn, recat, moved, hidden, dated = ids[:5]
        assert all(found(i, Filters()) for i in ids[:5])
        entries.withdraw(s, sup, s.get(KbEntry, withdrawn))  # type: ignore[arg-type]
        s.commit()
        assert not found(withdrawn, Filters()) and found(withdrawn, Filters(published_only=False))

        e = s.get(KbEntry, recat)
        assert e is not None
        entries.edit(s, sup, e, entries.EntryPatch(category="新类别"))
        assert not found(recat, Filters(category="新类别"))  # a draft now
        entries.submit(s, sup, e)
        entries.approve(s, admin, e)
        s.commit()
        assert found(recat, Filters(category="新类别")) and not found(recat, Filters(category="其他"))

        street = units["DC-DH-GH"].id
        s.execute(update(KbEntry).where(col(KbEntry.id) == moved).values(unit_id=street))
        s.commit()
        assert found(moved, Filters(unit_ids=[units["DC"].id, units["DC-DH"].id, street]))
        assert not found(moved, Filters(unit_ids=[units["HL"].id]))
        assert found(ids[5], Filters(unit_ids=[units["HL"].id]))

        h = s.get(KbEntry, hidden)
        assert h is not None
        h.public = False
        s.commit()
        assert found(hidden, Filters()) and not found(hidden, Filters(public_only=True))

        s.execute(update(KbEntry).where(col(KbEntry.id) == dated)
                  .values(valid_from=now + timedelta(hours=1), valid_until=now + timedelta(hours=3)))
        s.commit()
        assert not found(dated, Filters(), now) and found(dated, Filters(), now + timedelta(hours=2))
        assert not found(dated, Filters(), now + timedelta(hours=4))
        expired, _ = expire_and_flag(s, now + timedelta(hours=4), 12)
        s.commit()
        assert [x.id for x in expired] == [dated]
        assert not found(dated, Filters(), now + timedelta(hours=2))  # expired: not published

        imported = import_csv(s, "title,answer,category,unit_code,public\n"
                                 "社保卡补办,社保卡补办流程：持身份证到窗口办理。,社保,XC,false\n", sup, now)
        s.commit()
        new = imported[0].id
        assert found(new, Filters(category="社保", unit_ids=[units["XC"].id]))
        assert not found(new, Filters(public_only=True))
        assert _drift(s) == []
        # the check itself sees a drift (the triggers are the only thing between it and this)
        s.execute(update(KbPosting).where(col(KbPosting.entry_id) == new).values(public=True))
        drift = _drift(s)
        assert drift and {d[0] for d in drift} == {new}
        s.rollback()


def test_the_migration_copies_the_filter_columns_onto_existing_postings(engine: Engine) -> None:
    """0010_i16kb fills the new columns of the postings that exist (from their entries), and
    its downgrade (to 0009_i13_numbers) and upgrade leave the schema as it was."""
    with Session(engine) as s:
        _corpus(s, 30)
        ids = sorted(s.exec(select(KbEntry.id)).all())
        s.execute(update(KbEntry).where(col(KbEntry.id) == ids[0]).values(category="甲", public=False))
        s.execute(update(KbEntry).where(col(KbEntry.id) == ids[1])
                  .values(status="withdrawn", valid_until=utcnow() + timedelta(days=3)))
        s.commit()
    downgrade(engine, "0009_i13_numbers")
    upgrade(engine)
    with Session(engine) as s:
        assert _drift(s) == []
        held = s.exec(select(KbPosting.published, KbPosting.category, KbPosting.public)
                      .where(col(KbPosting.entry_id).in_(ids[:3])).distinct()).all()
        want = [(True, "甲", False), (False, None, True), (True, None, True)]
        assert sorted(held, key=str) == sorted(want, key=str)


def test_an_edited_entry_is_ranked_by_its_new_text(engine: Engine) -> None:
    """Ranking keeps each candidate's term counts between searches (``search.kept_counts``); an
    entry whose text changed must be counted anew, or it keeps the old text's score."""
    with Session(engine) as s:
        _, users = seed_units_and_users(s)
        sup, admin = actor_for(s, users["supervisor"]), actor_for(s, users["admin"])
        _corpus(s, 40)
        q = "路灯损坏如何办理，路灯损坏需要哪些材料"
        first = search(s, q, limit=5)
        assert first and [(h.entry.id, round(h.score, 9)) for h in first] == \
            [(i, round(x, 9)) for i, x in _exhaustive(s, q, 5)]
        hits, misses = kept_counts.hits, kept_counts.misses
        assert [h.entry.id for h in search(s, q, limit=5)] == [h.entry.id for h in first]
        assert kept_counts.hits > hits and kept_counts.misses == misses  # nothing decoded anew
        top = first[0].entry
        answer = "燃气安装收费标准，按物价部门核定的标准收取。路灯损坏路灯损坏路灯损坏。"
        entries.edit(s, sup, top, entries.EntryPatch(title="燃气安装", answer=answer))
        entries.submit(s, sup, top)
        entries.approve(s, admin, top)
        s.commit()
        again = [(h.entry.id, round(h.score, 9)) for h in search(s, q, limit=5)]
        assert again == [(i, round(x, 9)) for i, x in _exhaustive(s, q, 5)]
        assert top.id in dict(again) and dict(again)[top.id] != round(first[0].score, 9)


def test_other_field_weights_are_counted_afresh_and_long_entries_not_kept(engine: Engine) -> None:
    """A tuning run's weights never read counts kept for the shipped ones; an entry longer than
    the cap is ranked but not kept (the cache's memory bound)."""
    flat = FieldWeights(title=1.0, questions=1.0, answer=1.0)
    with Session(engine) as s:
        _corpus(s, 40)
        q = "物业服务费收费标准"
        search(s, q, limit=5)  # keeps the shipped weights' counts
        got = [(h.entry.id, round(h.score, 9)) for h in search(s, q, limit=5, weights=flat)]
        query = textsearch.build_query(q)
        rows = s.exec(select(KbEntry.id, KbEntry.search_title, KbEntry.search_questions,
                             KbEntry.search_answer)).all()
        docs = [document(r[0], (r[1], r[2], r[3])) for r in rows]
        want = textsearch.rank(query, docs, corpus(s, query.terms), PARAMS, flat)[:5]
        assert got == [(i, round(x, 9)) for i, x in want]
        assert got != [(h.entry.id, round(h.score, 9)) for h in search(s, q, limit=5)]

    def made(entry_id: int, n: int) -> Counted:
        return textsearch.counted(Document(entry_id, {"answer": [f"词{entry_id}_{j}" for j in range(n)]}))

    cache = KeptCounts(size=3, max_terms=80)
    short = {i: made(i, 3) for i in range(1, 6)}  # 3 distinct terms each
    assert cache.keep(1, "d1", short[1]) is short[1] and cache.get(1, "d1") is short[1]
    assert len(cache) == 1 and cache.terms == 3
    assert cache.get(1, "d2") is None  # another digest: other counts, never the kept ones
    long_ = made(2, 11)  # 11 > 80 // 8: used, never kept
    assert cache.keep(2, "d", long_) is long_ and cache.get(2, "d") is None and len(cache) == 1
    kept_1 = short[1]
    cache.keep(3, "d", short[3])
    cache.get(1, "d1")  # used again: 3 is now the least recently used
    cache.keep(4, "d", short[4]), cache.keep(5, "d", short[5])
    assert len(cache) == 3 and cache.terms == 9
    assert cache.get(1, "d1") is kept_1 and cache.get(3, "d") is None  # evicted by count, LRU
    wide = KeptCounts(size=100, max_terms=80)
    for i in range(10):
        wide.keep(i, "d", made(i, 10))  # 10 terms each
    assert len(wide) == 8 and wide.terms == 80  # ... and by the term slots they hold
    with pytest.raises(TypeError):
        kept_1.tf["标题"] = 0.0  # type: ignore[index]


def _reference(s: Session, q: str, ids: list[int]) -> list[tuple[int, float]]:
    """The straightforward ranking: the candidates' stored tokens split and counted now."""
    query = textsearch.build_query(q)
    rows = s.exec(select(KbEntry.id, KbEntry.search_title, KbEntry.search_questions,
                         KbEntry.search_answer).where(col(KbEntry.id).in_(ids))).all()
    docs = [document(r[0], (r[1], r[2], r[3])) for r in rows]
    return textsearch.rank(query, docs, corpus(s, query.terms), PARAMS, WEIGHTS)


def test_ranking_from_stored_counts_is_the_ranking_from_the_text(engine: Engine) -> None:
    """The ranking reads each candidate's counts as written with the entry (kb_counts), decoded
    or kept by the process; it must give exactly — every score to the last bit, every tie — the
    order of counting the candidates' tokens at query time, cold and warm."""
    with Session(engine) as s:
        _corpus(s, 120)
        long_answers = [ev.Pair(f"L{i}", "", "，".join([*SUBJECTS[i:i + 5], *DETAILS[i % 3:], "路灯损坏"]
                                                      * (i + 1))) for i in range(6)]
        ev.load(s, long_answers, utcnow() - timedelta(days=1))
        s.commit()
        for row in s.exec(select(KbEntry.id, KbEntry.search_title, KbEntry.search_questions,
                                 KbEntry.search_answer)).all():
            stored = s.exec(select(KbCounts).where(KbCounts.entry_id == row[0])).one()
            want = textsearch.counted(document(row[0], (row[1], row[2], row[3])), WEIGHTS)
            got = textsearch.unpack(row[0], Packed(stored.terms, stored.tfs, stored.length), WEIGHTS)
            assert dict(got.tf) == dict(want.tf) and list(got.tf) == list(want.tf)
            assert got.length == want.length
        queries = ["社保卡补办流程", "物业服务费收费标准，电梯维修谁出钱", "路灯损坏如何办理 需要哪些材料",
                   "我想问一下公租房需要哪些材料，网上可以申请吗？学位申请呢"]
        all_ids = list(s.exec(select(KbEntry.id)).all())
        for q in queries:
            kept_counts.clear()
            query = textsearch.build_query(q)
            stats = corpus(s, query.terms)
            cold = textsearch.rank_counted(query, counted(s, all_ids), stats, PARAMS, WEIGHTS)
            warm = textsearch.rank_counted(query, counted(s, all_ids), stats, PARAMS, WEIGHTS)
            assert kept_counts.hits >= len(all_ids)
            want = _reference(s, q, all_ids)
            assert cold == want and warm == want, q  # floats compared exactly
            got = [(h.entry.id, h.score) for h in search(s, q, limit=10)]
            assert got == want[:10], q


def test_counts_follow_the_text_whoever_changes_it(engine: Engine) -> None:
    """kb_counts is written with the entry; a statement that changes the stored tokens without
    writing counts deletes them (trigger), and the entry is then ranked from its text — never
    from counts of a text it no longer has, in this process's cache or another's."""
    with Session(engine) as s:
        _corpus(s, 40)
        ids = sorted(s.exec(select(KbEntry.id)).all())
        q = "路灯损坏需要哪些材料"
        search(s, q, limit=5)  # keeps the candidates' counts
        target = ids[3]
        digest = s.exec(select(KbCounts.digest).where(KbCounts.entry_id == target)).one()
        text = textsearch.segment("路灯损坏需要哪些材料：路灯损坏请带身份证。")
        s.execute(update(KbEntry).where(col(KbEntry.id) == target).values(search_answer=text))
        s.commit()
        assert s.exec(select(KbCounts).where(KbCounts.entry_id == target)).first() is None
        others = s.exec(select(func.count()).select_from(KbCounts)).one()
        assert others == len(ids) - 1  # only the changed entry's counts are gone
        got = textsearch.rank_counted(textsearch.build_query(q), counted(s, ids),
                                      corpus(s, textsearch.build_query(q).terms), PARAMS, WEIGHTS)
        assert got == _reference(s, q, ids) and target in dict(got)
        # an update that leaves the tokens as they are keeps the counts
        s.execute(update(KbEntry).where(col(KbEntry.id) == ids[4]).values(search_answer=KbEntry.search_answer,
                                                                             category="别类"))
        s.commit()
        assert s.exec(select(KbCounts).where(KbCounts.entry_id == ids[4])).first() is not None
        # the application's own write (an import, an edit) writes new counts, with a new digest
        e = s.get(KbEntry, target)
        assert e is not None
        e.answer = "燃气安装收费标准，按物价部门核定的标准收取。"
        apply(s, index([e]))
        post(s, [e])
        s.commit()
        new = s.exec(select(KbCounts.digest).where(KbCounts.entry_id == target)).one()
        assert new != digest
        assert textsearch.rank_counted(textsearch.build_query(q), counted(s, ids),
                                       corpus(s, textsearch.build_query(q).terms), PARAMS, WEIGHTS) \
            == _reference(s, q, ids)
        # a deleted entry's counts go with it (SQLite may reuse its id)
        s.execute(delete(KbPosting).where(col(KbPosting.entry_id) == ids[0]))
        s.execute(delete(KbEntry).where(col(KbEntry.id) == ids[0]))
        s.commit()
        assert s.exec(select(KbCounts).where(KbCounts.entry_id == ids[0])).first() is None


def test_an_operators_update_in_another_search_path_reaches_this_schemas_rows(engine: Engine) -> None:
    """The triggers' functions find their tables in the schema they were made in: an UPDATE from
    a session whose search path is the default one (an operator's psql) failed, or with another
    schema first on its path cleared that schema's rows and left this one's stale."""
    if engine.dialect.name != "postgresql":
        pytest.skip("search paths are PostgreSQL's")
    with Session(engine) as s:
        _corpus(s, 20)
        target = sorted(s.exec(select(KbEntry.id)).all())[2]
        schema = s.exec(select(func.current_schema())).one()
    import psycopg

    plain = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain.split("?")[0]) as conn:
        conn.execute("SET search_path = public")
        conn.execute(f'UPDATE "{schema}".kb_entries SET search_answer = %s, category = %s WHERE id = %s',
                     ("路灯 损坏", "别类", target))
    with Session(engine) as s:
        assert s.exec(select(KbCounts).where(KbCounts.entry_id == target)).first() is None
        categories = set(s.exec(select(KbPosting.category).where(KbPosting.entry_id == target)).all())
        assert categories == {"别类"}  # 0010's restamp reached this schema's postings too


def test_the_stored_counts_weighting_is_pinned() -> None:
    """kb_counts does not record the field weights its rows were counted with (migration
    0011_i16counts counted them with these): changing WEIGHTS without recounting every row would
    rank from counts of another weighting, silently. This test fails first, on purpose."""
    assert FieldWeights(title=2.0, questions=2.0, answer=1.0) == WEIGHTS


def test_the_migration_fills_the_counts_the_application_writes(engine: Engine) -> None:
    """0011_i16counts fills kb_counts for the entries that exist (count_all): the same rows the
    application writes; its downgrade (to 0010_i16kb) and upgrade leave the schema as it was."""
    def rows(s: Session) -> list[tuple[int, str, float, str, bytes]]:
        return sorted(s.exec(select(KbCounts.entry_id, KbCounts.digest, KbCounts.length, KbCounts.terms,
                                    KbCounts.tfs)).all())

    with Session(engine) as s:
        _corpus(s, 30)
        asked = [e for e in s.exec(select(KbEntry).order_by(col(KbEntry.id))).all()][:5]
        for e in asked:  # question variants too: every field's weight is in the counts
            e.questions = ["社保卡怎么补办", "补办社保卡要带什么"]
        apply(s, index(asked))
        post(s, asked)
        s.commit()
        written = rows(s)
    downgrade(engine, "0010_i16kb")
    upgrade(engine)
    with Session(engine) as s:
        assert rows(s) == written and len(written) == 30
    with engine.begin() as conn:  # the application's recount (after a change of WEIGHTS)
        conn.execute(delete(KbCounts))
        count_all(conn)
    with Session(engine) as s:
        assert rows(s) == written
