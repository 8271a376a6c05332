"""The client's decision from each kind of HTTP answer (mock transport, no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from integrations import (
    IDEMPOTENCY_HEADER,
    PEER_HEADER,
    REPLAYED_HEADER,
    PeerConfig,
    SendStatus,
    send,
    verify,
)
from tests.integrations.conftest import transfer_envelope

PEER = PeerConfig(code="110", name="110", base_url="http://110.test/", secret="k", timeout_s=4,
                  connect_timeout_s=1)


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def _ack(request: httpx.Request, **over: object) -> dict[str, object]:
    return {"message_id": json.loads(request.content)["message_id"], "peer_id": "J1",
            "received_at": datetime.now(UTC).isoformat(), **over}


def test_signed_request_with_idempotency_key_and_timeouts() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json=_ack(request))

    envelope = transfer_envelope()
    with _client(handler) as client:
        result = send(PEER, envelope, client=client)
    assert result.status is SendStatus.delivered and result.peer_id == "J1" and result.error is None
    (request,) = seen
    assert str(request.url) == "http://110.test/api/v1/inbound"
    assert request.headers[IDEMPOTENCY_HEADER] == str(envelope.message_id)
    assert request.headers[PEER_HEADER] == "12345"
    verify("k", request.headers, request.content, datetime.now(UTC))
    assert request.extensions["timeout"] == {"connect": 1, "read": 4, "write": 4, "pool": 4}


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (200, {REPLAYED_HEADER: "true"}, SendStatus.duplicate),
        (409, {}, SendStatus.duplicate),
        (400, {}, SendStatus.rejected),
        (401, {}, SendStatus.rejected),
        (422, {}, SendStatus.rejected),
        (404, {}, SendStatus.rejected),
        (408, {}, SendStatus.retryable),
        (429, {"Retry-After": "30"}, SendStatus.retryable),
        (500, {}, SendStatus.retryable),
        (503, {"Retry-After": "7"}, SendStatus.retryable),
        (507, {}, SendStatus.retryable),
    ],
)
def test_status_mapping(status: int, headers: dict[str, str], expected: SendStatus) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = _ack(request) if status < 300 else {"title": "问题"}
        return httpx.Response(status, json=body, headers=headers)

    with _client(handler) as client:
        result = send(PEER, transfer_envelope(), client=client)
    assert result.status is expected and result.http_status == status
    if "Retry-After" in headers:
        assert result.retry_after == timedelta(seconds=int(headers["Retry-After"]))
    if expected is not SendStatus.duplicate or status != 200:
        assert result.error


def test_unreadable_or_foreign_ack_is_still_delivered_but_flagged() -> None:
    with _client(lambda r: httpx.Response(200, text="OK")) as client:
        result = send(PEER, transfer_envelope(), client=client)
    assert result.status is SendStatus.delivered and result.peer_id is None
    assert "unreadable ack" in (result.error or "")

    def other(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=_ack(request, message_id="00000000-0000-4000-8000-000000000000"))

    with _client(other) as client:
        result = send(PEER, transfer_envelope(), client=client)
    assert result.status is SendStatus.delivered and "not" in (result.error or "")


@pytest.mark.parametrize(
    ("exc", "word"),
    [(httpx.ConnectError("refused"), "network"), (httpx.ReadTimeout("slow"), "timeout"),
     (httpx.RemoteProtocolError("closed"), "network")],
)
def test_network_failures_are_retryable(exc: Exception, word: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with _client(handler) as client:
        result = send(PEER, transfer_envelope(), client=client)
    assert result.status is SendStatus.retryable and result.http_status is None and word in result.error


def test_configuration_errors_are_rejected_not_retried() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.UnsupportedProtocol("no such scheme")

    with _client(handler) as client:
        result = send(PEER, transfer_envelope(), client=client)
    assert result.status is SendStatus.rejected and "bad peer URL" in (result.error or "")
