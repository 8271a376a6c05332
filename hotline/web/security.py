"""Response headers that make the browser an ally, and the one rule for who may speak for a proxy.

Two pure-ASGI middlewares (pure ASGI so that they also wrap static files, the admission queue's
503 and error pages — every response, not just the routes'):

* ``TrustedProxies`` decides the client's address and scheme. ``X-Forwarded-For`` and
  ``X-Forwarded-Proto`` are believed only when the TCP peer is one of
  ``HOTLINE_TRUSTED_PROXIES``; anyone else could write them and so walk round the per-address
  limits of the public lookup and the login. The scheme it settles is what the cookies' ``Secure``
  flag follows, so a TLS proxy on another host gets secure cookies once it is trusted.
  ``hotline serve`` turns uvicorn's own proxy handling off (it trusts 127.0.0.1 by default):
  this is the only place that reads those headers.
* ``SecurityHeaders`` sets a Content-Security-Policy with no inline script (the pages' behaviour
  lives in ``/static/app.js``; htmx is told not to inject styles or evaluate code), framing
  refused (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), ``nosniff``, a
  ``Referrer-Policy`` that never sends a ticket's URL elsewhere, and HSTS on HTTPS. A response
  that already carries its own policy keeps it (the monthly report's stand-alone HTML, the API
  docs when they are switched on).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
#: The API docs pages (only when switched on) load Swagger UI / ReDoc from their CDN and start
#: them with an inline script: they get a policy of their own, still unframeable.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
            "font-src 'self' https://fonts.gstatic.com; worker-src blob:; object-src 'none'; "
            "frame-ancestors 'none'")
#: The monthly report is a stand-alone document (also saved and mailed) with its own <style>.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str | Iterable[str]) -> tuple[Network, ...]:
    """``"10.0.0.5, 172.16.0.0/12"`` → networks; an empty spec trusts nobody."""
    items = spec.split(",") if isinstance(spec, str) else spec
    return tuple(ipaddress.ip_network(i.strip(), strict=False) for i in items if i.strip())


def _trusted(host: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in net for net in networks)


def forwarded_client(peer: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client address: walk ``X-Forwarded-For`` from the right past trusted proxies.

    The right-most entry was written by the proxy we trust; entries further left were written
    by whoever sent the request, so we stop at the first address that is not a trusted proxy.
    """
    if not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        client = hop
        if not _trusted(hop, networks):
            break
    return client


class TrustedProxies:
    def __init__(self, app: ASGIApp, trusted: str | Iterable[str]) -> None:
        self.app = app
        self.networks = parse_networks(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            peer = client[0] if client else ""
            if self.networks and _trusted(peer, self.networks):
                headers = {k.lower(): v for k, v in scope.get("headers", [])}
                scope = dict(scope)
                xff = headers.get(b"x-forwarded-for", b"").decode("latin-1")
                if xff:
                    scope["client"] = (forwarded_client(peer, xff, self.networks), 0)
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1")
                proto = proto.split(",")[-1].strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto if scope["type"] == "http" else (
                        "wss" if proto == "https" else "ws")
        await self.app(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts_seconds: int) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains".encode() if hsts_seconds else b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope.get("path") in DOCS_PATHS else CSP
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                wanted = [
                    (b"content-security-policy", csp.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if https and self.hsts:
                    wanted.append((b"strict-transport-security", self.hsts))
                headers.extend((k, v) for k, v in wanted if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
