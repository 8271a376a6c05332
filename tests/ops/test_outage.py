"""Outage alert (issue 18): the first failed delivery to 110 opens a "联动中断" alert to the
supervisors (board, /readyz, /metrics, /links); recovery brings a "已恢复" notice and every stuck
matter is sent at once; while 110 is down, reconciliation probes it every minute. The simulator
is `hotline sim110` as a real process, stopped and started; time is passed in, not slept."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hotline.linkage.models import OutboxMessage, PeerOutage
from hotline.linkage.reconcile import reconcile
from hotline.linkage.relay import relay
from hotline.notifications.models import Notification
from tests.hotline.bridge_support import Bridge, running_bridge
from tests.hotline.conftest import Api, City

HANDOVER = {"action": "emergency_handover", "service": "110", "reason": "警情，立即移交110"}


@pytest.fixture
def bridge(city: City, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Bridge]:
    with running_bridge(monkeypatch, tmp_path) as b:
        yield b


def titles(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return [n.title for n in s.exec(select(Notification).where(Notification.kind == "linkage")
                                        .order_by(col(Notification.id)))]


def run_relay(engine: Engine, now: datetime) -> tuple[int, int, int]:
    with Session(engine) as s:
        r = relay(s, now)
        s.commit()
    return r.delivered, r.retry, r.dead


def test_outage_alert_recovery_and_resend(api: Api, engine: Engine, bridge: Bridge) -> None:
    numbers = [api.create(content="小区门口有人持刀打架", decision=HANDOVER)["number"] for _ in range(3)]
    t0 = datetime.now(UTC)
    assert run_relay(engine, t0) == (0, 3, 0)  # the first delivery (the kick) fails
    alerts = titles(engine)
    assert len(alerts) == 1 and "联动中断" in alerts[0]  # one alert, at the first failure

    ready = api.client.get("/readyz").json()
    peer = next(c for c in ready["checks"]["peers"] if c["componentId"] == "110")
    assert ready["status"] == "warn" and peer["status"] == "warn" and "联动中断" in peer["output"]
    metrics = api.client.get("/metrics").text
    assert 'hotline_peer_outage{peer="110"} 1.0' in metrics
    assert 'hotline_outbox_depth{peer="110"} 3.0' in metrics
    links = api.client.get("/api/v1/integrations/links", headers=api.headers("supervisor")).json()
    assert all("联动中断" in (i["mismatch"] or "") for i in links["items"])
    assert all(i["sent_at"] is None and i["queued_at"] for i in links["items"])  # nothing sent yet
    for name, value in _login(api, "supervisor").items():
        api.client.cookies.set(name, value)
    board = api.client.get("/board")
    api.client.cookies.clear()
    assert "联动中断" in board.text

    # 110 stays down for a quarter of an hour: retries pile up back-off, messages never die.
    for minute in range(1, 15):
        run_relay(engine, t0 + timedelta(minutes=minute))
    assert len(titles(engine)) == 1  # still one alert
    with Session(engine) as s:
        assert {r.state for r in s.exec(select(OutboxMessage))} == {"pending"}

    bridge.start_sim(step_delay_ms=5000)
    t1 = t0 + timedelta(minutes=15)
    with Session(engine) as s:  # back-off grown to ten minutes (jitter makes the loop's vary)
        for row in s.exec(select(OutboxMessage)):
            row.next_attempt_at = t1 + timedelta(minutes=10)
            s.add(row)
        s.commit()
    with Session(engine) as s:  # the minute's reconciliation probes 110
        assert reconcile(s, t1)["probed"] == 1
        s.commit()
    with Session(engine) as s:
        oldest = min(r.next_attempt_at for r in s.exec(select(OutboxMessage)) if r.next_attempt_at)
        assert oldest <= t1 + timedelta(seconds=30)  # however far the back-off had grown
    delivered = run_relay(engine, t1 + timedelta(seconds=30))[0]
    for _ in range(3):  # the recovery made everything stuck due at once
        delivered += run_relay(engine, t1 + timedelta(seconds=90))[0]
    assert delivered == 3
    after = titles(engine)
    assert len(after) == 2 and "已恢复" in after[1]
    alarms = bridge.sim("GET", "/alarms")
    items = alarms["items"] if isinstance(alarms, dict) else alarms
    assert sorted(a.get("correlation_id") or a.get("ticket_number") for a in items) == sorted(numbers)
    with Session(engine) as s:
        assert s.exec(select(PeerOutage)).one().closed_at is not None
    ready = api.client.get("/readyz").json()
    peer = next(c for c in ready["checks"]["peers"] if c["componentId"] == "110")
    assert peer["status"] == "pass"


def _login(api: Api, username: str) -> dict[str, str]:
    from hotline.web.csrf import SESSION_COOKIE

    return {SESSION_COOKIE: api.headers(username)["Authorization"].removeprefix("Bearer ")}


def test_no_peer_configured_says_so(api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Demo off, no peers: /readyz warns, and a hand-over notifies the supervisors (not silent)."""
    from hotline.core import settings
    from hotline.linkage import peers

    monkeypatch.setenv("HOTLINE_DEMO_MODE", "false")
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "k" * 40)
    for name in [n for n in os.environ if n.startswith("HOTLINE_PEER")]:
        monkeypatch.delenv(name)
    settings.get_settings.cache_clear()
    peers.reload()
    try:
        number = api.create(content="小区门口有人持刀打架", decision=HANDOVER)["number"]
        ready = api.client.get("/readyz").json()
        assert ready["checks"]["peers"][0]["status"] == "warn"
        assert "未配置" in ready["checks"]["peers"][0]["output"]
        assert any("未联动" in t and number in t for t in titles(engine))
        assert "hotline_peers_configured 0.0" in api.client.get("/metrics").text
    finally:
        monkeypatch.setenv("HOTLINE_DEMO_MODE", "true")
        settings.get_settings.cache_clear()
        peers.reload()
