"""CQ §13(二): co-units sign for their part and have a deadline; the lead gathers their views and
answers once, after every co-unit answered or its deadline passed; missing inputs are on the
reply's record. Over HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import time_machine

from sla import SHANGHAI
from tests.hotline.conftest import Api, City


def test_cq13_2_co_unit_signs_gives_input_and_the_lead_replies_after_it(
        api: Api, city: City) -> None:
    number = api.create()["number"]
    d = api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"),
                co_unit_ids=[city.unit("STH")])
    assert d["events"][-1]["payload"]["co_due_at"]
    api.act("donghua", number, "sign")
    early = api.act("donghua", number, "reply", expect=409, content="已处理")
    assert "协同单位" in early["detail"]
    api.act("sthj", number, "co_input", expect=409, content="先反馈")  # not signed for yet
    signed = api.act("sthj", number, "co_sign")
    assert signed["events"][-1]["payload"]["co_due_at"] == d["events"][-1]["payload"]["co_due_at"]
    api.act("sthj", number, "co_sign", expect=409)
    api.act("sthj", number, "co_input", content="经监测，油烟排放超标，已责令整改")
    done = api.act("donghua", number, "reply", content="汇总各方意见：已责令整改")
    record = done["events"][-1]["payload"]
    assert record["co_inputs"] == [city.unit("STH")] and record["missing_co_inputs"] == []


def test_cq13_2_lead_may_reply_once_the_co_units_deadline_passed_and_the_gap_is_recorded(
        api: Api, city: City) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), tick=False) as tm:
        number = api.create()["number"]
        api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"),
                co_unit_ids=[city.unit("STH"), city.unit("JTJ")])
        api.act("donghua", number, "sign")
        api.act("sthj", number, "co_sign")
        api.act("sthj", number, "co_input", content="环保意见")
        api.act("donghua", number, "reply", expect=409, content="已处理")  # JTJ still has time
        tm.move_to(datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI))  # past 5 wd (end of 11-09)
        done = api.act("donghua", number, "reply", content="汇总意见答复")
    missing = done["events"][-1]["payload"]["missing_co_inputs"]
    assert [m["unit"] for m in missing] == ["市交通运输局"] and missing[0]["due_at"]
