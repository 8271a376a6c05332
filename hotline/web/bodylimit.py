"""Request bodies larger than ``max_body_bytes`` are refused with 413 before they are read.

Why here, as the outermost ASGI layer (issue 15 §2): FastAPI reads and parses a JSON body before
it runs any dependency, the login check included, so six anonymous 50 MB bodies were parsed in
full only to be answered 401 (server memory 275 → 656 MB). This layer sees the request first:
a declared ``Content-Length`` over the limit is answered at once, without reading a byte and
without waiting in the admission queue; a body without a length (chunked) is counted as the
application reads it and cut off the moment it passes the limit, so no more than the limit plus
one chunk is ever held.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit. An HTTP exception, so that
    wherever the application was reading (FastAPI turns other errors while reading a body into
    400) it becomes the same 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"请求内容超过 {limit} 字节的上限")


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is None and _has_header(scope, b"content-length"):
            await self._refuse(send, 400, "bad-request", "请求有误", "Content-Length 不正确")
            return
        if declared is not None and declared > self.limit:
            await self._too_large(send)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge(self.limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _TooLarge:
            if started:  # pragma: no cover - an app that answers before reading its body
                raise
            await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        await self._refuse(send, 413, "too-large", "请求内容过大",
                           f"请求内容超过 {self.limit} 字节的上限")

    @staticmethod
    async def _refuse(send: Send, status: int, slug: str, title: str, detail: str) -> None:
        body = json.dumps({"type": f"https://hotline.example.cn/problems/{slug}", "title": title,
                           "status": status, "detail": detail}, ensure_ascii=False).encode()
        # Connection: close — the client may still be sending the body we will not read.
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _has_header(scope: Scope, name: bytes) -> bool:
    return any(key.lower() == name for key, _ in scope.get("headers", ()))


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == b"content-length":
            raw = value.decode("latin-1").strip()
            return int(raw) if raw.isascii() and raw.isdecimal() and len(raw) <= 18 else None
    return None
