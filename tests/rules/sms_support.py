"""A real 12345 server (uvicorn in a thread, the app as `hotline serve` builds it) and the SMS
gateway simulator as a real process (`hotline simsms`), for the caller-messaging rule tests.

The outbox is driven by calling its job (`hotline.workers.jobs.send_caller_messages`, what the
worker and the embedded timer run) with the embedded timer off, so each test decides when a try
happens; everything a person does goes over HTTP.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from hotline.core import settings
from hotline.workers.jobs import send_caller_messages
from tests.conftest import REPO
from tests.hotline.bridge_support import free_port, wait_for

API_KEY = "sms-account-key-of-12345"
RECEIPT_SECRET = "sms-gateway-receipt-key"


@dataclass
class SmsWorld:
    app_url: str
    sms_url: str
    start_gateway: Any
    stop_gateway: Any
    tokens: dict[str, str]

    def gateway(self, method: str, path: str, **kw: Any) -> Any:
        r = httpx.request(method, self.sms_url + path, timeout=10, **kw)
        r.raise_for_status()
        return r.json()

    def mode(self, **flags: bool) -> None:
        self.gateway("POST", "/control/mode", json=flags)

    def headers(self, user: str) -> dict[str, str]:
        if user not in self.tokens:
            r = httpx.post(f"{self.app_url}/api/v1/auth/token",
                           data={"username": user, "password": "demo"}, timeout=10)
            assert r.status_code == 200, r.text
            self.tokens[user] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def call(self, method: str, path: str, user: str = "agent", expect: int = 200, **kw: Any) -> Any:
        r = httpx.request(method, self.app_url + "/api/v1" + path, headers=self.headers(user),
                          timeout=30, **kw)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def register(self, phone: str = "13812345678", **fields: Any) -> dict[str, Any]:
        body = {"caller_phone": phone, "caller_name": "王女士", "request_type": "投诉",
                "content": "小区门口道路井盖缺失，晚上很危险。", "address": "渝中区解放碑街道民生路"}
        return self.call("POST", "/tickets", json={**body, **fields}, expect=201)  # type: ignore[no-any-return]

    def act(self, user: str, number: str, action: str, expect: int = 200, **payload: Any) -> Any:
        return self.call("POST", f"/tickets/{number}/transitions", user=user, expect=expect,
                         json={"action": action, **payload})

    def ticket(self, number: str, user: str = "agent") -> dict[str, Any]:
        return self.call("GET", f"/tickets/{number}", user=user)  # type: ignore[no-any-return]

    def messages(self, number: str, user: str = "agent") -> dict[str, Any]:
        return self.call("GET", f"/tickets/{number}/caller-messages", user=user)  # type: ignore[no-any-return]

    def events(self, number: str, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.ticket(number)["events"] if e["action"] == kind]

    @staticmethod
    def send(now: datetime | None = None) -> dict[str, int]:
        """One run of the outbox job (as the worker runs it)."""
        return send_caller_messages(now)


@contextmanager
def sms_world(monkeypatch: pytest.MonkeyPatch, *, env: dict[str, str] | None = None,
              gateway: bool = True) -> Iterator[SmsWorld]:
    sms_port, app_port = free_port(), free_port()
    values = {
        "HOTLINE_SMS_GATEWAY_URL": f"http://127.0.0.1:{sms_port}",
        "HOTLINE_SMS_API_KEY": API_KEY, "HOTLINE_SMS_RECEIPT_SECRET": RECEIPT_SECRET,
        "HOTLINE_SMS_SIGN_NAME": "重庆12345", "HOTLINE_SMS_QUIET_HOURS": "00:00-00:00",
        "HOTLINE_EMBEDDED_JOBS": "false", "HOTLINE_PORT": str(app_port),
        **(env or {}),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    settings.get_settings.cache_clear()
    from hotline.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=app_port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="12345 server")
    procs: list[subprocess.Popen[bytes]] = []

    def start_gateway() -> None:
        # `hotline simsms` as an operator runs it: it reads the hotline's SMS settings.
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("hotline")), "simsms", "--port", str(sms_port),
             "--hotline-url", f"http://127.0.0.1:{app_port}", "--receipt-delay-ms", "50"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)

        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{sms_port}/healthz", timeout=1).is_success
            except httpx.HTTPError:
                return False

        wait_for(up, what="SMS gateway simulator")

    def stop_gateway() -> None:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        procs.clear()

    try:
        if gateway:
            start_gateway()
        yield SmsWorld(f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{sms_port}",
                       start_gateway, stop_gateway, {})
    finally:
        stop_gateway()
        server.should_exit = True
        thread.join(timeout=10)
        settings.get_settings.cache_clear()
