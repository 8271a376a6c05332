"""`suggest`: the decision, the lead and co-units, fallbacks and readable reasons."""

from __future__ import annotations

import json

from routing import DemoCity, KBHit, SafetyInput, Suggestion, suggest


def run(city: DemoCity, text: str, address: str, category: str, request_type: str = "投诉",
        p: float = 0.8, second: tuple[str, float] | None = None, **kw) -> Suggestion:
    top = [(category, p)] + ([second] if second else [])
    return suggest(text, address, request_type, top, kw.pop("safety", None), city.gazetteer, city.catalogue,
                   city.directory, **kw)


def test_street_nuisances_go_to_the_street_office(city: DemoCity) -> None:
    cases = [("环境保护/噪声污染", "楼下烧烤店吵到凌晨", "东城区东华街道桂花苑小区3栋", "DC-DH"),
             ("城市管理/占道经营", "摊贩占满人行道", "东城区东华路夜市", "DC-DH"),
             ("交通运输/道路停车", "人行道上停满车", "南湖区南苑街道月湖小区南门", "NH-NY"),
             ("城乡建设/市政设施", "路灯坏了一整排", "东城区东湖路", "DC-DHU")]
    for category, text, address, street in cases:
        s = run(city, text, address, category)
        assert s.decision == "dispatch" and s.lead is not None and s.lead.code == street, category


def test_reason_names_the_place_and_the_category(city: DemoCity) -> None:
    s = run(city, "楼下烧烤店吵到凌晨", "东城区东华街道桂花苑小区3栋", "环境保护/噪声污染")
    assert s.lead is not None
    assert s.lead.reason.startswith("地址：东城区东华街道桂花社区；类别：环境保护/噪声污染")
    assert "→ 街道办事处（东华街道办事处）" in s.lead.reason and s.reason == s.lead.reason
    assert s.handler is not None and s.handler.code == "DC-DH-GH"   # the community grid helps


def test_property_management_by_district_bureau_where_one_exists(city: DemoCity) -> None:
    west = run(city, "物业费乱涨", "西城区西关街道锦绣华庭", "城乡建设/物业管理")
    east = run(city, "物业费乱涨", "东城区东华街道金地小区", "城乡建设/物业管理")
    assert west.lead.code == "ZJW-WY" and east.lead.code == "DC-ZJ"  # type: ignore[union-attr]


def test_department_matters_stay_with_departments(city: DemoCity) -> None:
    wage = run(city, "包工头拖欠工资", "南湖区湖滨街道滨江新城工地", "劳动和社会保障/欠薪")
    assert wage.lead.code == "RSJ" and wage.handler.code == "RSJ-JC"  # type: ignore[union-attr]
    for category in ("劳动和社会保障/社保医保", "教育文体/招生入学"):
        s = run(city, "想问一下政策", "东城区东华街道", category, request_type="咨询")
        assert s.lead.kind == "city_dept", category  # type: ignore[union-attr]
    assert run(city, "x", "", "教育文体/招生入学", "咨询").lead.code == "JYJ"  # type: ignore[union-attr]


def test_cross_district_lead_is_city_level_with_both_districts_as_co_units(city: DemoCity) -> None:
    s = run(city, "东城区和西城区交界的桥下摊贩占道", "", "城市管理/占道经营")
    assert s.lead.code == "CGJ"  # type: ignore[union-attr]
    assert [u.code for u in s.co_units] == ["DC", "XC"] and all(u.role == "co" for u in s.co_units)
    # Nothing city-level in the catalogue for this matter at the street level: the hotline chooses.
    s = run(city, "东城区和西城区之间的河有异味", "", "卫生计生/未知类别")
    assert s.lead.code == "HL" and {u.code for u in s.co_units} == {"DC", "XC"}  # type: ignore[union-attr]


def test_cross_department_co_unit_from_the_second_category(city: DemoCity) -> None:
    s = run(city, "餐馆油烟噪声扰民还卖过期食品", "东城区东华街道", "环境保护/噪声污染",
            p=0.55, second=("商贸旅游/食品安全", 0.35))
    assert s.lead.code == "DC-DH" and [u.code for u in s.co_units] == ["SJJ"]  # type: ignore[union-attr]
    assert "食品安全" in s.co_units[0].reason


def test_fallbacks(city: DemoCity) -> None:
    # The place is known but has no street office in the directory → district government.
    s = run(city, "青山镇工地夜间施工", "南湖区青山镇", "环境保护/噪声污染")
    assert s.lead.code == "NH" and "区政府" in s.lead.reason  # type: ignore[union-attr]
    # Category unclear, place known → district government (CQ §12(二)2).
    s = run(city, "说不清", "西城区西山街道", "环境保护/噪声污染", p=0.2)
    assert s.lead.code == "XC"  # type: ignore[union-attr]
    # Nothing known → the city-level coordinator.
    s = suggest("说不清", "", None, [], None, city.gazetteer, city.catalogue, city.directory)
    assert s.decision == "dispatch" and s.lead.code == "HL" and "未识别" in s.lead.reason  # type: ignore[union-attr]


def test_emergency_first_then_not_accepted_even_when_the_category_is_confident(city: DemoCity) -> None:
    fire = SafetyInput("emergency", service="119", triggers=("着火",))
    s = run(city, "楼下着火了", "东城区东华街道", "环境保护/噪声污染", p=0.99, safety=fire,
            kb_hook=lambda _t, _c: KBHit("KB-1", "x", "y", 0.99))
    assert s.decision == "emergency" and s.emergency_service == "119" and "CQ §10" in s.reason
    court = SafetyInput("not_accepted", reason_code="litigation", referral="演示市中级人民法院")
    s = run(city, "物业纠纷已经起诉", "西城区西关街道锦绣华庭", "城乡建设/物业管理", p=0.99, safety=court)
    assert s.decision == "not_accepted" and s.referral == "演示市中级人民法院"
    assert "诉讼" in s.reason and "CQ §9" in s.reason
    assert s.lead is not None   # the agent still sees where a work order would go


def test_answer_directly_only_with_a_confident_kb_hit_on_a_consultation(city: DemoCity) -> None:
    hook = lambda _t, _c: KBHit("KB-社保-0012", "灵活就业参保", "到社保窗口或网上办理", 0.9)  # noqa: E731
    s = run(city, "灵活就业怎么交养老保险", "演示市", "劳动和社会保障/社保医保", "咨询", kb_hook=hook)
    assert s.decision == "answer_directly" and s.kb_entry.entry_id == "KB-社保-0012"  # type: ignore[union-attr]
    weak = lambda _t, _c: KBHit("KB-1", "t", "a", 0.5)  # noqa: E731
    assert run(city, "x", "演示市", "劳动和社会保障/社保医保", "咨询", kb_hook=weak).decision == "dispatch"
    assert run(city, "x", "演示市", "劳动和社会保障/社保医保", "投诉", kb_hook=hook).decision == "dispatch"


def test_out_of_city_is_a_transfer(city: DemoCity) -> None:
    s = run(city, "我在广州打工被拖欠工资", "", "劳动和社会保障/欠薪")
    assert s.decision == "transfer" and "广州" in s.reason


def test_to_dict_is_json_serialisable(city: DemoCity) -> None:
    s = run(city, "楼下烧烤店吵到凌晨", "东城区东华街道桂花苑小区3栋", "环境保护/噪声污染",
            second=("商贸旅游/食品安全", 0.3))
    d = json.loads(json.dumps(s.to_dict(), ensure_ascii=False))
    assert d["lead"]["code"] == "DC-DH" and d["territory"]["street"] == "DC-DH"
    assert d["candidates"][0]["code"] == "DC-DH"
    scores = [c["score"] for c in d["candidates"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= x <= 1 for x in scores)
