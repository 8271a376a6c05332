from __future__ import annotations

from classifier.text import (
    ID_TOKEN,
    PHONE_TOKEN,
    PLATE_TOKEN,
    looks_segmented,
    normalize,
    prepare,
    tokenize,
)


def test_fullwidth_is_folded_and_whitespace_collapsed() -> None:
    assert normalize("ＡＢＣ　１２３\t\n  投诉") == "ABC 123 投诉"


def test_phone_id_and_plate_numbers_are_masked() -> None:
    text = "我电话13812345678，座机0731-84561234，身份证43010219900101123X，车牌湘A·B1234也被刮了"
    out = normalize(text)
    assert "13812345678" not in out and "84561234" not in out
    assert "43010219900101123X" not in out and "B1234" not in out
    assert out.count(PHONE_TOKEN) == 2
    assert ID_TOKEN in out and PLATE_TOKEN in out


def test_fullwidth_phone_is_masked_too() -> None:
    assert PHONE_TOKEN in normalize("打我手机１３９００００１１１１")


def test_place_codes_and_short_numbers_survive() -> None:
    out = normalize("A3区12路公交车 2019年 6月")
    assert "A3区" in out and "12路" in out and "2019年" in out


def test_segmented_detection() -> None:
    assert looks_segmented("市 西湖 建筑 集团 占 道 施工")
    assert not looks_segmented("市西湖建筑集团占道施工，有安全隐患")
    assert not looks_segmented("我要投诉 楼下烧烤店太吵")


def test_raw_and_segmented_forms_give_nearly_the_same_tokens() -> None:
    raw = "我是东湖小区的业主，楼下烧烤店每天晚上吵到凌晨两点"
    seg = " ".join(tokenize(raw))
    assert prepare(seg) == prepare(raw)


def test_stop_words_and_punctuation_are_removed() -> None:
    toks = tokenize("我们的小区，物业费太高了！")
    assert "的" not in toks and "，" not in toks and "！" not in toks
    assert "物业费" in toks
