"""CQ §6(二): a unit that chose to (``review_replies``) reviews its sub-units' replies before
they reach the caller. Over HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.hotline.conftest import Api, City


def test_cq6_parent_reviews_a_sub_units_reply_before_it_reaches_the_caller(
        api: Api, city: City, client: TestClient, headers: Any) -> None:
    r = client.patch(f"/api/v1/units/{city.unit('DC')}", json={"review_replies": True},
                     headers=headers("admin"))
    assert r.status_code == 200 and r.json()["review_replies"] is True
    assert client.patch(f"/api/v1/units/{city.unit('DC')}", json={"review_replies": False},
                        headers=headers("dongcheng_mgr")).status_code == 403
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC"))
    api.act("dongcheng", number, "sign")
    api.act("dongcheng", number, "forward", to_unit_id=city.unit("DC-DH"))
    api.act("donghua", number, "sign")
    blocked = api.act("donghua", number, "reply", expect=409, content="已处理")
    assert "审核" in blocked["detail"]
    api.act("donghua", number, "submit_reply", content="初稿：已处理")
    api.act("donghua", number, "submit_reply", expect=409, content="再交一份")  # one at a time
    api.act("donghua", number, "reply", expect=409, content="初稿：已处理")   # not yet approved
    api.act("dongcheng", number, "review_reply", expect=403, approve=True)  # managers review
    api.act("dongcheng_mgr", number, "review_reply", expect=422, approve=False)  # reason needed
    api.act("dongcheng_mgr", number, "review_reply", approve=False, comment="未写明整改时间")
    api.act("donghua", number, "reply", expect=409, content="初稿：已处理")
    final = "已于11月5日完成整改，油烟净化器已安装。"
    api.act("donghua", number, "submit_reply", content=final)
    api.act("dongcheng_mgr", number, "review_reply", approve=True, comment="同意")
    api.act("donghua", number, "reply", expect=422, content="改过的内容")  # only what was approved
    done = api.act("donghua", number, "reply", content=final)
    assert done["status"] == "replied" and done["reply_content"] == final
    assert done["events"][-1]["payload"]["review_id"]


def test_cq6_no_review_unless_the_parent_chose_it(api: Api, city: City) -> None:
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC"))
    api.act("dongcheng", number, "sign")
    api.act("dongcheng", number, "forward", to_unit_id=city.unit("DC-DH"))
    api.act("donghua", number, "sign")
    api.act("donghua", number, "submit_reply", expect=409, content="无需审核")
    assert api.act("donghua", number, "reply", content="已处理")["status"] == "replied"
