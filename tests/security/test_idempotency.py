"""Finding 9: an ``Idempotency-Key`` on POST …/transitions makes a retried or doubled command act
once — including actions that change no state, like ``supervise``. Without a key, the domain rule
"one open 督办单 per ticket" keeps parallel identical supervise calls from making 20 orders."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.security.conftest import Api, City


def _orders(engine: Engine, number: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM supervision_orders o JOIN tickets t ON t.id = o.ticket_id "
            "WHERE t.number = :n"), {"n": number}).scalar_one())


def _events(api: Api, number: str, action: str) -> int:
    return sum(e["action"] == action for e in api.get("agent", number)["events"])


def _dispatched(api: Api, city: City) -> str:
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    api.act("donghua", number, "sign")
    return number


def _parallel(client: TestClient, n: int, url: str, body: dict[str, Any],
              hdrs: list[dict[str, str]]) -> list[Any]:
    barrier = threading.Barrier(n)
    answers: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        answers[i] = client.post(url, json=body, headers=hdrs[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    return answers


def test_twenty_parallel_supervise_with_one_key_make_one_order(
        api: Api, city: City, client: TestClient, headers: Any, engine: Engine) -> None:
    number = _dispatched(api, city)
    hdrs = {**headers("supervisor"), "Idempotency-Key": "f3b1c2d4-0001"}
    answers = _parallel(client, 20, f"/api/v1/tickets/{number}/transitions",
                        {"action": "supervise", "reason": "群众反映强烈，请加快办理"}, [hdrs] * 20)
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers if a.status_code != 200]
    assert _orders(engine, number) == 1
    assert _events(api, number, "supervise") == 1
    # Every twin got the same answer as the one that acted, and says it was a replay.
    bodies = {a.text for a in answers}
    assert len(bodies) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 19


def test_a_retry_replays_the_answer(api: Api, city: City, client: TestClient, headers: Any,
                                    engine: Engine) -> None:
    number = _dispatched(api, city)
    url = f"/api/v1/tickets/{number}/transitions"
    hdrs = {**headers("donghua"), "Idempotency-Key": "reply-once-42"}
    body = {"action": "reply", "content": "已责成商户安装油烟净化设施并调整营业时间。"}
    first = client.post(url, json=body, headers=hdrs)
    assert first.status_code == 200, first.text
    again = client.post(url, json=body, headers=hdrs)
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _events(api, number, "reply") == 1
    # Without the key the same command is a new one, refused by the state machine (409).
    assert client.post(url, json=body, headers=headers("donghua")).status_code == 409


def test_a_key_reused_for_another_command_is_refused(api: Api, city: City, client: TestClient,
                                                     headers: Any, engine: Engine) -> None:
    number, other = _dispatched(api, city), _dispatched(api, city)
    hdrs = {**headers("supervisor"), "Idempotency-Key": "k-1"}
    body = {"action": "supervise", "reason": "请加快办理"}
    assert client.post(f"/api/v1/tickets/{number}/transitions", json=body, headers=hdrs).status_code == 200
    r = client.post(f"/api/v1/tickets/{other}/transitions", json=body, headers=hdrs)
    assert r.status_code == 422 and "Idempotency-Key" in r.json()["detail"]
    assert _orders(engine, other) == 0
    # Another user's identical key is theirs alone.
    admin = {**headers("admin"), "Idempotency-Key": "k-1"}
    assert client.post(f"/api/v1/tickets/{other}/transitions", json=body, headers=admin).status_code == 200


def test_a_failed_command_can_be_retried_with_its_key(api: Api, city: City, client: TestClient,
                                                      headers: Any, engine: Engine) -> None:
    number = api.create()["number"]
    url = f"/api/v1/tickets/{number}/transitions"
    hdrs = {**headers("supervisor"), "Idempotency-Key": "retry-after-409"}
    body = {"action": "supervise", "reason": "请加快办理"}
    assert client.post(url, json=body, headers=hdrs).status_code == 409  # not dispatched yet
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    assert client.post(url, json=body, headers=hdrs).status_code == 200  # the claim rolled back
    assert _orders(engine, number) == 1


def test_bad_keys_are_422(api: Api, city: City, client: TestClient, headers: Any) -> None:
    number = _dispatched(api, city)
    for key in ("", "x" * 129, "含中文".encode(), "a b"):
        r = client.post(f"/api/v1/tickets/{number}/transitions",
                        json={"action": "supervise", "reason": "请加快办理"},
                        headers={**headers("supervisor"), "Idempotency-Key": key})  # type: ignore[dict-item]
        assert r.status_code in (200, 422), (key, r.status_code)
        if key:
            assert r.status_code == 422, key


def test_without_a_key_one_open_order_per_ticket(api: Api, city: City, client: TestClient,
                                                 headers: Any, engine: Engine) -> None:
    number = _dispatched(api, city)
    answers = _parallel(client, 20, f"/api/v1/tickets/{number}/transitions",
                        {"action": "supervise", "reason": "群众反映强烈，请加快办理"},
                        [headers("supervisor")] * 20)
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * 19, codes
    assert _orders(engine, number) == 1
    # Once the unit answers, the next 督办 may be issued.
    api.act("donghua", number, "answer_supervision", content="已加派人员，三日内办结。")
    api.act("supervisor", number, "supervise", reason="仍未办结")
    assert _orders(engine, number) == 2
