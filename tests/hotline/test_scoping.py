"""Who sees which ticket, and whose eyes get the caller's phone (CQ §22), on every ticket endpoint."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hotline.tickets.models import PersonalDataAccess
from tests.hotline.conftest import Api, City

PHONE = "13812345678"


def _two_tickets(api: Api, city: City) -> tuple[str, str]:
    street = api.create(caller_phone=PHONE, caller_name="张三丰")["number"]
    api.act("agent", street, "dispatch", lead_unit_id=city.unit("DC-DH"))
    dept = api.create(caller_phone="13900002222")["number"]
    api.act("agent", dept, "dispatch", lead_unit_id=city.unit("ZJW"))
    return street, dept


def _listed(client: TestClient, hdrs: dict[str, str]) -> set[str]:
    r = client.get("/api/v1/tickets?page_size=200", headers=hdrs)
    assert r.status_code == 200, r.text
    return {t["number"] for t in r.json()["items"]}


def test_list_is_scoped_to_unit_subtree(api: Api, city: City, client: TestClient, headers: Any) -> None:
    street, dept = _two_tickets(api, city)
    assert _listed(client, headers("agent")) >= {street, dept}
    assert _listed(client, headers("supervisor")) >= {street, dept}
    assert _listed(client, headers("donghua")) == {street}
    assert _listed(client, headers("dongcheng")) == {street}  # district sees its streets' tickets
    assert _listed(client, headers("zjw")) == {dept}
    assert _listed(client, headers("xiguan")) == set()
    assert _listed(client, headers("guihua")) == set()  # a community below sees nothing yet
    # A unit filter cannot widen a unit user's view.
    r = client.get(f"/api/v1/tickets?unit_id={city.unit('ZJW')}", headers=headers("donghua"))
    assert r.json()["total"] == 0


def test_other_units_get_404_on_every_ticket_endpoint(api: Api, city: City, client: TestClient,
                                                       headers: Any) -> None:
    street, _ = _two_tickets(api, city)
    h = headers("zjw")
    for method, url, body in [
        ("GET", f"/api/v1/tickets/{street}", None),
        ("GET", f"/api/v1/tickets/{street}/transitions", None),
        ("POST", f"/api/v1/tickets/{street}/transitions", {"action": "sign"}),
    ]:
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code == 404, (url, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["title"] == "工单不存在"
    # …exactly as for a number that does not exist: existence cannot be probed.
    assert client.get("/api/v1/tickets/20990101-000001", headers=h).status_code == 404


def test_unit_users_cannot_register(api: Api, client: TestClient, headers: Any) -> None:
    r = client.post("/api/v1/tickets", headers=headers("donghua"),
                    json={"caller_phone": PHONE, "request_type": "咨询", "content": "问题"})
    assert r.status_code == 403


def test_phone_masking_by_role_and_unit(api: Api, city: City, client: TestClient, headers: Any,
                                        engine: Engine) -> None:
    street, _ = _two_tickets(api, city)
    full = {"agent", "supervisor", "donghua"}  # hotline side and the lead unit
    for user in ("agent", "supervisor", "donghua", "donghua_mgr", "dongcheng"):
        detail = api.get(user, street)
        listed = next(t for t in client.get("/api/v1/tickets", headers=headers(user)).json()["items"]
                  if t["number"] == street)
        unit_is_lead = user in ("donghua", "donghua_mgr")
        if user in full or unit_is_lead:
            assert detail["caller_phone"] == PHONE and listed["caller_phone"] == PHONE
            assert detail["caller_name"] == "张三丰"
        else:
            assert detail["caller_phone"] == "138****5678", user
            assert listed["caller_phone"] == "138****5678"
            assert detail["caller_name"] == "张**"
        transitions = client.get(f"/api/v1/tickets/{street}/transitions", headers=headers(user))
        assert transitions.status_code == 200
        assert PHONE not in transitions.text or user in full or unit_is_lead
    # After forwarding, the concrete handler who must call back sees the number too.
    api.act("donghua", street, "sign")
    fwd = api.act("donghua", street, "forward", to_unit_id=city.unit("DC-DH-GH"))
    assert fwd["caller_phone"] == PHONE  # the lead unit still does
    assert api.get("guihua", street)["caller_phone"] == PHONE
    assert api.get("dongcheng", street)["caller_phone"] == "138****5678"
    # Every unmasked view is traceable (CQ §22).
    with Session(engine) as s:
        who = {row.user_id for row in s.exec(select(PersonalDataAccess))}
    assert city.users["guihua"].id in who and city.users["dongcheng"].id not in who


def test_public_progress_shows_nothing_personal(api: Api, city: City, client: TestClient) -> None:
    street, _ = _two_tickets(api, city)
    ok = client.get(f"/api/v1/public/tickets/{street}", params={"phone_last4": "5678"})
    assert ok.status_code == 200
    body: dict[str, Any] = ok.json()
    assert body["number"] == street and body["handling_unit"] == "东华街道办事处"
    text = ok.text
    assert PHONE not in text and "张三丰" not in text and "caller" not in text
    assert client.get(f"/api/v1/public/tickets/{street}",
                      params={"phone_last4": "0000"}).status_code == 404
    assert client.get("/api/v1/public/tickets/20990101-000001",
                      params={"phone_last4": "5678"}).status_code == 404
    assert client.get(f"/api/v1/public/tickets/{street}",
                      params={"phone_last4": "56"}).status_code == 422


def test_unauthenticated_is_401_problem(client: TestClient) -> None:
    for url in ("/api/v1/tickets", "/api/v1/me", "/api/v1/tickets/20260101-000001"):
        r = client.get(url)
        assert r.status_code == 401
        assert r.json()["type"].endswith("/unauthorized")
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
