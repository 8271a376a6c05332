"""并单 — merged callers are not lost: CQ §11 (the caller can look up progress and result),
CQ §14 (every caller is visited and rates), CQ §13(三) (the caller is told), CQ §12 (a request
handled at first contact: the agent finds the same matter reported by someone else).

The merge itself is the hotline's 重复来电合并; none of these articles names it, but each of
them would be broken for the merged caller if the merge dropped them.
"""

from __future__ import annotations

from typing import Any

from tests.hotline import conftest as app_fixtures
from tests.hotline.conftest import Api, City

city, client, headers, api = (app_fixtures.city, app_fixtures.client, app_fixtures.headers,
                              app_fixtures.api)  # the app fixtures, for this module

LIGHT = "民生路12号门口的路灯坏了一个多星期，晚上漆黑一片，老人走路摔倒过。"
LIGHT_AGAIN = "民生路12号门口路灯坏了一个多星期了，晚上漆黑，很不安全，请尽快修。"
ADDRESS = "渝中区解放碑街道民生路12号"


def _worked_ticket(api: Api, city: City, phone: str = "13811110001") -> str:
    number: str = api.create(caller_phone=phone, content=LIGHT, address=ADDRESS)["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC"))
    api.act("dongcheng", number, "sign")
    return number


def _merged(api: Api, target: str, phone: str) -> str:
    number: str = api.create(caller_phone=phone, content=LIGHT_AGAIN, address=ADDRESS)["number"]
    assert api.act("agent", number, "merge", target_number=target)["status"] == "merged"
    return number


def _lookup(api: Api, number: str, last4: str) -> Any:
    r = api.client.get(f"/api/v1/public/tickets/{number}", params={"phone_last4": last4})
    assert r.status_code == 200, r.text
    return r.json()


def test_cq11_merged_caller_lookup_follows_the_target_ticket(api: Api, city: City) -> None:
    target = _worked_ticket(api, city)
    dup = _merged(api, target, "13922220002")
    seen = _lookup(api, dup, "0002")  # the merged caller's own number and digits
    assert seen["number"] == dup and seen["merged_into"] == target
    assert seen["status"] == "in_progress" and seen["status_label"] == "办理中"
    assert seen["handling_unit"] == api.get("agent", target)["holder_unit"]["name"]
    assert seen["due"] is not None
    assert {s["ticket"] for s in seen["steps"]} == {dup, target}
    api.act("dongcheng", target, "reply", content="已更换路灯灯具，夜间已恢复照明。")
    seen = _lookup(api, dup, "0002")
    assert seen["status"] == "replied" and seen["reply"] == "已更换路灯灯具，夜间已恢复照明。"
    # The target's digits do not open the merged caller's ticket.
    r = api.client.get(f"/api/v1/public/tickets/{dup}", params={"phone_last4": "0001"})
    assert r.status_code == 404


def test_cq14_merged_callers_are_included_in_the_return_visit(api: Api, city: City) -> None:
    target = _worked_ticket(api, city)
    reached = _merged(api, target, "13922220002")
    unreached = _merged(api, target, "13933330003")
    assert api.get("agent", target)["merged_from"] == [reached, unreached]
    api.act("dongcheng", target, "reply", content="已更换路灯灯具，夜间已恢复照明。")
    refused = api.act("agent", target, "visit", expect=422, rating="satisfied",
                      merged_ratings=[f"{reached}=satisfied"])
    assert unreached in refused["detail"]  # nobody is left out silently
    stranger = api.create(content="别的事")["number"]
    api.act("agent", target, "visit", expect=422, rating="satisfied",
            merged_ratings=[f"{reached}=satisfied", f"{unreached}=unreached",
                            f"{stranger}=satisfied"])
    visited = api.act("agent", target, "visit", rating="satisfied",
                      merged_ratings=[f"{reached}=basically_satisfied", f"{unreached}=unreached"])
    assert visited["status"] == "visited"
    act = [e for e in visited["events"] if e["action"] == "visit"][-1]
    assert act["payload"]["merged_visited"] == [reached]
    assert act["payload"]["merged_unreached"] == [unreached]
    r = api.get("agent", reached)
    assert [v["rating"] for v in r["visits"]] == ["basically_satisfied"]  # their own rating
    assert [e["payload"]["reached"] for e in r["events"] if e["action"] == "merged_visit"] == [True]
    u = api.get("agent", unreached)
    assert u["visits"] == []
    assert [e["payload"]["reached"] for e in u["events"] if e["action"] == "merged_visit"] == [False]


def test_cq13_3_merged_callers_are_told_of_the_merge_and_the_reply(api: Api, city: City) -> None:
    target = _worked_ticket(api, city)
    dup = _merged(api, target, "13922220002")
    api.act("dongcheng", target, "reply", content="已更换路灯灯具，夜间已恢复照明。")
    r = api.client.get(f"/api/v1/tickets/{target}/caller-messages", headers=api.headers("agent"))
    assert r.status_code == 200, r.text
    theirs = [(m["occasion"], m["params"].get("target")) for m in r.json()["items"] if m["ticket"] == dup]
    assert theirs == [("registered", None), ("merged", target), ("replied", None)]
    replied = [m for m in r.json()["items"] if m["ticket"] == dup and m["occasion"] == "replied"]
    assert "路灯" in replied[0]["params"]["reply"]


def test_cq12_duplicates_are_found_across_callers(api: Api, city: City) -> None:
    first = _worked_ticket(api, city, phone="13811110001")
    other = api.create(caller_phone="13811119999", address="江北区观音桥街道",
                       content="我家楼上装修每天早上七点就开始电钻，吵得没法休息。")["number"]
    second = api.create(caller_phone="13922220002", content=LIGHT_AGAIN, address=ADDRESS)["number"]
    r = api.client.get(f"/api/v1/tickets/{second}/duplicates", headers=api.headers("agent"))
    assert r.status_code == 200, r.text
    found = {d["ticket"]["number"]: d for d in r.json()}
    assert first in found and found[first]["same_caller"] is False and found[first]["score"] >= 45
    assert other not in found and second not in found
    # The agent merges on that evidence; units cannot search across the city's callers.
    r = api.client.get(f"/api/v1/tickets/{second}/duplicates", headers=api.headers("dongcheng"))
    assert r.status_code in (403, 404)
    assert api.act("agent", second, "merge", target_number=first)["status"] == "merged"
