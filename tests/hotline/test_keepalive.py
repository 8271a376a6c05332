"""A keep-alive connection is closed after ``HOTLINE_KEEPALIVE_MAX_REQUESTS`` requests, so that
clients reconnect and the load spreads over the API processes again (hotline/web/keepalive.py:
after an API process was killed in the full city day, every connection stayed with the survivor).

Over a real socket to uvicorn: the answers before the limit keep the connection open; the one
that reaches it says ``Connection: close`` and the server closes the socket after it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from starlette.types import Message, Receive, Scope, Send

from hotline.web.keepalive import RecycleConnections
from tests.hotline.bridge_support import app_in_thread
from tests.hotline.conftest import City

LIMIT = 3


@pytest.fixture
def server(city: City, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    with app_in_thread(monkeypatch, {"HOTLINE_KEEPALIVE_MAX_REQUESTS": str(LIMIT)}) as port:
        yield ("127.0.0.1", port)


def _answer(sock: socket.socket, buffered: bytes) -> tuple[bytes, bytes]:
    """One whole response (head + Content-Length body) and what was read beyond it."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection before answering"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection in the middle of a body"
        rest += chunk
    return head.lower(), rest[length:]


def test_the_connection_closes_after_the_limit(server: tuple[str, int]) -> None:
    host, port = server
    with socket.create_connection(server, timeout=30) as sock:
        left = b""
        for n in range(1, LIMIT + 1):
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            head, left = _answer(sock, left)
            assert head.startswith(b"http/1.1 200")
            assert (b"connection: close" in head) == (n == LIMIT), (n, head)
        assert sock.recv(65536) == b"", "the server kept the connection open past the limit"
    with socket.create_connection(server, timeout=30) as sock:  # a new connection counts anew
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        head, _ = _answer(sock, b"")
        assert b"connection: close" not in head


def test_a_failed_answer_at_the_limit_leaves_the_close_to_the_next_one() -> None:
    """At the limit, an unhandled error is answered 500 outside this middleware (Starlette's
    error middleware wraps it), without the header: the connection's next answer carries it."""
    calls = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal calls
        calls += 1
        if calls == LIMIT:
            raise RuntimeError("a defect")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def nothing() -> Message:
        return {"type": "http.request", "body": b""}

    async def request(mw: RecycleConnections) -> bool:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {"type": "http", "client": ("10.0.0.1", 40000)}
        await mw(scope, nothing, send)
        return (b"connection", b"close") in sent[0]["headers"]

    async def day() -> list[bool | str]:
        mw = RecycleConnections(app, max_requests=LIMIT)
        told: list[bool | str] = []
        for _ in range(LIMIT + 1):
            try:
                told.append(await request(mw))
            except RuntimeError:
                told.append("500")
        return told

    assert asyncio.run(day()) == [False, False, "500", True]
