"""HMAC-SHA256 request signing between 12345 and its peers.

SH 二(二)2 asks for data exchange "在确保安全的前提下": a peer must be able to prove a message
came from us and was not altered or replayed. The signature covers ``timestamp + "\\n" +
body`` so a captured request cannot be replayed after the tolerance window, and the body is
signed byte for byte (no re-serialisation, which would make signatures depend on JSON
formatting).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"
PEER_HEADER = "X-Hotline-Peer"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
"""Set to ``true`` on the answer to a duplicate delivery (the ack is the same as the first)."""

DEFAULT_TOLERANCE = timedelta(seconds=300)

Secret = str | bytes


class SignatureError(Exception):
    """A request whose origin cannot be trusted; answer 401 and do not process it."""


class MissingHeaderError(SignatureError):
    def __init__(self, header: str) -> None:
        super().__init__(f"missing header {header}")
        self.header = header


class MalformedHeaderError(SignatureError):
    def __init__(self, header: str, value: str) -> None:
        super().__init__(f"malformed header {header}: {value[:40]!r}")
        self.header = header


class BadSignatureError(SignatureError):
    def __init__(self) -> None:
        super().__init__("signature does not match the body and timestamp")


class TimestampError(SignatureError):
    """The timestamp is outside the tolerance window (replay protection)."""


class StaleTimestampError(TimestampError):
    pass


class FutureTimestampError(TimestampError):
    pass


def _key(secret: Secret) -> bytes:
    if not secret:
        raise ValueError("empty signing secret")
    return secret.encode() if isinstance(secret, str) else secret


def _epoch(value: datetime | int | float) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        return int(value.timestamp())
    return int(value)


def signature(secret: Secret, body: bytes, timestamp: datetime | int | float) -> str:
    """The hex HMAC-SHA256 of ``str(epoch seconds) + "\\n" + body``."""
    message = str(_epoch(timestamp)).encode() + b"\n" + body
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def sign(
    secret: Secret,
    body: bytes,
    timestamp: datetime | int | float,
    *,
    peer: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, str]:
    """The headers to send with ``body``; adds the peer and idempotency headers when given."""
    headers = {
        TIMESTAMP_HEADER: str(_epoch(timestamp)),
        SIGNATURE_HEADER: signature(secret, body, timestamp),
    }
    if peer is not None:
        headers[PEER_HEADER] = peer
    if idempotency_key is not None:
        headers[IDEMPOTENCY_HEADER] = idempotency_key
    return headers


@dataclass(frozen=True)
class Verified:
    """What a verified request told us about itself."""

    timestamp: datetime
    peer: str | None
    idempotency_key: str | None


def _get(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup that works for plain dicts as well as httpx/starlette headers."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def verify(
    secret: Secret | Sequence[Secret],
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> Verified:
    """Check the signature headers of a request; raise a ``SignatureError`` subclass if not good.

    ``secret`` may be a list so that a peer can rotate secrets without downtime (old and new
    both verify during the switch). The timestamp is checked before the HMAC is computed, but
    the comparison itself is constant-time (``hmac.compare_digest``) so timing reveals nothing
    about the expected signature.
    """
    ts_raw = _get(headers, TIMESTAMP_HEADER)
    if ts_raw is None:
        raise MissingHeaderError(TIMESTAMP_HEADER)
    sig = _get(headers, SIGNATURE_HEADER)
    if sig is None:
        raise MissingHeaderError(SIGNATURE_HEADER)
    try:
        ts = int(ts_raw.strip())
    except ValueError:
        raise MalformedHeaderError(TIMESTAMP_HEADER, ts_raw) from None
    skew = ts - _epoch(now)
    if skew > tolerance.total_seconds():
        raise FutureTimestampError(f"timestamp {skew}s in the future (tolerance {tolerance})")
    if -skew > tolerance.total_seconds():
        raise StaleTimestampError(f"timestamp {-skew}s old (tolerance {tolerance})")
    secrets = [secret] if isinstance(secret, str | bytes) else list(secret)
    if not secrets:
        raise ValueError("no verification secret")
    given = sig.strip().lower().encode()
    # Check every secret (no early exit) so the time taken does not say which one matched.
    matched = False
    for candidate in secrets:
        expected = signature(candidate, body, ts).encode()
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise BadSignatureError()
    return Verified(
        timestamp=datetime.fromtimestamp(ts, UTC),
        peer=_get(headers, PEER_HEADER),
        idempotency_key=_get(headers, IDEMPOTENCY_HEADER),
    )
