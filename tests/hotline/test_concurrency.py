"""Two people acting on one ticket at once: exactly one wins, the other gets 409 (version check)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from hotline.tickets.models import ExtensionRequest, TicketEvent
from tests.hotline.conftest import Api, City


def _race(client: TestClient, calls: list[tuple[dict[str, str], str, dict[str, Any]]]) -> list[int]:
    barrier = threading.Barrier(len(calls))
    codes: list[int] = [0] * len(calls)

    def run(i: int) -> None:
        hdrs, url, body = calls[i]
        barrier.wait()
        codes[i] = client.post(url, json=body, headers=hdrs).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    return codes


def test_two_concurrent_actions_one_wins(api: Api, city: City, client: TestClient,
                                         headers: Any, engine: Engine) -> None:
    t = api.create()
    d = api.act("agent", t["number"], "dispatch", lead_unit_id=city.unit("DC-DH"))
    version = d["version"]
    url = f"/api/v1/tickets/{t['number']}/transitions"
    # The street's handler signs while its manager forwards it to a community, both having seen
    # one version (both stay able to see the ticket, so the loser learns of the conflict).
    codes = _race(client, [
        (headers("donghua"), url, {"action": "sign", "version": version}),
        (headers("donghua_mgr"), url, {"action": "forward", "to_unit_id": city.unit("DC-DH-GH"),
                                       "version": version}),
    ])
    assert sorted(codes) == [200, 409], codes
    after = api.get("agent", t["number"])
    assert after["version"] == version + 1
    assert after["events"][-1]["action"] in ("sign", "forward")
    assert len(after["events"]) == 3  # register, dispatch, and the winner's only


def test_many_racers_on_one_version(api: Api, city: City, client: TestClient,
                                    headers: Any, engine: Engine) -> None:
    """Four extension requests from one version: one recorded, three refused, nothing doubled."""
    t = api.create()
    number = t["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    v = api.act("donghua", number, "sign")["version"]
    url = f"/api/v1/tickets/{number}/transitions"
    body = {"action": "request_extension", "reason": "需要协调", "add_working_days": 3, "version": v}
    codes = _race(client, [(headers(u), url, body) for u in ("donghua", "donghua_mgr") * 2])
    assert codes.count(200) == 1 and codes.count(409) == 3, codes
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(ExtensionRequest)).one() == 1
        assert s.exec(select(func.count()).select_from(TicketEvent)
                      .where(TicketEvent.action == "request_extension")).one() == 1


def test_stale_version_without_race_is_409(api: Api, city: City) -> None:
    t = api.create()
    d = api.act("agent", t["number"], "dispatch", lead_unit_id=city.unit("DC-DH"))
    api.act("donghua", t["number"], "sign", version=d["version"])
    problem = api.act("donghua", t["number"], "reply", expect=409, content="已处理",
                      version=d["version"])
    assert problem["type"].endswith("/version-conflict")
    assert problem["current_version"] == d["version"] + 1
