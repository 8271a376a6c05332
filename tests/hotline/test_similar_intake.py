"""Issue 16, point 5: similar requests across callers at intake (并单).

While a call is taken, the console and ``GET /api/v1/tickets/similar`` list open or recent
tickets on the same matter at the same place from any caller, with the similarity figure; one
click (or ``decision: merge`` on ``POST /api/v1/tickets``) registers the call and merges it into
one of them in the same transaction. A bad target (none, closed, merged) is a 4xx and leaves no
ticket behind. On SQLite and PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hotline.tickets.models import STATUS_LABELS, Ticket
from tests.hotline.conftest import Api, City

LIGHT = "民生路12号门口的路灯坏了一个多星期，晚上漆黑一片，老人走路摔倒过。"
LIGHT_AGAIN = "民生路12号门口路灯坏了一个多星期了，晚上漆黑，很不安全，请尽快修。"
ADDRESS = "渝中区解放碑街道民生路12号"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _worked(api: Api, city: City, phone: str = "13811110001", address: str = ADDRESS) -> str:
    number: str = api.create(caller_phone=phone, content=LIGHT, address=address)["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC"))
    return number


def _count(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(Ticket)).one())


def _similar(api: Api, **params: Any) -> Any:
    r = api.client.get("/api/v1/tickets/similar", params=params, headers=api.headers("agent"))
    assert r.status_code == 200, r.text
    return r.json()


def test_api_lists_the_same_matter_from_another_caller_and_merges_at_intake(
        api: Api, city: City, engine: Engine) -> None:
    target = _worked(api, city)
    elsewhere = _worked(api, city, "13811110009", address="江北区观音桥街道建新北路88号")
    api.create(caller_phone="13811110008", content="社保卡丢了怎么补办", address=ADDRESS)
    found = _similar(api, content=LIGHT_AGAIN, address=ADDRESS, caller_phone="13922220002")
    assert found["threshold"] == 45 and found["window_days"] == 14
    items = {i["ticket"]["number"]: i for i in found["items"]}
    assert found["items"][0]["ticket"]["number"] == target, found  # the same place first
    hit = items[target]
    assert 45 <= hit["score"] <= 100 and hit["mergeable"] and not hit["same_caller"]
    assert hit["ticket"]["address"] == ADDRESS and hit["ticket"]["status"] == "dispatched"
    again = _similar(api, content=LIGHT_AGAIN, address=ADDRESS, caller_phone="+86 138 1111 0001")
    assert again["items"][0]["same_caller"]  # the number as typed, matched as stored
    if elsewhere in items:  # the same words about another district score lower
        assert items[elsewhere]["score"] < hit["score"]
    # the listing is traced like any view of who called (CQ §22)
    with engine.connect() as conn:
        traced = conn.execute(text("SELECT count(*) FROM personal_data_access "
                                   "WHERE purpose = 'similar_lookup'")).scalar_one()
    assert traced == len(items) + len(again["items"])

    before = _count(engine)
    dup = api.create(caller_phone="13922220002", content=LIGHT_AGAIN, address=ADDRESS,
                     decision={"action": "merge", "target_number": target})
    assert dup["status"] == "merged" and _count(engine) == before + 1
    assert api.get("agent", dup["number"])["merged_into"] == target
    assert api.get("agent", target)["merged_from"] == [dup["number"]]
    events = [e["action"] for e in api.get("agent", dup["number"])["events"]]
    assert events[:2] == ["register", "merge"]  # one command: registered and merged
    # the merged caller's lookup follows the target ticket (CQ §11)
    seen = api.client.get(f"/api/v1/public/tickets/{dup['number']}", params={"phone_last4": "0002"})
    assert seen.status_code == 200 and seen.json()["merged_into"] == target


def test_a_bad_merge_target_is_refused_and_nothing_is_registered(api: Api, city: City,
                                                                 engine: Engine) -> None:
    done = api.create(decision={"action": "answer_directly", "answer": "已解答"})["number"]
    live = _worked(api, city)
    merged = api.create(caller_phone="13922220003", content=LIGHT_AGAIN, address=ADDRESS,
                        decision={"action": "merge", "target_number": live})["number"]
    before = _count(engine)
    for target, word in (("20991231-000001", "不存在"), (done, "已结束"), (merged, "已结束"),
                         ("x" * 9, "不存在")):
        r = api.client.post("/api/v1/tickets", headers=api.headers("agent"), json={
            "caller_phone": "13922220004", "request_type": "投诉", "content": LIGHT_AGAIN,
            "address": ADDRESS, "decision": {"action": "merge", "target_number": target}})
        assert r.status_code == 422, (target, r.text)
        assert word in r.json()["detail"], r.json()
    r = api.client.post("/api/v1/tickets", headers=api.headers("agent"), json={
        "caller_phone": "13922220004", "request_type": "投诉", "content": LIGHT_AGAIN,
        "decision": {"action": "merge"}})
    assert r.status_code == 422
    assert _count(engine) == before  # each refusal rolled the registration back
    # only the hotline side looks for 并单 candidates
    r = api.client.get("/api/v1/tickets/similar", params={"content": LIGHT},
                       headers=api.headers("donghua"))
    assert r.status_code == 403
    r = api.client.get("/api/v1/tickets/similar", params={"content": ""},
                       headers=api.headers("agent"))
    assert r.status_code == 422


def test_console_shows_the_figure_and_merges_with_one_click(client: TestClient, api: Api,
                                                            city: City, engine: Engine) -> None:
    target = _worked(api, city)
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"username": "agent", "password": "demo", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    r = client.get("/console/assist", params={"caller_phone": "13922220002", "content": LIGHT_AGAIN,
                                              "address": ADDRESS, "request_type": "投诉"})
    assert r.status_code == 200 and 'id="similar"' in r.text
    row = re.search(rf'<li id="similar-{target}" data-score="(\d+)"><b class="similarity">相似度 (\d+)%',
                    r.text)
    assert row and row.group(1) == row.group(2) and int(row.group(1)) >= 45, r.text
    assert f'value="merge:{target}"' in r.text and "并入此单" in r.text
    assert ADDRESS in r.text and STATUS_LABELS["dispatched"] in r.text
    with engine.connect() as conn:  # shown, so traced (CQ §22)
        ids = [int(x) for x in conn.execute(text(
            "SELECT ticket_id FROM personal_data_access WHERE purpose = 'caller_lookup'")).scalars()]
        target_id = conn.execute(text("SELECT id FROM tickets WHERE number = :n"),
                                 {"n": target}).scalar_one()
    assert ids == [target_id]

    before = _count(engine)
    token = CSRF.search(client.get("/console").text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "caller_phone": "13922220002", "request_type": "投诉",
            "content": LIGHT_AGAIN, "address": ADDRESS, "decision": f"merge:{target}"}
    r = client.post("/console", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    number = r.headers["location"].split("created=")[1]
    page = client.get(r.headers["location"]).text
    assert "已并单" in page and target in page
    with Session(engine) as s:
        made = s.exec(select(Ticket).where(Ticket.number == number)).one()
        into = s.exec(select(Ticket).where(Ticket.number == target)).one()
        assert str(made.status) == "merged" and made.merged_into_id == into.id
    assert _count(engine) == before + 1

    # a target that does not exist: the console says so, and nothing is registered
    form["decision"] = "merge:20991231-000001"
    r = client.post("/console", data=form, follow_redirects=False)
    assert r.status_code == 422 and "目标工单不存在" in r.text
    assert _count(engine) == before + 1
