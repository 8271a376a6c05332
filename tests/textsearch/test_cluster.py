"""textsearch.cluster on its own: texts grouped by matter, stable leaders, the representative."""

from __future__ import annotations

import textsearch
from textsearch.cluster import THRESHOLD, idf_weights

BBQ = "桂花苑小区楼下烧烤店每天营业到凌晨两点，油烟和吵闹声很大，希望尽快处理。"
BBQ_2 = "桂花苑小区楼下烧烤店营业到凌晨两点，油烟很大吵闹声也大，请尽快处理。"
BBQ_3 = "桂花苑楼下烧烤店每天营业到凌晨，油烟吵闹声很大。"
WORKS = "桂花苑小区旁边的工地晚上十一点以后还在施工打桩，噪音很大，睡不着。"
WORKS_2 = "桂花苑小区工地晚上十一点以后还在打桩施工，噪音太大睡不着觉。"
DANCE = "社区广场舞音响声音太大，每天晚上八点到十点，影响老人休息。"


def tokens(texts: list[str]) -> list[list[str]]:
    return [textsearch.index_tokens(t) for t in texts]


def test_one_matter_per_cluster_in_arrival_order() -> None:
    docs = tokens([BBQ, WORKS, BBQ_2, DANCE, WORKS_2, BBQ_3])
    groups = textsearch.group_similar(docs, idf=idf_weights(docs))
    assert groups == [[0, 2, 5], [1, 4], [3]]


def test_identical_texts_always_cluster_and_empty_texts_stay_alone() -> None:
    docs = tokens([DANCE, DANCE, "", DANCE, ""])
    assert textsearch.group_similar(docs) == [[0, 1, 3], [2], [4]]


def test_leader_is_stable_as_texts_arrive() -> None:
    """A cluster's first member does not change when later texts join (alert keys rely on it)."""
    first = textsearch.group_similar(tokens([BBQ, BBQ_2]))
    later = textsearch.group_similar(tokens([BBQ, BBQ_2, WORKS, BBQ_3, BBQ]))
    assert first[0][0] == later[0][0] == 0


def test_threshold_one_separates_everything_but_identical_bags() -> None:
    docs = tokens([BBQ, BBQ_2, BBQ])
    assert textsearch.group_similar(docs, threshold=1.0) == [[0, 2], [1]]
    assert 0 < THRESHOLD < 1


def test_idf_weights_favour_rare_tokens() -> None:
    idf = idf_weights([["小区", "烧烤"], ["小区", "工地"], ["小区", "广场舞"]])
    assert idf["烧烤"] > idf["小区"] > 0


def test_representative_is_the_member_closest_to_the_centroid() -> None:
    docs = tokens([BBQ_3, BBQ, BBQ_2])
    rep = textsearch.representative(docs, [0, 1, 2])
    assert rep in (1, 2)  # the fuller texts, not the short one
