"""The public lookup limit holds across processes when Redis is configured (CQ §11, §22).

Two limiter instances stand for two API processes; one test uses a real second OS process.
All against the real Redis of this xdist worker; the fallback test points at a closed port.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from redis import Redis

from hotline.core import settings
from hotline.core.errors import TooManyRequests
from hotline.web import ratelimit
from hotline.web.ratelimit import PublicLookupLimiter, RedisWindows

NUMBER = "20261121-000001"


@pytest.fixture
def conn(redis_url: str) -> Iterator[Redis]:
    c = Redis.from_url(redis_url)
    yield c
    c.close()


def _allowed(limiter: PublicLookupLimiter, client: str, number: str = NUMBER) -> bool:
    try:
        limiter.check(client, number)
    except TooManyRequests:
        return False
    return True


def test_client_window_is_shared_by_processes(conn: Redis) -> None:
    a, b = PublicLookupLimiter(RedisWindows(conn)), PublicLookupLimiter(RedisWindows(conn))
    limit = ratelimit.PER_CLIENT[0]
    results = [_allowed(a if i % 2 else b, "203.0.113.7", f"N{i}") for i in range(limit)]
    assert all(results)
    assert not _allowed(a, "203.0.113.7", "other")
    assert not _allowed(b, "203.0.113.7", "other")
    assert _allowed(a, "198.51.100.1", "other")  # another caller is not affected


def test_wrong_digits_back_off_that_client_in_every_process(conn: Redis) -> None:
    """Wrong digits lock the (number, client) pair that made them, across processes; the caller
    on another address still gets in (issue 15, finding 7)."""
    a, b = PublicLookupLimiter(RedisWindows(conn)), PublicLookupLimiter(RedisWindows(conn))
    for i in range(ratelimit.FREE_TRIES):
        (a if i % 2 else b).failed("203.0.113.66", NUMBER)
    with pytest.raises(TooManyRequests) as exc:
        b.check("203.0.113.66", NUMBER)
    assert exc.value.detail == ratelimit.PAIR_LOCKED
    assert _allowed(a, "198.51.100.9", NUMBER)  # the real caller is not locked out
    assert _allowed(b, "203.0.113.66", "20261121-000002")  # nor is another number


def test_a_distributed_guess_locks_the_number_for_every_process(conn: Redis) -> None:
    a, b = PublicLookupLimiter(RedisWindows(conn)), PublicLookupLimiter(RedisWindows(conn))
    for i in range(ratelimit.FAILS_PER_NUMBER[0]):
        (a if i % 2 else b).failed(f"10.9.{i // 250}.{i % 250}", NUMBER)
    with pytest.raises(TooManyRequests) as exc:
        b.check("198.51.100.9", NUMBER)
    assert exc.value.detail == ratelimit.NUMBER_LOCKED
    assert _allowed(b, "198.51.100.9", "20261121-000002")


def test_failures_recorded_by_another_os_process_lock_here(redis_url: str, conn: Redis) -> None:
    code = (
        "import sys\n"
        "from redis import Redis\n"
        "from hotline.web.ratelimit import PublicLookupLimiter, RedisWindows\n"
        "lim = PublicLookupLimiter(RedisWindows(Redis.from_url(sys.argv[1])))\n"
        "for _ in range(5):\n"
        "    lim.failed('192.0.2.1', sys.argv[2])\n"
    )
    subprocess.run([sys.executable, "-c", code, redis_url, NUMBER], check=True, timeout=60)
    here = PublicLookupLimiter(RedisWindows(conn))
    assert not _allowed(here, "192.0.2.1")


def test_racing_processes_never_exceed_the_limit(redis_url: str) -> None:
    """Four limiters with their own connections, 80 lookups at once: exactly the limit pass,
    because one script trims, counts and records with nothing in between."""
    limiters = [PublicLookupLimiter(RedisWindows(Redis.from_url(redis_url))) for _ in range(4)]
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer(lim: PublicLookupLimiter) -> None:
        for i in range(20):
            ok = _allowed(lim, "203.0.113.50", f"N{i}")
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=hammer, args=(lim,)) for lim in limiters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 80
    assert sum(allowed) == ratelimit.PER_CLIENT[0]


def test_window_slides(conn: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "PER_CLIENT", (2, 0.3))
    lim = PublicLookupLimiter(RedisWindows(conn))
    assert _allowed(lim, "c") and _allowed(lim, "c")
    assert not _allowed(lim, "c")
    time.sleep(0.35)
    assert _allowed(lim, "c")
    ttl = conn.pttl(f"{ratelimit.KEY_PREFIX}client:c")
    assert 0 < ttl <= 300  # keys expire with their window: nothing piles up in Redis


def test_settings_choose_redis(redis_url: str, conn: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_REDIS_URL", redis_url)
    settings.get_settings.cache_clear()
    try:
        lim = PublicLookupLimiter()
        lim.failed("c", NUMBER)
        assert conn.zcard(f"{ratelimit.KEY_PREFIX}fails:{NUMBER}") == 1
        lim.reset()
        assert not list(conn.scan_iter(match=f"{ratelimit.KEY_PREFIX}*"))
    finally:
        monkeypatch.delenv("HOTLINE_REDIS_URL")
        settings.get_settings.cache_clear()


def test_without_redis_settings_the_limit_is_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_REDIS_URL", raising=False)
    settings.get_settings.cache_clear()
    lim = PublicLookupLimiter()
    for _ in range(ratelimit.FREE_TRIES):
        lim.failed("c", NUMBER)
    assert not _allowed(lim, "c")
    assert _allowed(PublicLookupLimiter(), "c")  # another process knows nothing of it


def test_unreachable_redis_falls_back_to_process_limits(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HOTLINE_REDIS_URL", "redis://127.0.0.1:1/0")
    settings.get_settings.cache_clear()
    try:
        lim = PublicLookupLimiter()
        with caplog.at_level(logging.WARNING, logger="hotline.web.ratelimit"):
            for _ in range(ratelimit.FREE_TRIES):
                lim.failed("c", NUMBER)
            assert not _allowed(lim, "c")  # still limited, in this process's memory
        assert "Redis unavailable" in caplog.text
    finally:
        monkeypatch.delenv("HOTLINE_REDIS_URL")
        settings.get_settings.cache_clear()

