"""The bridge wired through the one app assembly: a hand-over made in the agent console reaches
the peer at once (the after-commit kick, not the timer), and each peer line is carried end to
end (a 119 transfer is a 119 ticket, and 119 hears its progress)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hotline.linkage.models import Direction, LinkedMatter, OutboxMessage
from hotline.tickets.models import Ticket
from tests.hotline.bridge_support import Bridge, running_bridge, wait_for
from tests.hotline.conftest import Api, City
from tests.hotline.test_linkage_e2e import relay_until_quiet

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(base_url: str, username: str) -> httpx.Client:
    """A browser-like client: the login form's CSRF nonce, then the session cookie."""
    client = httpx.Client(base_url=base_url, timeout=10)
    page = client.get("/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"username": username, "password": "demo", "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture
def kick_only(city: City, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Bridge]:
    """The embedded jobs on, the relay's timer off: only the after-commit kick can deliver."""
    env = {"HOTLINE_EMBEDDED_JOBS": "true", "HOTLINE_RELAY_INTERVAL_SECONDS": "0",
           "HOTLINE_SCAN_INTERVAL_SECONDS": "3600"}
    with running_bridge(monkeypatch, tmp_path, env=env) as b:
        yield b


def test_console_handover_reaches_110_within_two_seconds(kick_only: Bridge) -> None:
    kick_only.start_sim(step_delay_ms=60_000)  # callbacks much later: this is about delivery
    browser = signed_in(kick_only.app_url, "agent")
    try:
        console = browser.get("/console")
        token = CSRF.search(console.text).group(1)  # type: ignore[union-attr]
        r = browser.post("/console", data={
            "csrf_token": token, "caller_phone": "13900005555", "request_type": "求助",
            "content": "楼道里着火了，浓烟很大，有人被困在五楼", "address": "东城区东华街道桂花苑",
            "decision": "emergency:110", "em_reason": "火情，立即移交"})
        assert r.status_code == 303, r.text
        sent = time.monotonic()
    finally:
        browser.close()
    wait_for(lambda: len(kick_only.sim("GET", "/alarms")) == 1, timeout=2.0,
             what="the hand-over at 110 within 2 s")
    assert time.monotonic() - sent <= 2.0


@pytest.fixture
def line_119(city: City, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Bridge]:
    with running_bridge(monkeypatch, tmp_path, peer="119") as b:
        yield b


def test_a_transfer_from_119_is_a_119_ticket_and_119_hears_its_progress(
        api: Api, city: City, engine: Engine, line_119: Bridge) -> None:
    line_119.start_sim()
    pushed = line_119.sim("POST", "/control/push", json={
        "text": "消防检查时发现小区楼道堆放杂物堵塞消防通道，请物业清理", "address": "东城区东华街道桂花苑"})
    assert pushed["status"] == "delivered", pushed

    with Session(engine) as s:
        ticket = s.exec(select(Ticket)).one()
        link = s.exec(select(LinkedMatter)).one()
    assert ticket.channel == "119"  # the line it came on, not "110"
    assert (link.peer, link.direction) == ("119", Direction.in_)
    number = ticket.number
    if api.get("agent", number)["status"] == "registered":  # routing could not decide
        api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    holder = api.get("agent", number)["holder_unit"]["id"]
    handler = next(name for name, user in city.users.items()
                   if user.unit_id == holder and user.role == "unit_handler")
    api.act(handler, number, "sign")
    api.act(handler, number, "reply", content="已通知物业清理楼道杂物，消防通道已畅通。")
    relay_until_quiet(engine)

    def kinds() -> list[str]:
        return [f["kind"] for f in line_119.sim("GET", "/pushes")["feedback"]]

    wait_for(lambda: "result" in kinds(), what="the reply back to 119")
    assert kinds() == ["accepted", "dispatched", "result"]
    feedback = line_119.sim("GET", "/pushes")["feedback"]
    assert {f["ref"] for f in feedback} == {pushed["alarm_number"]}  # about 119's own matter
    with Session(engine) as s:
        assert set(s.exec(select(OutboxMessage.peer)).all()) == {"119"}  # nothing went to 110
