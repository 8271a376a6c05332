"""Close a client's keep-alive connection after a number of requests, so that the load spreads
over the API processes again.

`hotline serve --workers N` shares one listening socket: a connection belongs to the process
that accepted it for as long as the client keeps it open. Clients that keep connections (a load
balancer's upstream pool, the agents' browsers, Locust) pin their load to the processes alive
when they connected. The full city day showed what that costs: after one API process was killed
and restarted, every connection stayed with the survivor, which ran at one core while the new
process idled, and every request of the rest of the day waited ~2.5 s. nginx bounds the same
thing with ``keepalive_requests``; here the response that reaches the limit says
``Connection: close`` and the client's next request opens a connection that any process may
accept.

Connections are told apart by the peer's address and port, as seen before any proxy header is
trusted (this middleware is the outermost).

A request that fails with an unhandled error is answered 500 by Starlette's error middleware,
which wraps this one, so that answer cannot carry the header: the connection is then closed by
its next answer instead.
"""

from __future__ import annotations

from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Connections remembered at once; an older one forgotten early only gets its count restarted.
_REMEMBERED = 10_000


class RecycleConnections:
    def __init__(self, app: ASGIApp, max_requests: int) -> None:
        self.app = app
        self.max_requests = max_requests
        self.served: OrderedDict[tuple[str, int], int] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or not self.max_requests or not client:
            await self.app(scope, receive, send)
            return
        key = (str(client[0]), int(client[1]))
        served = self.served.pop(key, 0) + 1
        if served < self.max_requests:
            self.served[key] = served
            if len(self.served) > _REMEMBERED:
                self.served.popitem(last=False)
            await self.app(scope, receive, send)
            return

        told = False

        async def closing(message: Message) -> None:
            nonlocal told
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers") or [] if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
                told = True
            await send(message)

        try:
            await self.app(scope, receive, closing)
        finally:
            if not told:  # no answer went through here: the next one closes
                self.served[key] = self.max_requests - 1
