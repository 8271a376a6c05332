"""Issue 15 §3: every datetime a client names lies in 2000–2100, a deadline lies within
``HOTLINE_DEADLINE_HORIZON_DAYS``, and neither a date nor an id can produce a 500.

Before: a dispatch due 9999-12-31 was accepted and every later action on the ticket was a 500
(working-day arithmetic overflowed); offsets past year 1 or 9999 were 500s on five endpoints.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.core.settings import get_settings
from hotline.core.times import utcnow
from tests.hotline.conftest import Api, City

FAR = ["9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
       "1999-12-31T23:59:59+00:00", "2100-01-01T00:00:00+00:00", "2099-12-31T23:00:00-05:00"]


def _dispatch(client: TestClient, headers: Any, number: str, city: City, **extra: Any) -> Any:
    return client.post(f"/api/v1/tickets/{number}/transitions", headers=headers("agent"),
                       json={"action": "dispatch", "lead_unit_id": city.unit("DC-DH"), **extra})


@pytest.mark.parametrize("when", FAR)
def test_a_deadline_outside_2000_2100_is_422_and_the_ticket_still_works(
        api: Api, client: TestClient, headers: Any, city: City, when: str) -> None:
    number = api.create()["number"]
    r = _dispatch(client, headers, number, city, due_at=when)
    assert r.status_code == 422, r.text
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    api.act("donghua", number, "sign")
    r = client.post(f"/api/v1/tickets/{number}/transitions", headers=headers("donghua"),
                    json={"action": "request_extension", "reason": "需要协调", "due_at": when})
    assert r.status_code == 422, r.text
    api.act("donghua", number, "return", reason="不属于本单位职责")


def test_a_deadline_beyond_the_horizon_is_422(api: Api, client: TestClient, headers: Any,
                                              city: City) -> None:
    horizon = get_settings().deadline_horizon_days
    number = api.create()["number"]
    beyond = (utcnow() + timedelta(days=horizon + 1)).isoformat()
    r = _dispatch(client, headers, number, city, due_at=beyond)
    assert r.status_code == 422 and "天之后" in r.json()["detail"]
    within = (utcnow() + timedelta(days=horizon - 1)).isoformat()
    assert _dispatch(client, headers, number, city, due_at=within).status_code == 200
    api.act("donghua", number, "sign")
    r = client.post(f"/api/v1/tickets/{number}/transitions", headers=headers("donghua"),
                    json={"action": "request_extension", "reason": "需要协调", "due_at": beyond})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("when", FAR)
def test_query_datetimes_outside_2000_2100_are_422(client: TestClient, headers: Any, city: City,
                                                   when: str) -> None:
    r = client.get("/api/v1/tickets", params={"created_from": when}, headers=headers("agent"))
    assert r.status_code == 422, r.text
    r = client.get("/api/v1/tickets", params={"created_to": when}, headers=headers("agent"))
    assert r.status_code == 422, r.text
    r = client.get("/api/v1/routing/report", headers=headers("supervisor"),
                   params={"start": when, "end": "2026-12-01T00:00:00+08:00"})
    assert r.status_code == 422, r.text


DATETIMES = st.datetimes(timezones=st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23, minutes=-59),
                            max_value=timedelta(hours=23, minutes=59))))
IDS = st.one_of(st.integers(), st.integers(min_value=-3, max_value=40),
                st.text(alphabet="0123456789-+²٣e.", min_size=1, max_size=45))


def test_hypothesis_datetimes_and_ids_never_500(api: Api, client: TestClient, headers: Any,
                                                city: City) -> None:
    agent, admin, supervisor = headers("agent"), headers("admin"), headers("supervisor")
    number = api.create()["number"]

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(when=DATETIMES, raw=IDS)
    def check(when: datetime, raw: Any) -> None:
        stamp = when.isoformat()
        answers = [
            client.get("/api/v1/tickets", params={"created_from": stamp}, headers=agent),
            client.get("/api/v1/routing/report", params={"start": stamp, "end": stamp},
                       headers=supervisor),
            client.post(f"/api/v1/tickets/{number}/transitions", headers=agent,
                        json={"action": "dispatch", "due_at": stamp,
                              "lead_unit_id": city.unit("DC-DH")}),
            client.patch(f"/api/v1/users/{raw}", headers=admin, json={"full_name": "某人"}),
            client.patch(f"/api/v1/units/{raw}", headers=admin, json={"name": "单位"}),
            client.get(f"/api/v1/tickets/{raw}", headers=agent),
            client.get("/api/v1/tickets", params={"unit_id": str(raw)}, headers=agent),
            client.post(f"/api/v1/tickets/{number}/transitions", headers=agent,
                        json={"action": "dispatch", "lead_unit_id": raw}),
            client.post(f"/api/v1/tickets/{number}/transitions", headers=agent,
                        json={"action": "dispatch", "version": raw}),
        ]
        for r in answers:
            assert r.status_code < 500, (r.request.url, r.status_code, r.text[:300])

    check()


def test_the_bounds_themselves() -> None:
    from hotline.core.times import bounded

    assert bounded(datetime(2000, 1, 1, tzinfo=UTC))
    assert bounded(datetime(2099, 12, 31, 23, 59, tzinfo=UTC))
    for bad in (datetime(1999, 12, 31, 23, 59, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC),
                datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14)))):
        with pytest.raises(ValueError):
            bounded(bad)
