"""Finding 7: wrong digits lock the (number, client) pair with a growing back-off, so a stranger
guessing a (sequential, easy to find) ticket number cannot lock the real caller out."""

from __future__ import annotations

import pytest

from hotline.core.errors import TooManyRequests
from hotline.web import ratelimit
from hotline.web.ratelimit import MemoryWindows, PublicLookupLimiter
from tests.security.conftest import Api, MakeClient

PROXY = {"HOTLINE_TRUSTED_PROXIES": "10.0.0.1"}


def test_a_stranger_cannot_lock_the_caller_out(api: Api, make_client: MakeClient) -> None:
    number = api.create(caller_phone="13812345678")["number"]
    c = make_client(env=PROXY, peer=("10.0.0.1", 4000))
    stranger, caller = {"X-Forwarded-For": "203.0.113.66"}, {"X-Forwarded-For": "198.51.100.7"}
    url = f"/api/v1/public/tickets/{number}?phone_last4="
    codes = [c.get(url + f"{guess:04d}", headers=stranger).status_code for guess in range(10)]
    assert codes[:ratelimit.FREE_TRIES] == [404] * ratelimit.FREE_TRIES
    assert set(codes[ratelimit.FREE_TRIES:]) == {429}  # backed off, even with the right digits:
    assert c.get(url + "5678", headers=stranger).status_code == 429
    # …while the caller, from their own address, reads the progress at once.
    r = c.get(url + "5678", headers=caller)
    assert r.status_code == 200 and r.json()["number"] == number
    # The public page too.
    page = c.get(f"/progress?number={number}&last4=5678", headers=caller)
    assert page.status_code == 200 and number in page.text
    locked = c.get(f"/progress?number={number}&last4=5678", headers=stranger)
    assert locked.status_code == 429 and ratelimit.PAIR_LOCKED in locked.text


def test_a_distributed_guess_locks_the_number_only_beyond_the_ceiling(
        api: Api, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "FAILS_PER_NUMBER", (8, 86400.0))
    number = api.create()["number"]
    c = make_client(env=PROXY, peer=("10.0.0.1", 4000))
    url = f"/api/v1/public/tickets/{number}?phone_last4="
    for i in range(8):  # eight addresses, one wrong guess each
        assert c.get(url + "0000", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code == 404
    r = c.get(url + "5678", headers={"X-Forwarded-For": "198.51.100.7"})
    assert r.status_code == 429 and r.json()["detail"] == ratelimit.NUMBER_LOCKED


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _allowed(lim: PublicLookupLimiter, client: str, number: str = "N1") -> bool:
    try:
        lim.check(client, number)
    except TooManyRequests:
        return False
    return True


def test_the_back_off_doubles_and_is_capped() -> None:
    clock = Clock()
    lim = PublicLookupLimiter(MemoryWindows(clock))
    for _ in range(ratelimit.FREE_TRIES - 1):
        lim.failed("x", "N1")
        assert _allowed(lim, "x")  # a typo or two costs nothing
    lim.failed("x", "N1")
    waits = []
    for _ in range(4):
        start = clock.now
        assert not _allowed(lim, "x")
        clock.now = start + ratelimit.backoff(ratelimit.FREE_TRIES + len(waits)) - 1
        assert not _allowed(lim, "x")
        clock.now += 1
        assert _allowed(lim, "x")
        waits.append(clock.now - start)
        lim.failed("x", "N1")
    assert waits == [60.0, 120.0, 240.0, 480.0]
    assert ratelimit.backoff(20) == ratelimit.BACKOFF_CAP
    assert _allowed(lim, "y")  # another client, same number: untouched
