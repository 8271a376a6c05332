"""Unit metrics on hand-built tickets, every expected figure worked out by hand (docs/METRICS.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hotline.supervision.metrics import hotline_metrics, unit_metrics
from sla import SHANGHAI
from tests.hotline.conftest import Api, City

NOV = (datetime(2026, 11, 1, tzinfo=SHANGHAI), datetime(2026, 12, 1, tzinfo=SHANGHAI))


def build_november(api: Api, city: City) -> None:
    street = city.unit("DC-DH")
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), tick=False) as tm:

        def at(day: int, hour: int) -> None:
            tm.move_to(datetime(2026, 11, day, hour, 0, tzinfo=SHANGHAI))

        def act(user: str, number: str, action: str, **payload: Any) -> None:
            api.act(user, number, action, **payload)

        # T2 is a law-enforcement matter: its visits do not count for satisfaction (CQ §14).
        t1, t2, t3 = (api.create(**extra)["number"]
                      for extra in ({}, {"category": "城市管理/行政执法"}, {}))
        for t in (t1, t2, t3):
            act("agent", t, "dispatch", lead_unit_id=street)
        # T1: signed on time, replied on day 3, satisfied and resolved.
        at(2, 10)
        act("donghua", t1, "sign")
        at(5, 10)
        act("donghua", t1, "reply", content="已处理")
        at(6, 10)
        act("agent", t1, "visit", rating="satisfied", resolved=True)
        # T3: returned, the return judged improper, returned again (proper), re-dispatched.
        at(2, 11)
        act("donghua", t3, "return", reason="不属本街道")
        at(2, 12)
        act("supervisor", t3, "reject_return", reason="属地事项，应由街道办理")
        at(3, 9)
        act("donghua", t3, "return", reason="确属东湖街道辖区")
        act("agent", t3, "dispatch", lead_unit_id=city.unit("DC-DHU"))
        # T2: signed late (transfer due end of Tue 11-03), one extension denied then one approved.
        at(5, 10)
        act("donghua", t2, "sign")
        at(5, 11)
        act("donghua", t2, "request_extension", reason="需协调", add_working_days=3)
        at(5, 12)
        act("dongcheng_mgr", t2, "deny_extension", reason="时限充足")
        at(6, 10)
        act("donghua", t2, "request_extension", reason="需现场复核", add_working_days=2)
        act("dongcheng_mgr", t2, "approve_extension")
        at(10, 10)
        act("donghua", t2, "reply", content="已处理")
        at(11, 10)
        act("agent", t2, "visit", rating="dissatisfied", resolved=False)
        act("supervisor", t2, "rework", reason="核实未整改")
        at(12, 10)
        act("donghua", t2, "reply", content="已整改")
        at(13, 10)
        act("agent", t2, "visit", rating="basically_satisfied", resolved=True)
        # T4: dispatched, not yet signed. T5: answered at intake.
        at(9, 9)
        t4 = api.create()["number"]
        act("agent", t4, "dispatch", lead_unit_id=street)
        api.create(decision={"action": "answer_directly", "answer": "按知识库答复"})


def test_unit_metrics_by_hand(api: Api, city: City, engine: Engine) -> None:
    build_november(api, city)
    with Session(engine) as s:
        rows = {m.unit_name: m for m in unit_metrics(s, *NOV)}
        hotline = hotline_metrics(s, *NOV)
    m = rows["东华街道办事处"]
    assert m.received == 4                      # T1–T4 dispatched to it
    assert (m.signed, m.signed_on_time) == (2, 1)
    assert m.unsigned_overdue == 1                  # T4: unsigned past its transfer due (CQ §24)
    assert m.on_time_sign_rate == 0.3333
    assert (m.replied, m.replied_on_time) == (3, 3)  # T1, T2, T2 after rework
    assert m.unanswered_overdue == 1                # T4: close due 11-30, never answered
    assert m.on_time_close_rate == 0.75
    assert m.working_days_to_close_sum == 3 + 6 + 1  # (11-02,11-05], (11-02,11-10], (11-11,11-12]
    assert m.avg_working_days_to_close == 3.33
    assert (m.returns, m.improper_returns) == (2, 1)
    assert m.return_rate == 0.5 and m.improper_return_rate == 0.5
    assert m.late_returns == 0 and m.late_return_rate == 0.0  # both within 2 wd of receipt
    assert (m.extensions, m.abnormal_extensions) == (2, 2)  # one denied, one a repeat
    assert m.extension_rate == 0.5
    assert (m.visits, m.satisfied) == (1, 1)        # T2's law-enforcement visits are excluded
    assert m.satisfaction_rate == 1.0
    assert (m.resolution_answers, m.resolved) == (3, 2)
    assert m.resolution_rate == 0.6667
    assert m.reworks == 1 and m.rework_rate == 0.3333
    # score = 100 × (30·0.75 + 15·0.3333 + 30·1 + 15·0.6667 + 5·0.5 + 5·0 + 10·0.5 + 5·1) / 115
    assert m.score == round(100 * (22.5 + 15 * 0.3333 + 30 + 15 * 0.6667 + 2.5 + 0 + 5 + 5) / 115, 1)
    lake = rows["东湖街道办事处"]
    assert lake.received == 1 and (lake.unsigned_overdue, lake.unanswered_overdue) == (1, 1)
    assert (hotline.registered, hotline.direct_answers) == (5, 1)
    assert hotline.direct_answer_rate == 0.2
    with Session(engine) as s:  # nothing outside the period
        assert unit_metrics(s, datetime(2026, 12, 1, tzinfo=SHANGHAI),
                            datetime(2027, 1, 1, tzinfo=SHANGHAI)) == []


def test_metrics_and_report_endpoints(api: Api, city: City, client: TestClient,
                                      headers: Any) -> None:
    build_november(api, city)
    h = headers("supervisor")
    r = client.get("/api/v1/supervision/metrics", params={"month": "2026-11"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    street = next(u for u in body["units"] if u["unit_name"] == "东华街道办事处")
    assert street["on_time_sign_rate"] == 0.3333 and body["hotline"]["direct_answer_rate"] == 0.2
    html = client.get("/api/v1/supervision/report", params={"month": "2026-11", "format": "html"},
                      headers=h)
    assert html.status_code == 200 and "东华街道办事处" in html.text and "2026年11月" in html.text
    xlsx = client.get("/api/v1/supervision/report", params={"month": "2026-11", "format": "xlsx"},
                      headers=h)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/api/v1/supervision/metrics", params={"month": "2026-13"},
                      headers=h).status_code == 422
    assert client.get("/api/v1/supervision/metrics", params={"month": "2026-11"},
                      headers=headers("donghua")).status_code == 403
