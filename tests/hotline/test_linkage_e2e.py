"""12345 ⇄ 110 end to end: the simulator is a real process, 12345 a real HTTP server.

a) 100 hand-overs queued while 110 is down all arrive once after it comes up;
b) duplicated and replayed inbound messages create one ticket;
c) bad or stale signatures get 401 and are logged;
d) callbacks out of order (and twice) end in the right final state;
and a relay killed mid-send delivers once after restart; a rejection comes back to 12345.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

import integrations
from hotline.linkage import peers as linkage_peers
from hotline.linkage.models import LinkedMatter, OutboxMessage
from hotline.linkage.relay import relay
from hotline.tickets.models import Ticket
from tests.conftest import REPO
from tests.hotline.bridge_support import Bridge, running_bridge, wait_for
from tests.hotline.conftest import Api, City

TO_110 = "change-me-12345-to-110"  # what 12345 signs with (example file)
FROM_110 = "change-me-110-to-12345"  # what 110 signs with


@pytest.fixture
def bridge(city: City, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Bridge]:
    with running_bridge(monkeypatch, tmp_path) as b:
        yield b


def relay_until_quiet(engine: Engine, now: datetime | None = None, rounds: int = 20) -> None:
    for _ in range(rounds):
        with Session(engine) as s:
            result = relay(s, now)
            s.commit()
        if result.delivered == result.retry == result.dead == 0:
            return


def hand_over(api: Api, n: int = 1, content: str = "有人持刀在小区门口打架，已经有人受伤") -> list[str]:
    return [api.create(content=content, decision={
        "action": "emergency_handover", "service": "110", "reason": "警情，立即移交110"})["number"]
        for _ in range(n)]


@pytest.mark.slow
def test_a_hundred_handovers_while_110_is_down(api: Api, engine: Engine, bridge: Bridge) -> None:
    numbers = hand_over(api, 100)
    with Session(engine) as s:
        down = relay(s)
        s.commit()
    assert down.retry == 100 and down.delivered == 0  # connection refused: kept for later
    bridge.start_sim(step_delay_ms=5000)  # callbacks later: this test is about delivery
    relay_until_quiet(engine, datetime.now(UTC) + timedelta(hours=1))  # past every back-off
    alarms = bridge.sim("GET", "/alarms")
    items = alarms["items"] if isinstance(alarms, dict) else alarms
    refs = [a.get("correlation_id") or a.get("ref") or a.get("ticket_number") for a in items]
    assert len(items) == 100, len(items)
    assert sorted(refs) == sorted(numbers)  # each exactly once
    with Session(engine) as s:
        states = s.exec(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
        assert dict(states) == {"delivered": 100}
        acked = s.exec(select(func.count()).select_from(LinkedMatter)
                       .where(col(LinkedMatter.peer_ref).is_not(None))).one()
        assert acked == 100  # 110's id stored for every ticket
    relay_until_quiet(engine, datetime.now(UTC) + timedelta(hours=2))
    assert bridge.sim("GET", "/control/stats")["duplicates"] == 0


def signed(body: bytes, secret: str = FROM_110, *, when: datetime | None = None,
           message_id: str) -> dict[str, str]:
    ts = int((when or datetime.now(UTC)).timestamp())
    return {**integrations.sign(secret, body, ts, peer="110", idempotency_key=message_id),
            "Content-Type": "application/json"}


def transfer_body(text: str = "小区楼下垃圾堆放一周没人清理，臭气熏天", message_id: str | None = None,
                  ref: str = "J3101002026112100001") -> tuple[bytes, str]:
    env = integrations.Envelope.new(
        "ticket_transfer", sender="110", correlation_id=ref, payload={
            "ticket_number": ref, "channel": "phone", "request_type": "投诉", "category": "市容环境",
            "content": text, "address": "东城区东华街道桂花苑小区", "caller_phone": "13912345678",
            "registered_at": datetime.now(UTC), "transfer_reason": "非警务事项",
        })
    peer = linkage_peers.peers()["110"]
    return peer.encode(env), str(env.message_id)


def test_b_duplicate_and_replayed_inbound_make_one_ticket(api: Api, engine: Engine,
                                                          bridge: Bridge) -> None:
    body, mid = transfer_body()
    url = f"{bridge.app_url}/api/v1/integrations/110/inbound"
    first = httpx.post(url, content=body, headers=signed(body, message_id=mid))
    again = httpx.post(url, content=body, headers=signed(body, message_id=mid))
    later = httpx.post(url, content=body, headers=signed(body, message_id=mid,
                                                          when=datetime.now(UTC) + timedelta(minutes=2)))
    assert first.status_code == 202, first.text
    assert again.status_code == later.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json() == again.json() == later.json()  # the same ack, our ticket number in it
    with Session(engine) as s:
        tickets = s.exec(select(Ticket).where(Ticket.channel == "110")).all()
        assert len(tickets) == 1
        assert first.json()["peer_id"] == tickets[0].number
        assert tickets[0].status in ("dispatched", "registered")  # routed when routing could
    # The simulator's own push (a non-police matter handed to 12345) also lands once.
    bridge.start_sim()
    bridge.sim("POST", "/control/push", json={"text": "请问公积金提取需要什么材料"})
    def channel_110() -> int:
        with Session(engine) as s:
            return len(s.exec(select(Ticket).where(Ticket.channel == "110")).all())

    wait_for(lambda: channel_110() == 2, what="pushed ticket")


def test_c_bad_or_stale_signatures_are_refused_and_logged(
        api: Api, engine: Engine, bridge: Bridge, caplog: pytest.LogCaptureFixture) -> None:
    body, mid = transfer_body()
    url = f"{bridge.app_url}/api/v1/integrations/110/inbound"
    caplog.set_level(logging.WARNING, logger="hotline.linkage")
    cases = {
        "wrong secret": signed(body, "not-the-secret", message_id=mid),
        "stale": signed(body, message_id=mid, when=datetime.now(UTC) - timedelta(minutes=6)),
        "future": signed(body, message_id=mid, when=datetime.now(UTC) + timedelta(minutes=6)),
        "no signature": {"Content-Type": "application/json", "Idempotency-Key": mid},
    }
    for name, headers in cases.items():
        r = httpx.post(url, content=body, headers=headers)
        assert r.status_code == 401, (name, r.text)
        assert r.json()["type"].endswith("/bad-signature")
    tampered = body.replace("垃圾".encode(), "噪音".encode())
    assert httpx.post(url, content=tampered, headers=signed(body, message_id=mid)).status_code == 401
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 5
    with Session(engine) as s:
        assert s.exec(select(Ticket).where(Ticket.channel == "110")).all() == []


@pytest.mark.parametrize("mode", [{"out_of_order": True}, {"out_of_order": True,
                                                           "duplicate_deliveries": True}])
def test_d_callbacks_out_of_order_end_closed(api: Api, engine: Engine, bridge: Bridge,
                                            mode: dict[str, bool]) -> None:
    bridge.start_sim(step_delay_ms=20)
    bridge.sim("POST", "/control/mode", json=mode)
    (number,) = hand_over(api)
    relay_until_quiet(engine)

    def link() -> LinkedMatter:
        with Session(engine) as s:
            return s.exec(select(LinkedMatter).where(LinkedMatter.our_ref == number)).one()

    wait_for(lambda: len(link().seen) == 5, timeout=30, what="five callbacks")
    final = link()
    assert final.status == "closed" and final.seen == [1, 2, 3, 4, 5]
    assert set(final.milestones) == {"accepted", "dispatched", "on_site", "result", "closed"}
    detail = api.get("supervisor", number)
    feedback = [e for e in detail["events"] if e["action"] == "peer_feedback"]
    assert len(feedback) >= 5 and detail["status"] == "emergency"


def test_rejected_matter_stays_with_the_first_receiver(api: Api, engine: Engine,
                                                       bridge: Bridge, client: Any,
                                                       headers: Any) -> None:
    bridge.start_sim(step_delay_ms=20)
    (number,) = hand_over(api, content="小区路灯坏了好几天，晚上很黑")  # not a police matter
    relay_until_quiet(engine)
    wait_for(lambda: api.get("agent", number)["status"] == "registered", what="reclaim")
    detail = api.get("agent", number)
    assert "reclaim" in [e["action"] for e in detail["events"]]
    links = client.get("/api/v1/integrations/links", headers=headers("supervisor")).json()
    row = next(i for i in links["items"] if i["ticket"] == number)
    assert row["their_status"] == "rejected" and row["our_status"] == "registered"
    assert links["figures"]["110"]["rejected"] == 1


@pytest.mark.slow
def test_relay_killed_mid_send_delivers_once(api: Api, engine: Engine, bridge: Bridge) -> None:
    bridge.start_sim(step_delay_ms=5000)
    (number,) = hand_over(api)
    env = {**os.environ, "HOTLINE_FAULT_RELAY_PAUSE": "60",
           "HOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("hotline")), "relay"], env=env,
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_for(lambda: bridge.sim("GET", "/control/stats")["received"] == 1, what="first send")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # after the send, before the commit
        proc.wait(timeout=10)
    with Session(engine) as s:
        assert s.exec(select(OutboxMessage)).one().state == "pending"  # not marked: will resend
    relay_until_quiet(engine)  # still within the killed relay's lease: nothing is sent twice yet
    assert bridge.sim("GET", "/control/stats")["duplicates"] == 0
    relay_until_quiet(engine, datetime.now(UTC) + timedelta(minutes=2))  # the lease has expired
    stats = bridge.sim("GET", "/control/stats")
    assert stats["received"] == 1 and stats["duplicates"] == 1  # delivered again, kept once
    with Session(engine) as s:
        row = s.exec(select(OutboxMessage)).one()
        assert row.state == "delivered" and row.peer_id
        link = s.exec(select(LinkedMatter).where(LinkedMatter.our_ref == number)).one()
        assert link.peer_ref == row.peer_id
