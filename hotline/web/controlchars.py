"""Control characters in what a client sends are refused with 422, the same on both databases.

Issue 15 §10: a NUL byte was stored on SQLite and would be a 500 on PostgreSQL, which refuses NUL
in text. No person types a control character into a complaint, an address or a username; they
arrive from fuzzers, broken integrations and attacks (log and terminal injection, truncation in
C libraries). So they are refused at the door, before any feature or database sees them: the
path, the query string and the body's text values — every string and key of a JSON body, every
field of a form, the whole of a text body. TAB, LF and CR are text and pass.

Refusing rather than stripping keeps a signed body (a peer's HMAC-signed message) exactly as it
was signed, and tells the client what was wrong instead of silently storing something else.
The body is read here in full only after the outer ``BodyLimit`` bounded it and ``Admission``
let the request in, so buffering costs at most one limit per admitted request.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: C0 controls except TAB, LF, CR; and DEL.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: The same set, in raw bytes: in UTF-8 no byte below 0x80 is ever part of a longer character.
FORBIDDEN_BYTES = re.compile(FORBIDDEN.pattern.encode())


def has_control(value: Any) -> bool:
    """Whether a decoded JSON value holds a forbidden character in any string or key."""
    if isinstance(value, str):
        return FORBIDDEN.search(value) is not None
    if isinstance(value, dict):
        return any(has_control(k) or has_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_control(v) for v in value)
    return False


def _form_has_control(text: str) -> bool:
    return any(FORBIDDEN.search(k) or FORBIDDEN.search(v)
               for k, v in parse_qsl(text, keep_blank_values=True))


def _body_has_control(content_type: str, body: bytes) -> bool:
    if not body:
        return False
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("", "application/json") or kind.endswith("+json"):  # FastAPI reads "" as JSON
        if b"\\" not in body and FORBIDDEN_BYTES.search(body) is None:
            # A JSON string can hold a control character only raw or as an escape (\u0000,
            # \b, \f), and every escape starts with a backslash: without either, nothing decoded
            # can hold one (UTF-16 and UTF-32 bodies always hold NUL bytes, so they never pass
            # here). Most bodies (Chinese prose) take this path and skip the parse.
            return False
        try:
            # The bytes, as FastAPI parses them: json.loads also reads a BOM, UTF-16 and UTF-32.
            return has_control(json.loads(body))
        except ValueError:
            return False  # not JSON: the route's own validation answers 422
    text = body.decode("utf-8", "replace")
    if kind == "application/x-www-form-urlencoded":
        return _form_has_control(text)
    if kind.startswith("text/"):
        return FORBIDDEN.search(text) is not None
    if kind == "multipart/form-data":
        return b"\x00" in body  # files may be binary; a NUL in a form part is still refused
    return False


class RefuseControlChars:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        if FORBIDDEN.search(scope["path"]) or _form_has_control(query):
            await _refuse(send)
            return
        content_type = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                             if k.lower() == b"content-type"), "")
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _body_has_control(content_type, body):
            await _refuse(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send) -> None:
    body = json.dumps({"type": "https://hotline.example.cn/problems/control-characters",
                       "title": "提交的内容不符合要求", "status": 422,
                       "detail": "内容含有不允许的控制字符（如 NUL），请删除后重新提交"},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 422, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
