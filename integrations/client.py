"""Deliver one envelope to one peer and say plainly what happened.

The outbox relay needs exactly one decision per try: done (``delivered`` / ``duplicate``),
try again later (``retryable``), or stop and alert a person (``rejected``). This module makes
that decision from the HTTP exchange; it never retries by itself, because retries belong to the
relay's durable schedule (``integrations.backoff``), not to a blocked worker.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import httpx
from pydantic import ValidationError

from integrations.messages import Ack, Envelope, VersionError
from integrations.peers import PeerConfig
from integrations.signing import REPLAYED_HEADER, sign

RETRYABLE_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})
"""Statuses that say "not now" rather than "never"; other 5xx are retried too."""
DUPLICATE_HTTP = frozenset({409})
"""Some peers answer a repeated Idempotency-Key with 409 instead of replaying the ack."""


class SendStatus(StrEnum):
    delivered = "delivered"  # the peer has it for the first time
    duplicate = "duplicate"  # the peer already had it (an earlier try got through)
    retryable = "retryable"  # network trouble or a transient peer error: try again later
    rejected = "rejected"  # the peer refuses it (bad signature, invalid message): a person must look

    @property
    def done(self) -> bool:
        """The message needs no more tries."""
        return self in (SendStatus.delivered, SendStatus.duplicate)


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    http_status: int | None = None
    peer_id: str | None = None
    error: str | None = None
    ack: Ack | None = None
    retry_after: timedelta | None = None
    elapsed_ms: float = 0.0


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("Retry-After")
    if value and value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    return None


def _short(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:300] if text else response.reason_phrase


def classify(response: httpx.Response, peer: PeerConfig, envelope: Envelope) -> SendResult:
    """Turn the peer's answer into a ``SendResult`` (pure: no I/O, testable on a fake response)."""
    code = response.status_code
    if 200 <= code < 300:
        ack: Ack | None = None
        error: str | None = None
        try:
            ack = Ack.model_validate(peer.message_mapping.decode(json.loads(response.content)))
        except (ValueError, ValidationError, TypeError) as exc:
            # The peer took it (2xx) but its ack is unreadable: still delivered, but say so.
            error = f"unreadable ack: {str(exc)[:200]}"
        if ack is not None and ack.message_id != envelope.message_id:
            error = f"ack names message {ack.message_id}, not {envelope.message_id}"
        replayed = response.headers.get(REPLAYED_HEADER, "").lower() == "true"
        return SendResult(
            status=SendStatus.duplicate if replayed else SendStatus.delivered,
            http_status=code,
            peer_id=ack.peer_id if ack else None,
            error=error,
            ack=ack,
        )
    if code in DUPLICATE_HTTP:
        return SendResult(SendStatus.duplicate, code, error=_short(response))
    if code in RETRYABLE_HTTP or code >= 500:
        return SendResult(
            SendStatus.retryable, code, error=f"HTTP {code}: {_short(response)}",
            retry_after=_retry_after(response),
        )
    return SendResult(SendStatus.rejected, code, error=f"HTTP {code}: {_short(response)}")


def send(
    peer: PeerConfig,
    envelope: Envelope,
    *,
    client: httpx.Client,
    now: datetime | None = None,
) -> SendResult:
    """POST ``envelope`` to ``peer``, signed, with its ``message_id`` as the Idempotency-Key.

    ``client`` is passed in so the caller owns connection pooling (and tests can use a mock
    transport); timeouts come from the peer's config and override the client's.
    """
    try:
        body = peer.encode(envelope)
    except VersionError as exc:  # the peer's schema version has no such kind: never will
        return SendResult(SendStatus.rejected, error=f"not sent: {exc}")
    headers = sign(
        peer.signing_secret(),
        body,
        now or datetime.now(UTC),
        peer=envelope.sender,
        idempotency_key=str(envelope.message_id),
    )
    headers["Content-Type"] = "application/json; charset=utf-8"
    timeout = httpx.Timeout(peer.timeout_s, connect=peer.connect_timeout_s)
    started = time.perf_counter()

    def took() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    try:
        response = client.post(peer.url, content=body, headers=headers, timeout=timeout)
    except httpx.UnsupportedProtocol as exc:  # a configuration error: retrying will not help
        return SendResult(SendStatus.rejected, error=f"bad peer URL: {exc}", elapsed_ms=took())
    except httpx.TimeoutException as exc:
        return SendResult(
            SendStatus.retryable, error=f"timeout ({type(exc).__name__}): {exc}", elapsed_ms=took()
        )
    except httpx.TransportError as exc:
        return SendResult(
            SendStatus.retryable, error=f"network ({type(exc).__name__}): {exc}", elapsed_ms=took()
        )
    return replace(classify(response, peer, envelope), elapsed_ms=took())
