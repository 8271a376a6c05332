"""Finding the territory in the caller's words and the address field."""

from __future__ import annotations

from routing import DemoCity
from routing.decision import resolver_for
from routing.foreign import ForeignDetector


def resolve(city: DemoCity, text: str, address: str = ""):
    return resolver_for(city.gazetteer).resolve(text, address)


def test_compound_in_free_text_resolves_to_street_and_community(city: DemoCity) -> None:
    t = resolve(city, "我是桂花苑小区的住户，楼下烧烤店很吵")
    assert (t.district, t.street, t.community, t.source) == ("DC", "DC-DH", "DC-DH-GH", "text")


def test_demo_addresses(city: DemoCity) -> None:
    expected = {"西城区西关街道锦绣华庭": "XC-XG", "东城区东湖街道翡翠湾小区": "DC-DHU",
                "南湖区南苑街道月湖小区南门": "NH-NY", "南湖区湖滨街道湖滨花园8栋": "NH-HB",
                "南湖区湖滨街道滨江新城工地": "NH-HB", "东城区东湖街道东湖商场": "DC-DHU",
                "西城区青石路与学院路交叉口": "XC-XG", "东城区东华路夜市": "DC-DH", "东城区东湖路": "DC-DHU"}
    for address, street in expected.items():
        assert resolve(city, "", address).street == street, address


def test_aliases_and_longest_match(city: DemoCity) -> None:
    assert resolve(city, "东城这边有人占道").district == "DC"
    t = resolve(city, "在东湖商场买的冰箱坏了")   # 东湖商场, not 东湖街
    assert t.mentions == ("东湖商场",) and t.street == "DC-DHU"


def test_road_across_streets_is_consistent_with_a_street_in_it(city: DemoCity) -> None:
    t = resolve(city, "", "西城区青石路与学院路交叉口")   # 学院路 is only known at district level
    assert t.level == "street" and t.conflicts == ()


def test_address_wins_over_text_on_conflict(city: DemoCity) -> None:
    t = resolve(city, "我住在桂花苑小区", "西城区西关街道锦绣华庭")
    assert t.street == "XC-XG" and t.source == "address"
    assert any("以地址为准" in c for c in t.conflicts)


def test_text_refines_an_address_naming_only_the_district(city: DemoCity) -> None:
    t = resolve(city, "月湖小区门口停满了车", "南湖区")
    assert t.street == "NH-NY"


def test_street_written_with_the_wrong_district_is_reported(city: DemoCity) -> None:
    t = resolve(city, "", "西城区东华街道")
    assert t.street == "DC-DH" and t.conflicts and t.confidence < 0.95


def test_two_districts_is_cross_district(city: DemoCity) -> None:
    t = resolve(city, "东城区和西城区交界处的河道有垃圾")
    assert t.cross_district and t.districts == ("DC", "XC") and t.label == "东城区、西城区"


def test_city_only_and_unknown(city: DemoCity) -> None:
    assert resolve(city, "养老保险怎么交", "演示市").level == "city"
    assert resolve(city, "养老保险怎么交").level == "unknown"


def test_out_of_city(city: DemoCity) -> None:
    t = resolve(city, "我在广州打工被拖欠工资")
    assert t.out_of_city and t.foreign == ("广州",)
    assert resolve(city, "", "某某省某某市").out_of_city
    assert resolve(city, "A市A3区的小区物业").out_of_city       # masked names: not in this gazetteer
    # A local place next to a foreign one: the local place wins, the foreign one is kept.
    t = resolve(city, "从北京市来看病", "东城区市第二人民医院")
    assert not t.out_of_city and t.district == "DC" and t.foreign == ("北京市",)


def test_road_names_and_building_sections_are_not_cities() -> None:
    d = ForeignDetector()
    assert d.find("北京路和南京东路路口") == []
    assert d.find("3栋B区") == []
    assert [m.name for m in d.find("去湖南省长沙市")] == ["湖南省", "长沙市"]
