"""HMAC signing: good, tampered, wrong secret, stale, future, missing and malformed headers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrations import (
    IDEMPOTENCY_HEADER,
    PEER_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BadSignatureError,
    FutureTimestampError,
    MalformedHeaderError,
    MissingHeaderError,
    StaleTimestampError,
    TimestampError,
    sign,
    verify,
)
from integrations.signing import signature
from tests.integrations.conftest import T0

SECRET = "a-shared-secret"
BODY = '{"kind":"ticket_transfer","content":"有人打架"}'.encode()


def test_good_signature_verifies_and_reports_the_headers() -> None:
    headers = sign(SECRET, BODY, T0, peer="12345", idempotency_key="abc")
    assert set(headers) == {TIMESTAMP_HEADER, SIGNATURE_HEADER, PEER_HEADER, IDEMPOTENCY_HEADER}
    verified = verify(SECRET, headers, BODY, T0)
    assert verified.peer == "12345" and verified.idempotency_key == "abc" and verified.timestamp == T0


def test_signature_is_hmac_sha256_of_timestamp_newline_body() -> None:
    import hashlib
    import hmac

    ts = str(int(T0.timestamp()))
    expected = hmac.new(SECRET.encode(), ts.encode() + b"\n" + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, T0)[SIGNATURE_HEADER] == expected == signature(SECRET, BODY, int(ts))


def test_header_names_are_case_insensitive_on_plain_dicts() -> None:
    headers = {k.lower(): v for k, v in sign(SECRET, BODY, T0).items()}
    verify(SECRET, headers, BODY, T0)


def test_tampered_body_fails() -> None:
    headers = sign(SECRET, BODY, T0)
    with pytest.raises(BadSignatureError):
        verify(SECRET, headers, BODY.replace("打架".encode(), "吵架".encode()), T0)


def test_wrong_secret_fails_and_rotation_accepts_either() -> None:
    headers = sign(SECRET, BODY, T0)
    with pytest.raises(BadSignatureError):
        verify("another-secret", headers, BODY, T0)
    verify(["new-secret", SECRET], headers, BODY, T0)


def test_changed_timestamp_fails_even_within_tolerance() -> None:
    headers = sign(SECRET, BODY, T0)
    headers[TIMESTAMP_HEADER] = str(int(T0.timestamp()) + 1)
    with pytest.raises(BadSignatureError):
        verify(SECRET, headers, BODY, T0)


@pytest.mark.parametrize("skew", [timedelta(minutes=-4, seconds=-59), timedelta(0), timedelta(minutes=5)])
def test_timestamps_within_five_minutes_pass(skew: timedelta) -> None:
    verify(SECRET, sign(SECRET, BODY, T0 + skew), BODY, T0)


def test_stale_timestamp_fails() -> None:
    headers = sign(SECRET, BODY, T0 - timedelta(minutes=5, seconds=1))
    with pytest.raises(StaleTimestampError):
        verify(SECRET, headers, BODY, T0)


def test_future_timestamp_fails() -> None:
    headers = sign(SECRET, BODY, T0 + timedelta(minutes=5, seconds=1))
    with pytest.raises(FutureTimestampError) as exc:
        verify(SECRET, headers, BODY, T0)
    assert isinstance(exc.value, TimestampError)


def test_tolerance_is_configurable() -> None:
    headers = sign(SECRET, BODY, T0 - timedelta(seconds=61))
    with pytest.raises(StaleTimestampError):
        verify(SECRET, headers, BODY, T0, tolerance=timedelta(seconds=60))


@pytest.mark.parametrize("missing", [TIMESTAMP_HEADER, SIGNATURE_HEADER])
def test_missing_header_is_named(missing: str) -> None:
    headers = sign(SECRET, BODY, T0)
    del headers[missing]
    with pytest.raises(MissingHeaderError) as exc:
        verify(SECRET, headers, BODY, T0)
    assert exc.value.header == missing


def test_malformed_timestamp_and_signature() -> None:
    headers = {**sign(SECRET, BODY, T0), TIMESTAMP_HEADER: "yesterday"}
    with pytest.raises(MalformedHeaderError):
        verify(SECRET, headers, BODY, T0)
    headers = {**sign(SECRET, BODY, T0), SIGNATURE_HEADER: "zz"}
    with pytest.raises(BadSignatureError):
        verify(SECRET, headers, BODY, T0)


def test_naive_datetimes_and_empty_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        sign(SECRET, BODY, T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="empty"):
        sign("", BODY, T0)
