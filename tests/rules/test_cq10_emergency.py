"""CQ §10: matters of life and property go to 110/119/120/122 at once and are reported to the
hotline's supervisors — an emergency verdict never becomes a work order, by any dispatch path.

Each path is driven over HTTP: the API transition, registration with a dispatch decision, the
ticket page's form, and a peer's inbound transfer. An agent who judges the verdict wrong may
still dispatch, with a reason that is recorded on the act and reported to the supervisors.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.rules import intake_support as support
from tests.rules.intake_support import Api, City, csrf_of, sign_in, transfer_in

# The demo city's HTTP fixtures (both backends), shared with tests/hotline.
api, city, client, headers = support.api, support.city, support.client, support.headers
example_peers = support.example_peers

FIRE = "东城区东华街道桂花苑3栋，邻居家厨房着火了，现在还在烧，快来人"


def _refused_as_emergency(r: object, service: str) -> dict:
    body = r.json()  # type: ignore[attr-defined]
    assert r.status_code == 409, body  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert body["type"].endswith("/emergency-handover-required")
    assert "移交" in body["title"] and "CQ §10" in body["detail"]
    assert body["handover"]["action"] == "emergency_handover"
    assert body["handover"]["service"] == service
    assert body["triggers"] and body["override_field"] == "emergency_override"
    return body


def test_cq10_dispatch_of_emergency_is_refused(api: Api, city: City) -> None:
    n = api.create(content=FIRE, request_type="求助")["number"]
    # On the suggestion, and to a unit the agent names: both refused, the hand-over offered.
    for extra in ({}, {"lead_unit_id": city.unit("DC-DH")}):
        r = api.client.post(f"/api/v1/tickets/{n}/transitions",
                            json={"action": "dispatch", **extra}, headers=api.headers("agent"))
        body = _refused_as_emergency(r, "119")
        assert "着火" in body["triggers"]
    detail = api.get("agent", n)
    assert detail["status"] == "registered" and detail["lead_unit"] is None
    # The offered hand-over is what goes through.
    offer = body["handover"]
    api.act("agent", n, offer["action"], service=offer["service"], reason=offer["reason"])
    assert api.get("agent", n)["status"] == "emergency"


def test_cq10_registration_with_a_dispatch_decision_is_refused(api: Api) -> None:
    before = api.client.get("/api/v1/tickets", headers=api.headers("agent")).json()["total"]
    r = api.client.post("/api/v1/tickets", headers=api.headers("agent"), json={
        "caller_phone": "13812345678", "request_type": "求助", "content": FIRE,
        "decision": {"action": "dispatch"}})
    _refused_as_emergency(r, "119")
    after = api.client.get("/api/v1/tickets", headers=api.headers("agent")).json()["total"]
    assert after == before  # nothing half-registered


def test_cq10_ticket_page_dispatch_of_emergency_is_refused(api: Api, client: TestClient) -> None:
    n = api.create(content="楼道里有很浓的煤气味，越来越重了", request_type="求助")["number"]
    sign_in(client, "agent")
    page = client.get(f"/t/{n}")
    assert page.status_code == 200 and "紧急事项仍派发的理由" in page.text  # the override field
    r = client.post(f"/t/{n}/act/dispatch", data={"csrf_token": csrf_of(page.text), "lead_unit_id": ""},
                    follow_redirects=False)
    assert r.status_code == 409
    assert "紧急事项应立即移交，不能派发为工单" in r.text and "119" in r.text
    assert api.get("agent", n)["status"] == "registered"


def test_cq10_override_is_recorded_and_reported_to_supervisors(api: Api) -> None:
    n = api.create(content=FIRE, request_type="求助")["number"]
    why = "来电人说明是饭店厨房正常明火烹饪，并非火灾"
    api.act("agent", n, "dispatch", emergency_override=why)
    detail = api.get("agent", n)
    assert detail["status"] == "dispatched"
    act = next(e for e in detail["events"] if e["action"] == "dispatch")
    assert act["payload"]["emergency_override"]["reason"] == why
    assert act["payload"]["emergency_override"]["service"] == "119"
    assert act["payload"]["reported_to_supervisors"] is True
    inbox = api.client.get("/api/v1/inbox", headers=api.headers("supervisor")).json()["items"]
    note = next(i for i in inbox if i["kind"] == "em_override")
    assert n in note["title"] and why in note["body"]


def test_cq10_an_ordinary_matter_is_still_dispatched(api: Api) -> None:
    n = api.create()["number"]  # noise from a barbecue stall: no emergency
    api.act("agent", n, "dispatch")
    assert api.get("agent", n)["status"] == "dispatched"


def test_cq10_inbound_emergency_transfer_is_not_dispatched(api: Api, example_peers: None) -> None:
    r = transfer_in(api.client, "119", "小区地下车库里一辆电动车在冒烟，有焦糊味，烟越来越大")
    assert r.status_code == 202, r.text
    n = r.json()["peer_id"]
    detail = api.get("agent", n)
    assert detail["channel"] == "119" and detail["status"] == "registered"
    assert not [e for e in detail["events"] if e["action"] == "dispatch"]
    inbox = api.client.get("/api/v1/inbox", headers=api.headers("supervisor")).json()["items"]
    assert any(i["kind"] == "em_inbound" and n in i["title"] for i in inbox)
    # An agent who dispatches it anyway meets the same refusal.
    r = api.client.post(f"/api/v1/tickets/{n}/transitions", json={"action": "dispatch"},
                        headers=api.headers("agent"))
    _refused_as_emergency(r, "119")
