"""Issue 15 §2: a body over ``HOTLINE_MAX_BODY_BYTES`` gets 413 before it is read in full and
before any login check.

Over a real socket to uvicorn: the request declares 50 MB, sends only its headers and 1 KB, and
the 413 arrives while 50 MB are still unsent — the server did not wait for the body. A body
without a length (chunked) is cut off as it is read: the server pulls at most the limit plus one
chunk of an endless generator. Unauthenticated requests over the limit get 413, not 401; under it,
the login check still answers 401.
"""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.hotline.bridge_support import app_in_thread
from tests.hotline.conftest import City

LIMIT = 64 * 1024


@pytest.fixture
def server(city: City, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with app_in_thread(monkeypatch, {"HOTLINE_MAX_BODY_BYTES": str(LIMIT)}) as port:
        yield f"127.0.0.1:{port}"


def _status_with_partial_body(addr: str, path: str, declared: int) -> tuple[int, bytes]:
    host, port = addr.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {declared}\r\n\r\n").encode() + b"[" + b"1," * 512)
        data = b""
        while b"\r\n\r\n" not in data:  # the answer comes although most of the body is unsent
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return int(head.split(b" ")[1]), rest


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/auth/token", "/login",
                                  "/api/v1/integrations/110/inbound"])
def test_declared_oversize_is_refused_unread_and_before_auth(server: str, path: str) -> None:
    status, body = _status_with_partial_body(server, path, 50 * 1024 * 1024)
    assert status == 413
    problem = json.loads(body)
    assert problem["status"] == 413 and problem["title"] == "请求内容过大"


def test_chunked_oversize_is_cut_off_as_read(server: str) -> None:
    """A chunked body of (up to) 50 MB, sent chunk by chunk while watching for the answer: the
    413 arrives once the limit is passed, long before the 50 MB are sent."""
    host, port = server.split(":")
    chunk = b"1," * 8192
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    head, reset = b"", False
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall((f"POST /api/v1/tickets HTTP/1.1\r\nHost: {server}\r\n"
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                      ).encode() + b"1\r\n[\r\n")
        try:
            while sent < 50 * 1024 * 1024:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                _, writable, _ = select.select([], [sock], [], 1.0)
                if writable:  # a server that stopped reading leaves us unwritable
                    sock.sendall(framed)
                    sent += len(chunk)
                elif sent > LIMIT:
                    break
            sock.settimeout(30)
            head = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            # The server answered and closed while we were still sending: its unread bytes
            # make the close a reset, which may discard the answer on our side.
            reset = True
    print(f"chunked: {sent} bytes sent before the 413 (reset: {reset})")
    assert sent < 50 * 1024 * 1024
    if reset:
        assert sent > LIMIT
    else:
        assert head.split(b" ")[1] == b"413", head[:200]


def test_chunked_oversize_answers_413(server: str) -> None:
    """The status of a cut-off chunked body, in process (the socket test above may see only the
    reset): a generator body has no length, so it is counted as it is read. (``server`` holds
    the small limit in the settings meanwhile.)"""
    from hotline.app import create_app

    def endless() -> Iterator[bytes]:
        yield b"["
        for _ in range(2 * LIMIT // 8192 + 1):
            yield b"1," * 4096

    with TestClient(create_app()) as small:
        r = small.post("/api/v1/tickets", content=endless(),
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["title"] == "请求内容过大"


def test_under_the_limit_auth_still_decides(server: str) -> None:
    with httpx.Client(base_url=f"http://{server}", timeout=30) as c:
        r = c.post("/api/v1/tickets", json={"content": "x" * (LIMIT // 2)})
        assert r.status_code == 401
        r = c.post("/api/v1/tickets", content=b"x" * (LIMIT + 1),
                   headers={"Content-Type": "application/json"})
        assert r.status_code == 413
