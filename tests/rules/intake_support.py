"""Helpers for the intake rules' tests (CQ §9, §10, §13(四), SH 二(一)): the demo city's HTTP
fixtures, a signed-in page client, and a peer's signed transfer into 12345."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import integrations
from hotline.core import settings
from hotline.linkage import peers as linkage_peers
from tests.hotline.conftest import Api, City, api, city, client, headers

__all__ = ["Api", "City", "api", "city", "client", "headers"]

EXAMPLE_PEERS = Path(integrations.__file__).resolve().parent / "peers.example.toml"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str) -> None:
    """Log the test client in through the login page, like a browser (session cookie)."""
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": "demo", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


@pytest.fixture
def example_peers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The example peers file (110, 119, 120, 122…): hand-overs queue, transfers verify."""
    monkeypatch.setenv("HOTLINE_PEERS_FILE", str(EXAMPLE_PEERS))
    settings.get_settings.cache_clear()
    linkage_peers.reload()
    yield
    monkeypatch.delenv("HOTLINE_PEERS_FILE")
    settings.get_settings.cache_clear()
    linkage_peers.reload()


def transfer_in(client: TestClient, peer_code: str, text: str,
                ref: str = "P20261203000001") -> Any:
    """A peer hands a matter to 12345 (signed as the peer signs), answered by the inbound API."""
    env = integrations.Envelope.new(
        "ticket_transfer", sender=peer_code, correlation_id=ref, payload={
            "ticket_number": ref, "channel": "phone", "request_type": "求助", "category": "其他",
            "content": text, "address": "东城区东华街道桂花苑小区", "caller_phone": "13912345678",
            "registered_at": datetime.now(UTC), "transfer_reason": "转 12345 处理",
        })
    peer = linkage_peers.peers()[peer_code]
    body = peer.encode(env)
    ts = int(datetime.now(UTC).timestamp())
    hdrs = {**integrations.sign(peer.verifying_secret(), body, ts, peer=peer_code,
                                idempotency_key=str(env.message_id)),
            "Content-Type": "application/json"}
    return client.post(f"/api/v1/integrations/{peer_code}/inbound", content=body, headers=hdrs)
