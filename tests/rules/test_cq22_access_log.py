"""CQ §22: the personal-data access log is read and filtered by authorised staff, not only
written. Over HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.hotline.conftest import Api, City

LOG = "/api/v1/access-log"


def test_cq22_supervisors_read_and_filter_the_access_log(
        api: Api, city: City, client: TestClient, headers: Any) -> None:
    number = api.create()["number"]
    other = api.create(caller_phone="13900002222")["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    api.get("donghua", number)          # the handling unit sees the caller: logged
    api.get("agent2", other)
    r = client.get(LOG, params={"ticket_number": number}, headers=headers("supervisor"))
    assert r.status_code == 200, r.text
    body = r.json()
    who = {(i["username"], i["purpose"]) for i in body["items"]}
    assert ("donghua", "view") in who and all(i["ticket_number"] == number for i in body["items"])
    assert body["items"][0]["unit"] and body["total"] == len(body["items"])
    by_user = client.get(LOG, params={"username": "agent2"}, headers=headers("admin")).json()
    assert by_user["total"] >= 1 and {i["ticket_number"] for i in by_user["items"]} == {other}
    by_unit = client.get(LOG, params={"unit_id": city.unit("DC-DH"), "purpose": "view"},
                         headers=headers("supervisor")).json()
    assert {i["username"] for i in by_unit["items"]} == {"donghua"}
    future = client.get(LOG, params={"from": "2099-01-01T00:00:00+08:00"},
                        headers=headers("supervisor")).json()
    assert future["total"] == 0


def test_cq22_access_log_is_for_authorised_staff_only(
        api: Api, client: TestClient, headers: Any) -> None:
    api.create()
    for user in ("agent", "donghua", "dongcheng_mgr"):
        assert client.get(LOG, headers=headers(user)).status_code == 403, user
    assert client.get(LOG).status_code == 401
    naive = client.get(LOG, params={"from": "2026-11-01T00:00:00"}, headers=headers("supervisor"))
    assert naive.status_code == 422 and naive.json()["title"]
