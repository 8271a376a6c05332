"""The knowledge base over HTTP on both databases: the review workflow with its roles and audit,
search in the database (ranking, filters, highlighting, the public side without login), the
CSV import, answering directly only with published valid entries (and counting each use),
stale flagging and the units' upkeep score (CQ §12(一), §17–19, §24)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from hotline.cli import app as cli
from hotline.core.db import get_engine
from hotline.core.times import utcnow
from hotline.kb.models import KbEntry
from hotline.notifications.models import Notification
from hotline.supervision.metrics import unit_metrics
from hotline.tickets.models import Ticket
from hotline.workers.jobs import kb_upkeep
from sla import SHANGHAI
from tests.hotline.conftest import Api, City

H = Callable[[str], dict[str, str]]

CSV = """title,answer,category,unit_code,valid_until,public
社保卡补办需要哪些材料,社会保障卡遗失的，持身份证到社保经办网点补办，7个工作日内领卡。,社保,RSJ,,true
灵活就业人员参加养老保险,灵活就业人员持身份证到社保经办机构登记，按月缴纳养老保险费。,社保,RSJ,2099-12-31,true
物业服务费收费标准查询,住宅物业服务费标准可在市住建委网站查询，对收费有异议可向区住建局反映。,物业,ZJW-WY,,false
噪声扰民如何投诉,夜间施工噪声可向市生态环境局投诉，社会生活噪声由街道和城管部门处理。,环境,STH,,true
"""


def _import(client: TestClient, headers: H, content: str = CSV, expect: int = 201) -> Any:
    r = client.post("/api/v1/kb/import", content=content.encode(),
                    headers={**headers("admin"), "Content-Type": "text/csv"})
    assert r.status_code == expect, r.text
    return r.json()


def _search(client: TestClient, headers: H, q: str, user: str = "agent", **params: Any) -> list[Any]:
    r = client.get("/api/v1/kb/search", params={"q": q, **params}, headers=headers(user))
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_search_ranks_filters_highlights_and_shows_the_public_only_their_part(
        client: TestClient, headers: H, city: City) -> None:
    ids = _import(client, headers)["ids"]
    items = _search(client, headers, "社保卡丢了怎么补办", limit=5)
    assert items[0]["id"] == ids[0] and items[0]["title"] == "社保卡补办需要哪些材料"
    assert {"id", "title", "score", "snippet"} <= set(items[0])
    assert "<mark>补办</mark>" in items[0]["snippet"]
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert len(_search(client, headers, "社保", limit=1)) == 1
    # filters: category, unit (with its subtree), public
    assert {i["id"] for i in _search(client, headers, "社保 物业 噪声", category="物业")} == {ids[2]}
    assert {i["id"] for i in _search(client, headers, "社保 物业 噪声", unit="ZJW")} == {ids[2]}
    assert ids[2] not in {i["id"] for i in _search(client, headers, "物业服务费", public="true")}
    # unit staff search too; the public needs no login and never sees a non-public entry
    assert _search(client, headers, "物业服务费", user="donghua")[0]["id"] == ids[2]
    r = client.get("/api/v1/public/kb/search", params={"q": "物业服务费 社保"})
    assert r.status_code == 200 and ids[2] not in {i["id"] for i in r.json()["items"]}
    assert r.json()["items"] and "use_count" not in r.json()["items"][0]
    assert client.get("/api/v1/kb/search", params={"q": "社保"}).status_code == 401
    page = client.get("/kb", params={"q": "社保卡补办"})
    assert page.status_code == 200 and "社保卡补办需要哪些材料" in page.text
    assert "物业服务费收费标准" not in client.get("/kb", params={"q": "物业服务费"}).text
    # bad input: 422, never 500
    assert client.get("/api/v1/public/kb/search", params={"q": ""}).status_code == 422
    assert client.get("/api/v1/public/kb/search", params={"q": "x", "limit": 500}).status_code == 422
    assert _search(client, headers, "，。！？") == []
    r = client.get("/api/v1/kb/search", params={"q": '"社保" NEAR( *'}, headers=headers("agent"))
    assert r.status_code == 200


def test_import_refuses_bad_rows_whole(client: TestClient, headers: H, city: City) -> None:
    bad = CSV + "标题,答案,,NOPE,,true\n"
    assert "NOPE" in _import(client, headers, bad, 422)["detail"]
    assert _import(client, headers, "title\nx\n", 422)["detail"].startswith("CSV 缺少列")
    assert _import(client, headers, "title,answer,valid_until\nx,y,2001-01-01\n", 422)
    assert _search(client, headers, "社保") == []  # nothing half-imported
    r = client.post("/api/v1/kb/import", content=CSV.encode(),
                    headers={**headers("agent"), "Content-Type": "text/csv"})
    assert r.status_code == 403


def test_cli_import_publishes(tmp_path: Any, client: TestClient, headers: H, city: City) -> None:
    f = tmp_path / "kb.csv"
    f.write_text(CSV, encoding="utf-8")
    result = CliRunner().invoke(cli, ["kb", "import", str(f)])
    assert result.exit_code == 0, result.output
    assert "4" in result.output
    assert _search(client, headers, "噪声扰民")[0]["title"] == "噪声扰民如何投诉"
    (tmp_path / "bad.csv").write_text("title\nx\n", encoding="utf-8")
    assert CliRunner().invoke(cli, ["kb", "import", str(tmp_path / "bad.csv")]).exit_code == 2


def _post(client: TestClient, headers: H, user: str, path: str, body: Any = None,
          expect: int = 200) -> Any:
    r = client.post(f"/api/v1/kb/entries{path}", json=body, headers=headers(user))
    assert r.status_code == expect, f"{path} by {user}: {r.status_code} {r.text}"
    return r.json()


def test_workflow_roles_and_audit(client: TestClient, headers: H, city: City) -> None:
    draft = {"title": "老旧小区加装电梯补贴",
             "answer": "符合条件的老旧小区加装电梯，每台补贴20万元，向所在街道申请。",
             "questions": ["加装电梯有补贴吗"], "category": "城建", "basis": "《加装电梯实施意见》"}
    # a unit handler drafts for their own unit only
    e = _post(client, headers, "donghua", "", draft, 201)
    assert e["status"] == "draft" and e["unit_id"] == city.unit("DC-DH")
    _post(client, headers, "donghua", "", {**draft, "unit_id": city.unit("XC-XG")}, 403)
    _post(client, headers, "agent", "", draft, 403)
    eid = e["id"]
    # drafts are not searchable
    assert _search(client, headers, "加装电梯补贴") == []
    _post(client, headers, "donghua", f"/{eid}/approve", expect=403)  # not a reviewer role
    _post(client, headers, "dongcheng_mgr", f"/{eid}/approve", expect=409)  # not submitted yet
    _post(client, headers, "donghua", f"/{eid}/submit")
    r = client.patch(f"/api/v1/kb/entries/{eid}", json={"answer": "改"}, headers=headers("donghua"))
    assert r.status_code == 409  # in review: no edits
    _post(client, headers, "xicheng_mgr", f"/{eid}/approve", expect=404)  # another district: unseen
    _post(client, headers, "dongcheng_mgr", f"/{eid}/reject", {"note": ""}, 422)
    _post(client, headers, "dongcheng_mgr", f"/{eid}/reject", {"note": "请写明申请材料"})
    r = client.patch(f"/api/v1/kb/entries/{eid}", json={"answer": draft["answer"] + "需提交业主同意书。"},
                     headers=headers("donghua"))
    assert r.status_code == 200 and r.json()["version"] == 2
    _post(client, headers, "donghua", f"/{eid}/submit")
    published = _post(client, headers, "dongcheng_mgr", f"/{eid}/approve", {"note": "同意"})
    assert published["status"] == "published" and published["reviewed_at"]
    assert _search(client, headers, "加装电梯有没有补贴")[0]["id"] == eid
    # an edit of a published entry sends it back for review
    r = client.patch(f"/api/v1/kb/entries/{eid}", json={"valid_until": "2001-01-01T00:00:00+08:00"},
                     headers=headers("donghua"))
    assert r.status_code == 422  # an end of validity in the past
    r = client.patch(f"/api/v1/kb/entries/{eid}", json={"category": "城乡建设", "version": 1},
                     headers=headers("donghua"))
    assert r.status_code == 409  # stale version
    r = client.patch(f"/api/v1/kb/entries/{eid}", json={"category": "城乡建设"}, headers=headers("donghua"))
    assert r.json()["status"] == "draft" and _search(client, headers, "加装电梯补贴") == []
    _post(client, headers, "donghua", f"/{eid}/submit")
    _post(client, headers, "supervisor", f"/{eid}/approve")
    _post(client, headers, "supervisor", f"/{eid}/withdraw", {"note": "政策调整"})
    # the audit: every change, who and when, with the content as it stood (version history)
    detail = client.get(f"/api/v1/kb/entries/{eid}", headers=headers("donghua")).json()
    steps = [(h["action"], h["to_status"]) for h in detail["history"]]
    assert steps == [("create", "draft"), ("submit", "in_review"), ("reject", "draft"),
                     ("edit", "draft"), ("submit", "in_review"), ("approve", "published"),
                     ("edit", "draft"), ("submit", "in_review"), ("approve", "published"),
                     ("withdraw", "withdrawn")]
    versions = [h["snapshot"]["answer"] for h in detail["history"] if h["snapshot"]]
    assert versions[0] == draft["answer"] and versions[1].endswith("需提交业主同意书。")
    assert all(h["actor_id"] and h["at"] for h in detail["history"])
    # other units do not see the withdrawn entry
    assert client.get(f"/api/v1/kb/entries/{eid}", headers=headers("xiguan")).status_code == 404
    assert client.get("/api/v1/kb/entries/999999", headers=headers("admin")).status_code == 404


def test_nobody_approves_their_own_text(client: TestClient, headers: H, city: City) -> None:
    e = _post(client, headers, "donghua_mgr", "", {"title": "街道办事时间", "answer": "工作日9点到17点。"},
              201)
    _post(client, headers, "donghua_mgr", f"/{e['id']}/submit")
    _post(client, headers, "donghua_mgr", f"/{e['id']}/approve", expect=403)
    _post(client, headers, "dongcheng_mgr", f"/{e['id']}/approve")


def test_answer_directly_only_with_published_valid_entries_and_counts_each_use(
        api: Api, client: TestClient, headers: H, city: City) -> None:
    ids = _import(client, headers)["ids"]
    draft = _post(client, headers, "supervisor", "", {"title": "草稿条目", "answer": "未审核。"}, 201)["id"]
    for bad in ([draft], [999999], ["KB-社保-0012"], [ids[0], draft]):
        r = client.post("/api/v1/tickets", headers=headers("agent"), json={
            "caller_phone": "13812345678", "request_type": "咨询", "content": "社保卡丢了怎么补办",
            "decision": {"action": "answer_directly", "answer": "请到网点补办", "kb_entries": bad}})
        assert r.status_code == 422, (bad, r.text)
    n = api.create(request_type="咨询", content="社保卡丢了怎么补办",
                   decision={"action": "answer_directly", "answer": "请到网点补办", "kb_entries": [ids[0]]})
    assert n["status"] == "answered"
    api.create(request_type="咨询", content="社保卡补办",
               decision={"action": "answer_directly", "answer": "同上", "kb_entries": [ids[0], ids[0]]})
    listed = client.get("/api/v1/kb/entries", params={"unit": "RSJ"}, headers=headers("rsj")).json()["items"]
    assert {e["id"]: e["use_count"] for e in listed}[ids[0]] == 2
    # a unit sees only its subtree's entries
    assert {e["unit_id"] for e in client.get("/api/v1/kb/entries", headers=headers("rsj")).json()["items"]} \
        <= {city.unit("RSJ"), city.unit("RSJ-JC")}
    # past valid_until: refused even before the scan expires it
    with time_machine.travel(datetime(2100, 1, 2, tzinfo=SHANGHAI), tick=False):
        r = client.post("/api/v1/tickets", headers=headers("agent"), json={
            "caller_phone": "13812345678", "request_type": "咨询", "content": "养老保险",
            "decision": {"action": "answer_directly", "answer": "x", "kb_entries": [ids[1]]}})
        assert r.status_code == 422


def test_stale_entries_are_flagged_to_owner_and_hotline_and_score_the_unit(
        client: TestClient, headers: H, city: City) -> None:
    ids = _import(client, headers)["ids"]
    assert kb_upkeep() == {"expired": 0, "flagged": 0, "notifications": 0}
    full = client.get("/api/v1/kb/upkeep", headers=headers("supervisor")).json()["items"]
    assert {f["unit_id"]: f["score"] for f in full}[city.unit("RSJ")] == 100.0
    later = utcnow() + timedelta(days=400)
    with time_machine.travel(later, tick=False):
        result = kb_upkeep()
        assert result["flagged"] == 4 and result["expired"] == 0
        assert kb_upkeep()["flagged"] == 0  # flagged once
        stale = client.get("/api/v1/kb/entries", params={"stale": "true"},
                           headers=headers("rsj")).json()["items"]
        assert {e["id"] for e in stale} == {ids[0], ids[1]}
        assert all("12 个月" in e["stale_reason"] for e in stale)
        full = client.get("/api/v1/kb/upkeep", headers=headers("supervisor")).json()["items"]
        assert {f["unit_id"]: f["score"] for f in full}[city.unit("RSJ")] == 0.0
        _post(client, headers, "rsj_mgr", f"/{ids[0]}/reconfirm")
        mine = client.get("/api/v1/kb/upkeep", headers=headers("rsj_mgr")).json()["items"]
        assert mine == [{"unit_id": city.unit("RSJ"), "published": 2, "stale": 1, "expired_in_use": 0,
                         "uses": 0, "score": 50.0}]
        # the unit evaluation (CQ §24) carries the same figure as a weighted component
        with Session(get_engine()) as s:
            rsj = next(m for m in unit_metrics(s, later - timedelta(days=30), later + timedelta(days=1))
                       if m.unit_id == city.unit("RSJ"))
        assert rsj.kb_upkeep_rate == 0.5 and rsj.score == 50.0  # its only component this month
    with Session(get_engine()) as s:
        notes = s.exec(select(Notification).where(Notification.kind == "kb_stale")).all()
        assert {n.unit_id for n in notes} >= {city.unit("RSJ"), city.unit("HL")}
    with time_machine.travel(datetime(2100, 1, 2, tzinfo=SHANGHAI), tick=False):
        assert kb_upkeep()["expired"] == 1
        with Session(get_engine()) as s:
            assert str(s.get(KbEntry, ids[1]).status) == "expired"  # type: ignore[union-attr]


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_console_shows_knowledge_hits_and_answers_with_one_click(client: TestClient, headers: H,
                                                                 city: City) -> None:
    """Live hits beside the routing suggestion as the agent types; one click answers directly
    with the entry (its text, cited), and the use is counted."""
    ids = _import(client, headers)["ids"]
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"username": "agent", "password": "demo", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    r = client.get("/console/assist", params={"caller_phone": "13812345678",
                                              "content": "社保卡丢了怎么补办", "request_type": "咨询"})
    assert r.status_code == 200 and 'id="kb-hits"' in r.text and 'id="suggestion"' in r.text
    first = re.search(r'name="decision" value="kb:(\d+)"', r.text)
    assert first and int(first.group(1)) == ids[0], r.text
    answer = re.search(rf'name="kb_answer_{ids[0]}" value="([^"]+)"', r.text)
    assert answer
    token = CSRF.search(client.get("/console").text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "caller_phone": "13812345678", "request_type": "咨询",
            "content": "社保卡丢了怎么补办", "decision": f"kb:{ids[0]}",
            f"kb_answer_{ids[0]}": answer.group(1)}
    r = client.post("/console", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    number = r.headers["location"].split("created=")[1]
    with Session(get_engine()) as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        assert str(ticket.status) == "answered"
        assert (ticket.reply_content or "").startswith("社会保障卡遗失")
        assert s.get(KbEntry, ids[0]).use_count == 1  # type: ignore[union-attr]
    r = client.post("/console", data={**form, "decision": "kb:999999", "answer": "按知识库答复"},
                    follow_redirects=False)
    assert r.status_code == 422 and "知识条目" in r.text
