"""CQ §11: a caller who withholds their number is registered without one (never as "12345") and
gets a lookup code to follow the ticket. Over HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.hotline.conftest import Api, City


def test_cq11_withheld_number_is_not_stored_and_the_caller_gets_a_lookup_code(
        api: Api, city: City, client: TestClient, headers: Any) -> None:
    t = api.create(caller_phone=None, caller_phone_withheld=True)
    code = t["lookup_code"]
    assert t["caller_phone"] == "" and t["caller_phone_withheld"] is True
    assert code and len(code) == 8 and "12345" not in t["caller_phone"]
    number = t["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    assert api.get("donghua", number)["lookup_code"] is None  # for the hotline to tell, only
    public = f"/api/v1/public/tickets/{number}"
    ok = client.get(public, params={"code": code.lower()})
    assert ok.status_code == 200 and ok.json()["number"] == number
    assert client.get(public, params={"code": "ABCDEFGH"}).status_code == 404
    assert client.get(public, params={"phone_last4": "2345"}).status_code == 404
    assert client.get(public).status_code == 422
    assert client.get(public, params={"code": code, "phone_last4": "2345"}).status_code == 422


def test_cq11_a_number_or_the_withheld_mark_is_required(client: TestClient, headers: Any) -> None:
    body = {"request_type": "投诉", "content": "噪声扰民"}
    assert client.post("/api/v1/tickets", json=body, headers=headers("agent")).status_code == 422
    both = body | {"caller_phone": "13812345678", "caller_phone_withheld": True}
    assert client.post("/api/v1/tickets", json=both, headers=headers("agent")).status_code == 422
    normal = client.post("/api/v1/tickets", json=body | {"caller_phone": "13812345678"},
                         headers=headers("agent"))
    assert normal.status_code == 201 and normal.json()["lookup_code"] is None
