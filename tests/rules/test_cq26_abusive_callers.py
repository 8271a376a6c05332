"""CQ §26: abusive or malicious callers — an agent flags with reason and evidence, a supervisor
approves, the flag expires, the agent is warned at intake, a flagged caller's emergency is never
blocked, and every step is audited. Over HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from fastapi.testclient import TestClient

from hotline.core.times import utcnow
from tests.hotline.conftest import Api, City
from tests.web.conftest import csrf_of

PHONE = "13700009999"


def _warning(client: TestClient, headers: Any) -> dict[str, Any]:
    r = client.get("/api/v1/caller-flags/warning", params={"phone": PHONE}, headers=headers("agent2"))
    assert r.status_code == 200, r.text
    return r.json()


def test_cq26_flag_needs_approval_warns_at_intake_and_expires(
        api: Api, city: City, client: TestClient, headers: Any) -> None:
    earlier = api.create(caller_phone=PHONE)["number"]
    flag = client.post("/api/v1/caller-flags", headers=headers("agent"), json={
        "caller_phone": PHONE, "reason": "insult", "ticket_numbers": [earlier],
        "evidence": "11月2日至今来电27次，每次辱骂话务员，录音编号 R-1102-07"})
    assert flag.status_code == 201, flag.text
    fid = flag.json()["id"]
    assert flag.json()["status"] == "pending"
    assert _warning(client, headers)["flagged"] is False  # not before a supervisor approves
    decide = f"/api/v1/caller-flags/{fid}/decision"
    assert client.post(decide, json={"approve": True}, headers=headers("agent")).status_code == 403
    ok = client.post(decide, json={"approve": True, "note": "录音核实属实"},
                     headers=headers("supervisor"))
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert client.post(decide, json={"approve": False}, headers=headers("admin")).status_code == 409
    warning = _warning(client, headers)
    assert warning["flagged"] is True and "侮辱" in warning["message"]
    # The agent console shows it while the number is typed in.
    console = TestClient(client.app)
    token = csrf_of(console.get("/login").text)
    assert console.post("/login", data={"username": "agent2", "password": "demo",
                                        "csrf_token": token},
                        follow_redirects=False).status_code == 303
    assist = console.get("/console/assist", params={"caller_phone": PHONE})
    assert assist.status_code == 200 and 'id="caller-flag"' in assist.text and "侮辱" in assist.text
    # A flagged caller's emergency is handed over like any other (CQ §10): never blocked.
    fire = api.create(caller_phone=PHONE, content="楼道里着火了，浓烟很大",
                      decision={"action": "emergency_handover", "service": "119",
                                "reason": "火情"})
    assert fire["status"] == "emergency"
    # Nor is an ordinary call refused: the flag only warns.
    assert api.create(caller_phone=PHONE)["status"] == "registered"
    with time_machine.travel(utcnow() + timedelta(days=91), tick=False):
        assert _warning(client, headers)["flagged"] is False
        listed = client.get("/api/v1/caller-flags", params={"phone": PHONE},
                            headers=headers("supervisor")).json()
        assert listed[0]["expired"] is True


def test_cq26_every_flag_and_decision_is_audited(client: TestClient, headers: Any,
                                                 city: City) -> None:
    made = client.post("/api/v1/caller-flags", headers=headers("supervisor"), json={
        "caller_phone": PHONE, "reason": "malicious_repeat", "evidence": "一天内来电60次"}).json()
    own = client.post(f"/api/v1/caller-flags/{made['id']}/decision", json={"approve": True},
                      headers=headers("supervisor"))
    assert own.status_code == 409  # nobody approves their own flag
    client.post(f"/api/v1/caller-flags/{made['id']}/decision", json={"approve": True},
                headers=headers("admin"))
    lifted = client.post(f"/api/v1/caller-flags/{made['id']}/lift", json={"note": "来电人致歉"},
                         headers=headers("supervisor"))
    assert lifted.status_code == 200 and lifted.json()["status"] == "lifted"
    flags = client.get("/api/v1/caller-flags", params={"phone": PHONE},
                       headers=headers("agent")).json()
    audit = flags[0]["audit"]
    assert [a["action"] for a in audit] == ["flagged", "approved", "lifted"]
    assert all(a["actor_id"] and a["at"] for a in audit)
    assert client.post("/api/v1/caller-flags", headers=headers("agent"), json={
        "caller_phone": "12", "reason": "insult", "evidence": "x"}).status_code == 422
    assert client.post("/api/v1/caller-flags", headers=headers("donghua"), json={
        "caller_phone": PHONE, "reason": "insult", "evidence": "x"}).status_code == 403
