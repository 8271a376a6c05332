"""Fixtures for the integrations tests: sample messages, a signed-callback receiver and the
simulated 110 running as a real process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from integrations import Envelope, MessageKind, PeerConfig, PoliceOrder, TicketTransfer

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 6, 16, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai, a Monday

SIM_SECRET = "sim110-own-secret-for-callbacks"  # the simulator signs with this
HOTLINE_SECRET = "hotline-12345-secret-to-110"  # 12345 signs with this; the simulator verifies


def police_order(**over: Any) -> PoliceOrder:
    data: dict[str, Any] = {
        "alarm_number": "J31011520250616000123",
        "call_time": T0,
        "caller_name": "王先生",
        "caller_phone": "13912345678",
        "address": "浦东新区世纪大道100号",
        "content": "楼下商铺深夜装修噪音扰民，多次沟通无果",
        "category_code": "060000",
        "level": 4,
        "jurisdiction_code": "310115000000",
        "latitude": 31.2304,
        "longitude": 121.4737,
    }
    return PoliceOrder(**{**data, **over})


def ticket_transfer(**over: Any) -> TicketTransfer:
    data: dict[str, Any] = {
        "ticket_number": "20250616-000042",
        "channel": "phone",
        "request_type": "求助",
        "category": "社会治安",
        "content": "有人在小区门口打架斗殴，已有人受伤",
        "address": "徐汇区漕溪北路88号",
        "caller_name": None,
        "caller_phone": "021-64000000",
        "registered_at": T0,
        "transfer_reason": "涉及违法犯罪，属110受理范围（SH 二(一)2）",
        "urgency": "very_urgent",
    }
    return TicketTransfer(**{**data, **over})


def transfer_envelope(content: str | None = None, **over: Any) -> Envelope:
    payload = ticket_transfer(**({"content": content} if content else {}))
    return Envelope.new(
        MessageKind.ticket_transfer, sender="12345", correlation_id=payload.ticket_number,
        payload=payload, **over,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


class Receiver:
    """A tiny 12345 inbound webhook: records every request and acknowledges it."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                try:
                    message_id = json.loads(body)["message_id"]
                except (ValueError, KeyError):
                    message_id = str(uuid.uuid4())
                ack = json.dumps({
                    "message_id": message_id, "peer_id": "20250616-000777",
                    "received_at": datetime.now(UTC).isoformat(),
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(ack)))
                self.end_headers()
                self.wfile.write(ack)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/peer"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@dataclass
class Sim:
    url: str
    peer: PeerConfig  # the simulator as 12345 sees it
    http: httpx.Client

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(self.url + path, json=body or {})
        response.raise_for_status()
        return response.json()

    def get(self, path: str) -> Any:
        response = self.http.get(self.url + path)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def sim_process(receiver: Receiver) -> Iterator[Sim]:
    """``python -m integrations.simulator`` as a real process on a free port."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "integrations.simulator", "--port", str(port),
        "--callback-url", receiver.url, "--secret", SIM_SECRET, "--peer-secret", HOTLINE_SECRET,
        "--step-delay-ms", "20", "--seed", "7",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    http = httpx.Client(timeout=5)

    def up() -> bool:
        if proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            raise AssertionError(f"simulator exited with {proc.returncode}: {out}")
        try:
            return http.get(url + "/healthz").status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(up, timeout=20, interval=0.05)
        peer = PeerConfig(code="110", name="模拟110", base_url=url, secret=HOTLINE_SECRET,
                          inbound_secret=SIM_SECRET, timeout_s=2, connect_timeout_s=1, max_attempts=5)
        yield Sim(url, peer, http)
    finally:
        http.close()
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def sim(sim_process: Sim, receiver: Receiver) -> Sim:
    """The shared simulator, reset to a healthy empty state, and an empty receiver."""
    sim_process.control("/control/reset")
    receiver.clear()
    return sim_process


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
