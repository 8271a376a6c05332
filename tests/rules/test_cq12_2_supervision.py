"""CQ §12(二)1: district governments and city departments supervise (督办) the tickets in their
own subtree, besides the hotline's supervisors (CQ §15). Over HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

from tests.hotline.conftest import Api, City


def test_cq12_2_district_government_supervises_tickets_in_its_subtree(api: Api, city: City) -> None:
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC"))
    api.act("dongcheng", number, "sign")
    # Held by the district itself: there is nothing below it to supervise.
    api.act("dongcheng_mgr", number, "supervise", expect=403, reason="请加快办理")
    api.act("dongcheng", number, "forward", to_unit_id=city.unit("DC-DH"))
    d = api.act("dongcheng_mgr", number, "supervise", reason="群众反映强烈，请三日内办结",
                due_working_days=3)
    order = d["supervision_orders"][-1]
    assert order["unit_id"] == city.unit("DC-DH") and order["status"] == "open"
    assert d["events"][-1]["actor_unit"] == "东城区人民政府"
    a = api.act("donghua", number, "answer_supervision", content="已安排人员现场处理")
    assert a["supervision_orders"][-1]["status"] == "answered"
    # Another district cannot even see it; a unit handler (not a manager) may not supervise.
    api.act("xicheng_mgr", number, "supervise", expect=404, reason="越权督办")
    api.act("dongcheng", number, "supervise", expect=403, reason="非负责人")


def test_cq12_2_city_department_supervises_its_own_units_but_a_street_does_not(
        api: Api, city: City) -> None:
    dept = api.create()["number"]
    api.act("agent", dept, "dispatch", lead_unit_id=city.unit("ZJW"))
    api.act("zjw", dept, "sign")
    api.act("zjw", dept, "forward", to_unit_id=city.unit("ZJW-WY"))
    d = api.act("zjw_mgr", dept, "supervise", reason="请物业处限期答复")
    assert d["supervision_orders"][-1]["unit_id"] == city.unit("ZJW-WY")
    street = api.create()["number"]
    api.act("agent", street, "dispatch", lead_unit_id=city.unit("DC-DH"))
    api.act("donghua", street, "sign")
    api.act("donghua", street, "forward", to_unit_id=city.unit("DC-DH-GH"))
    # A street office is not a district government or a city department (CQ §12(二)1).
    api.act("donghua_mgr", street, "supervise", expect=403, reason="街道督办社区")
