"""textsearch on its own: tokens any database splitter reproduces, query weighting, BM25 over
fields, snippets that are safe HTML."""

from __future__ import annotations

import math
import random
import re

import pytest

import textsearch
from textsearch.query import idf
from textsearch.rank import Bm25Params, Corpus, Document, FieldWeights, impacts


def test_tokens_are_words_plus_bigrams_and_only_safe_characters() -> None:
    toks = textsearch.index_tokens("社保卡丢了，怎么补办？A2区（景蓉华苑）")
    assert "社保卡" in toks or "社保" in toks
    assert "补办" in toks
    assert "景蓉" in toks and "华苑" in toks  # bigrams catch the name jieba does not know
    assert "a2" in toks  # lower-cased
    assert all(re.fullmatch(r"[0-9a-z\u4e00-\u9fff]+", t) for t in toks)
    assert textsearch.segment("") == "" and textsearch.index_tokens("") == []
    assert " " not in "".join(toks) and textsearch.segment("补办").split() == textsearch.index_tokens("补办")


def test_overlong_pieces_are_dropped() -> None:
    assert all(len(t) <= 32 for t in textsearch.index_tokens("x" * 80 + " 社保"))


def test_query_weights_favour_rare_and_repeated_terms() -> None:
    q = textsearch.build_query("噪声 噪声 噪声 扰民 问题")
    idfs = {"噪声": idf(5, 100), "扰民": idf(5, 100), "问题": idf(90, 100)}
    w = q.weights(idfs)
    assert w["噪声"] > w["扰民"] > w["问题"]
    # a two-character word is also its own bigram: 3 words + 3 bigrams
    assert math.isclose(w["噪声"], (1 + math.log(6)) * idfs["噪声"])
    assert q.heaviest(idfs, 1) == ["噪声"]
    assert "扰民" in q.terms and not textsearch.build_query("，。！")


def test_query_strings_quote_every_term() -> None:
    assert textsearch.fts5_match(["社保", "or"]) == '"社保" OR "or"'
    assert textsearch.tsquery(["社保", "a2"]) == "'社保' | 'a2'"


def test_bm25_ranks_the_matching_document_first_and_weights_fields() -> None:
    docs = [Document(1, {"title": ["补办"], "answer": ["社保", "卡", "办理"]}),
            Document(2, {"title": ["噪声"], "answer": ["社保", "噪声"]}),
            Document(3, {"title": ["其他"], "answer": ["补办", "其他", "其他"]})]
    corpus = Corpus(n_docs=3, field_lengths={"title": 3, "answer": 8},
                    df={"补办": 2, "社保": 2, "卡": 1})
    q = textsearch.build_query("社保卡补办")
    ranked = textsearch.rank(q, docs, corpus)
    assert ranked[0][0] == 1 and ranked[0][1] > ranked[1][1] > 0
    # a title match counts more than the same match in the answer
    flat = textsearch.rank(q, docs, corpus, weights=FieldWeights(title=1.0, questions=1.0))
    assert dict(ranked)[1] / dict(ranked)[3] != dict(flat)[1] / dict(flat)[3]
    # nothing known in the query: nothing ranked
    assert textsearch.rank(textsearch.build_query("量子"), docs, corpus) == []
    # b = 0: no length normalisation, scores still ordered
    assert textsearch.rank(q, docs, corpus, Bm25Params(k1=1.2, b=0.0))[0][0] == 1


def test_snippet_is_escaped_highlighted_and_cut_around_the_matches() -> None:
    text = "开头<b>无关</b>内容" + "甲" * 100 + "社保卡补办请携带身份证" + "乙" * 100
    s = textsearch.snippet(text, "社保卡怎么补办", width=40)
    assert "<mark>补办</mark>" in s and s.startswith("…") and s.endswith("…")
    assert "<b>" not in textsearch.snippet(text, "无关", width=400)
    assert "&lt;b&gt;" in textsearch.snippet(text, "无关", width=400)
    assert textsearch.highlight("a<b", ["zz"]) == "a&lt;b"


def test_similarity_is_symmetric_and_one_for_the_same_text() -> None:
    a = textsearch.index_tokens("小区门口垃圾堆积无人清理")
    b = textsearch.index_tokens("门口垃圾堆积好几天没人清理")
    c = textsearch.index_tokens("社保卡补办")
    assert math.isclose(textsearch.similarity(a, a), 1.0)
    assert math.isclose(textsearch.similarity(a, b), textsearch.similarity(b, a))
    assert textsearch.similarity(a, b) > textsearch.similarity(a, c)
    assert textsearch.similarity([], a) == 0.0


def test_impacts_sum_to_the_bm25_score() -> None:
    """An impact-ordered posting list stores each term's score in a document without the query
    weight: query weight x impact, summed over the query's terms, is the document's score."""
    docs = [Document(1, {"title": ["补办", "社保"], "answer": ["社保", "卡", "办理", "社保"]}),
            Document(2, {"title": ["噪声"], "answer": ["社保", "噪声", "其他", "其他", "其他"]})]
    corpus = Corpus(n_docs=2, field_lengths={"title": 3, "answer": 9}, df={"补办": 1, "社保": 2, "卡": 1})
    params = Bm25Params(k1=3.0, b=1.0, idf_power=2.0)
    q = textsearch.build_query("社保卡补办")
    qw = q.weights(corpus.idf(), params.idf_power)
    avg = corpus.avg_length(FieldWeights())
    for doc_id, score in textsearch.rank(q, docs, corpus, params):
        imp = impacts(docs[doc_id - 1], avg, params)
        assert math.isclose(score, sum(w * imp.get(t, 0.0) for t, w in qw.items()))
    # idf squared: a rare term gains on a common one
    idfs = {"补办": idf(1, 100), "社保": idf(50, 100)}
    plain, squared = q.weights(idfs), q.weights(idfs, 2.0)
    assert squared["补办"] / squared["社保"] > plain["补办"] / plain["社保"]


def test_counted_documents_rank_by_hand_and_only_with_their_weights() -> None:
    docs = [Document(1, {"title": ["社保卡"], "answer": ["补办", "社保卡", "窗口"]}),
            Document(2, {"title": ["公积金"], "answer": ["提取", "补办"]})]
    corpus = Corpus(2, {"title": 2, "questions": 0, "answer": 5}, {"社保卡": 1, "补办": 2, "提取": 1})
    q = textsearch.build_query("社保卡补办")
    flat = FieldWeights(title=1.0, questions=1.0, answer=1.0)
    counted = [textsearch.counted(d, flat) for d in docs]
    assert dict(counted[0].tf) == {"社保卡": 2.0, "补办": 1.0, "窗口": 1.0} and counted[0].length == 4
    params = Bm25Params(k1=1.2, b=0.75)
    qw = q.weights(corpus.idf(), params.idf_power)
    avg = 7 / 2

    def by_hand(tf: dict[str, float], length: float) -> float:
        norm = 1.2 * (1 - 0.75 + 0.75 * length / avg)
        return sum(qw[t] * f * 2.2 / (f + norm) for t, f in tf.items() if t in qw)

    want = sorted([(1, by_hand({"社保卡": 2.0, "补办": 1.0}, 4)), (2, by_hand({"补办": 1.0}, 3))],
                  key=lambda p: -p[1])
    got = textsearch.rank_counted(q, counted, corpus, params, flat)
    assert [i for i, _ in got] == [i for i, _ in want]
    assert all(abs(g[1] - w[1]) < 1e-12 for g, w in zip(got, want, strict=True))
    with pytest.raises(ValueError, match="counted with"):
        textsearch.rank_counted(q, counted, corpus)  # the default weights are not ``flat``
    with pytest.raises(TypeError):
        counted[0].tf["社保卡"] = 0.0  # type: ignore[index]


def test_packed_counts_unpack_to_the_same_counts_bit_for_bit() -> None:
    """What an application stores (``pack``) reads back (``unpack``) as the counted document:
    the same terms in the same order, the same floats, so ranking from it gives the same scores."""
    weights = FieldWeights(title=2.0, questions=0.7, answer=1.0)
    docs = [Document(1, {"title": ["社保卡"], "questions": ["补办", "社保卡", "补办"],
                         "answer": ["窗口"] * 3}),
            Document(2, {}),  # no tokens at all
            Document(3, {"answer": [f"词{i}" for i in range(500)] + ["a1", "a1"]})]
    for doc in docs:
        made = textsearch.counted(doc, weights)
        packed = textsearch.pack(made)
        for intern in (False, True):
            back = textsearch.unpack(doc.id, packed, weights, intern=intern)
            assert list(back.tf.items()) == list(made.tf.items()) and back.length == made.length
            assert back.id == doc.id and back.weights == weights
    assert textsearch.pack(textsearch.counted(docs[1], weights)) == textsearch.Packed("", b"", 0.0)
    q = textsearch.build_query("社保卡补办窗口")
    corpus = Corpus(3, {"title": 1, "questions": 3, "answer": 505}, {"社保卡": 1, "补办": 1, "窗口": 1})
    unpacked = [textsearch.unpack(d.id, textsearch.pack(textsearch.counted(d, weights)), weights)
                for d in docs]
    want = textsearch.rank(q, docs, corpus, weights=weights)
    assert textsearch.rank_counted(q, unpacked, corpus, weights=weights) == want


def _quadratic_window(flat: str, spans: list[tuple[int, int]], width: int) -> int:
    """The snippet's window as first written: every match counted for every candidate window."""
    best, start = -1, 0
    for s, _ in spans:
        begin = max(0, min(s - width // 4, len(flat) - width))
        count = sum(1 for a, b in spans if a >= begin and b <= begin + width)
        if count > best:
            best, start = count, begin
    return start


def test_snippet_window_is_the_one_the_quadratic_count_chose() -> None:
    """The window is found by bisection over the matches; it must be the same window (the first
    holding the most matches) as counting every match for every candidate."""
    from textsearch.snippet import _needles, _spans

    rng = random.Random(7)
    vocab = ["社保卡", "补办", "身份证", "窗口", "办理", "材料", "路灯", "损坏", "的", "了", "，", "。",
             "abc"]
    for _ in range(300):
        text = "".join(rng.choice(vocab) for _ in range(rng.randint(5, 200)))
        terms = rng.sample(["社保卡", "补办", "社保", "窗口", "路灯损坏", "办理材料", "abc"],
                           rng.randint(1, 5))
        width = rng.choice([10, 30, 80])
        flat = " ".join(text.split())
        spans = _spans(flat, _needles(terms))
        if len(flat) <= width or not spans:
            continue
        start = _quadratic_window(flat, spans, width)
        piece = textsearch.highlight(flat[start:start + width], terms)
        want = ("…" if start > 0 else "") + piece + ("…" if start + width < len(flat) else "")
        assert textsearch.snippet(text, terms, width) == want
