"""Bad input gets a 4xx problem description, never a 500, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from hotline.tickets.models import (
    ExtensionRequest,
    Ticket,
    TicketCounter,
    TicketDay,
    TicketEvent,
    TicketUnit,
)
from tests.hotline.conftest import Api, City

GOOD = {"caller_phone": "13812345678", "request_type": "投诉", "content": "路灯坏了"}


def _counts(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as s:
        return tuple(
            s.exec(select(func.count()).select_from(m)).one()
            for m in (Ticket, TicketEvent, TicketUnit, TicketCounter, TicketDay, ExtensionRequest)
        )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in GOOD.items() if k != "content"}, "content"),
        ({k: v for k, v in GOOD.items() if k != "caller_phone"}, "caller_phone"),
        ({**GOOD, "caller_phone": "12345abc"}, "caller_phone"),
        ({**GOOD, "caller_phone": "1381234567"}, "caller_phone"),
        ({**GOOD, "request_type": "闲聊"}, "request_type"),
        ({**GOOD, "channel": "fax"}, "channel"),
        ({**GOOD, "content": ""}, "content"),
        ({**GOOD, "unknown_field": 1}, "unknown_field"),
        ({**GOOD, "decision": {"action": "dispatch", "lead_unit_id": "abc"}}, "decision"),
        ({**GOOD, "decision": {"action": "fly_away"}}, "decision"),
    ],
)
def test_register_validation(api: Api, client: TestClient, headers: Any, engine: Engine,
                             body: dict[str, Any], field: str) -> None:
    before = _counts(engine)
    r = client.post("/api/v1/tickets", json=body, headers=headers("agent"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 422 and problem["title"] and problem["type"].startswith("https://")
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    # The reason in Chinese (issue 17: "Input should be …" reached the people reading it).
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in problem["errors"])
    assert _counts(engine) == before


def test_content_over_the_limit(api: Api, client: TestClient, headers: Any, engine: Engine) -> None:
    before = _counts(engine)
    r = client.post("/api/v1/tickets", json={**GOOD, "content": "很" * 4001}, headers=headers("agent"))
    assert r.status_code == 422
    assert r.json()["title"] == "诉求内容过长"
    assert _counts(engine) == before  # not even a ticket number was used up


def test_unknown_unit_on_dispatch_writes_nothing(api: Api, client: TestClient, headers: Any,
                                                 engine: Engine, city: City) -> None:
    number = api.create()["number"]
    before = _counts(engine)
    p = api.act("agent", number, "dispatch", expect=422, lead_unit_id=99999)
    assert p["title"] == "单位不存在"
    p = api.act("agent", number, "dispatch", expect=422, lead_unit_id=city.unit("DC-DH"),
                co_unit_ids=[99998])
    assert p["units"] == [99998]
    assert _counts(engine) == before
    assert api.get("agent", number)["status"] == "registered"


def test_decision_failure_rolls_back_the_registration(api: Api, client: TestClient, headers: Any,
                                                      engine: Engine) -> None:
    before = _counts(engine)
    r = client.post("/api/v1/tickets", headers=headers("agent"),
                    json={**GOOD, "decision": {"action": "dispatch", "lead_unit_id": 424242}})
    assert r.status_code == 422
    assert _counts(engine) == before  # no half-registered ticket is left behind


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"action": "teleport"}, 422),
        ({}, 422),
        ({"action": "return"}, 422),  # reason required
        ({"action": "return", "reason": "x" * 4001}, 422),
        ({"action": "request_extension", "reason": "忙"}, 422),  # days or date required
        ({"action": "request_extension", "reason": "忙", "add_working_days": 0}, 422),
        ({"action": "forward", "to_unit_id": "abc"}, 422),
        ({"action": "visit", "rating": "great"}, 422),
        ({"action": "sign", "version": 0}, 422),
        ({"action": "reply", "content": "已办"}, 409),  # not signed yet: state conflict
    ],
)
def test_transition_validation(api: Api, client: TestClient, headers: Any, engine: Engine,
                               city: City, payload: dict[str, Any], status: int) -> None:
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    before = _counts(engine)
    r = client.post(f"/api/v1/tickets/{number}/transitions", json=payload,
                    headers=headers("donghua"))
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _counts(engine) == before


def test_forward_outside_subtree_and_to_self(api: Api, city: City, engine: Engine) -> None:
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    api.act("donghua", number, "sign")
    before = _counts(engine)
    p = api.act("donghua", number, "forward", expect=422, to_unit_id=city.unit("XC-XG-QS"))
    assert p["title"] == "只能转派给下级单位"
    api.act("donghua", number, "forward", expect=422, to_unit_id=city.unit("DC-DH"))
    assert _counts(engine) == before


def test_malformed_json_and_query(client: TestClient, headers: Any) -> None:
    r = client.post("/api/v1/tickets", content=b"{not json", headers={
        **headers("agent"), "content-type": "application/json"})
    assert r.status_code == 422
    for query in ("page=0", "page_size=1000", "warning=purple", "status=flying",
                  "created_from=yesterday", "created_from=2026-11-01T00:00:00"):
        r = client.get(f"/api/v1/tickets?{query}", headers=headers("agent"))
        assert r.status_code == 422, (query, r.text)
        assert r.json()["title"]


def test_extension_after_deadline_refused(api: Api, city: City, engine: Engine) -> None:
    import time_machine

    with time_machine.travel("2026-11-02 10:00 +0800", tick=False) as t:
        number = api.create()["number"]
        api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"), due_working_days=1)
        api.act("donghua", number, "sign")
        t.move_to("2026-11-05 10:00 +0800")
        p = api.act("donghua", number, "request_extension", expect=409, reason="来不及",
                    add_working_days=2)
        assert "届满前" in p["detail"]
