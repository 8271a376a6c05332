"""Admission control: an API process works on at most ``max_concurrent_requests`` requests at
once; the rest wait their turn in a bounded queue, and beyond it are turned away at once with
503 and ``Retry-After`` — shedding load instead of hanging.

Why it keeps the server alive (docs/ARCHITECTURE.md, "Requests, threads, connections"): each
admitted request holds one database connection and runs its sync handler and dependencies on the
thread pool. With admitted requests ≤ connections in the pool ≤ threads in the pool, no request
can wait for a connection or a thread that another admitted request needs: the convoy of 200
simultaneous requests (each holding a connection while waiting for a thread) cannot form.
Waiting happens here, on the event loop, costing neither a thread nor a connection.
"""

from __future__ import annotations

import asyncio
import json
import math

from starlette.types import ASGIApp, Receive, Scope, Send

#: Paths that never wait: the liveness probe must answer while the server is busiest, and static
#: files use neither a thread nor the database.
EXEMPT_PREFIXES = ("/healthz", "/static/")


class Admission:
    def __init__(self, app: ASGIApp, *, limit: int, queue: int, timeout: float) -> None:
        self.app, self.limit, self.queue, self.timeout = app, limit, queue, timeout
        self._slots = asyncio.Semaphore(limit)
        self.waiting = 0
        self.active = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self._slots.locked() and self.waiting >= self.queue:
            await self._shed(send, "服务繁忙，排队已满")
            return
        self.waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), self.timeout)
        except TimeoutError:
            await self._shed(send, f"服务繁忙，排队超过 {self.timeout:g} 秒")
            return
        finally:
            self.waiting -= 1
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1
            self._slots.release()

    async def _shed(self, send: Send, detail: str) -> None:
        # Retry after roughly the time the queue ahead needs to drain at the current pace.
        retry = max(1, math.ceil(self.waiting / max(self.limit, 1) * 0.1))
        body = json.dumps({"type": "https://hotline.example.cn/problems/overloaded",
                           "title": "系统繁忙，请稍后重试", "status": 503,
                           "detail": f"{detail}，请 {retry} 秒后重试"}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/problem+json"), (b"retry-after", str(retry).encode()),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
