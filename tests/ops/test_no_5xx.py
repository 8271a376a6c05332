"""No 5xx after a commit (issue 18): Redis or the relay kick failing after an emergency
hand-over is committed answers 2xx; delivery falls back to the timer (the relay job)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hotline.linkage.models import OutboxMessage
from tests.hotline.bridge_support import Bridge, running_bridge
from tests.hotline.conftest import City
from tests.ops.conftest import PrivateRedis

HANDOVER = {"action": "emergency_handover", "service": "110", "reason": "警情，立即移交110"}


@pytest.fixture
def bridge_on_redis(city: City, private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch,
                    tmp_path: Path) -> Iterator[tuple[Bridge, PrivateRedis]]:
    with running_bridge(monkeypatch, tmp_path, env={"HOTLINE_REDIS_URL": private_redis.url}) as b:
        yield b, private_redis


def test_handover_with_redis_down_answers_201_and_the_timer_delivers(
        engine: Engine, bridge_on_redis: tuple[Bridge, PrivateRedis]) -> None:
    from hotline.workers.jobs import relay_outbox

    bridge, redis = bridge_on_redis
    bridge.start_sim(step_delay_ms=5000)
    redis.stop()  # the kick (an RQ enqueue) now fails after the commit
    token = httpx.post(bridge.app_url + "/api/v1/auth/token",
                       data={"username": "agent", "password": "demo"}).json()["access_token"]
    r = httpx.post(bridge.app_url + "/api/v1/tickets", timeout=60,
                   headers={"Authorization": f"Bearer {token}"}, json={
        "caller_phone": "13812345678", "request_type": "求助", "content": "小区门口有人持刀打架",
        "address": "东城区东华街道桂花苑", "decision": HANDOVER})
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    with Session(engine) as s:
        row = s.exec(select(OutboxMessage)).one()
        assert row.state == "pending"  # committed, waiting for the timer
    assert relay_outbox()["delivered"] >= 1  # the timer's job, as cron would run it
    alarms = bridge.sim("GET", "/alarms")
    items = alarms["items"] if isinstance(alarms, dict) else alarms
    assert [a.get("correlation_id") or a.get("ticket_number") for a in items] == [number]
