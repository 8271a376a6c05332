"""Guessing a ticket's phone digits must not be a 10,000-try exercise (CQ §11 lookups, CQ §22).

Each client address may make a limited number of public lookups per window; wrong digits back
off the (number, client) pair that made them, so a stranger cannot lock the real caller out; and
only a distributed guess (many clients, one number) locks the number itself. All are sliding
windows. The client address is the one ``hotline.web.security.TrustedProxies`` settled:
``X-Forwarded-For`` counts only from a configured proxy.

Where the windows live decides what the limit means. With Redis configured
(`HOTLINE_REDIS_URL`, i.e. every multi-process deployment) they live there, so the limit
holds across all API processes and hosts; one Lua script trims, counts and records
atomically, with Redis's own clock, so racing processes cannot both take the last slot.
In embedded mode there is one process and the windows live in its memory. If Redis cannot
be reached the limiter falls back to the process's memory and logs it: the limit then holds
per process (still far below brute force) rather than not at all, and the public page stays up.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError

from hotline.core.errors import TooManyRequests
from hotline.core.settings import get_settings

log = logging.getLogger(__name__)

PER_CLIENT = (30, 600.0)  # lookups per 10 minutes per client address
#: Wrong digits for one ticket number *from one client*: the first FREE_TRIES within the window
#: cost nothing, each further one doubles the wait before that client may try that number again
#: (BACKOFF_BASE, 2×, 4×… up to BACKOFF_CAP). Keyed by (number, client), so a stranger's guesses
#: lock the stranger, never the caller who knows the digits.
PAIR_WINDOW = 3600.0
FREE_TRIES = 3
BACKOFF_BASE = 60.0
BACKOFF_CAP = 3600.0
#: Wrong digits for one number from all clients together (a distributed guess from many
#: addresses, each staying under its own back-off). Only then is the number locked for everyone:
#: 50 guesses a day is a 0.5 % chance at four digits.
FAILS_PER_NUMBER = (50, 86400.0)
KEY_PREFIX = "hotline:ratelimit:"

CLIENT_LIMITED = "查询次数过多，请 10 分钟后再试"
PAIR_LOCKED = "该工单编号验证失败次数过多，请稍后再试（每次失败后等待时间加倍）"
NUMBER_LOCKED = "该工单编号验证失败次数过多，已暂时锁定，请致电 12345 查询"


def backoff(failures: int) -> float:
    """Seconds a client must wait after its `failures`-th wrong guess on one number."""
    if failures < FREE_TRIES:
        return 0.0
    return float(min(BACKOFF_BASE * 2 ** (failures - FREE_TRIES), BACKOFF_CAP))


class WindowStore(Protocol):
    def check(self, client: str, number: str) -> str | None:
        """Record one lookup by `client`; the refusal message, or None when allowed."""

    def failed(self, client: str, number: str) -> None: ...

    def reset(self) -> None: ...


class MemoryWindows:
    """One process's windows (embedded mode, and the fallback when Redis is away)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._clients: dict[str, deque[float]] = defaultdict(deque)
        self._pairs: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._fails: dict[str, deque[float]] = defaultdict(deque)

    @staticmethod
    def _trim(q: deque[float], window: float, now: float) -> None:
        while q and q[0] <= now - window:
            q.popleft()

    def check(self, client: str, number: str) -> str | None:
        now = self._clock()
        with self._lock:
            q = self._clients[client]
            self._trim(q, PER_CLIENT[1], now)
            if len(q) >= PER_CLIENT[0]:
                return CLIENT_LIMITED
            q.append(now)
            p = self._pairs[(number, client)]
            self._trim(p, PAIR_WINDOW, now)
            if p and now < p[-1] + backoff(len(p)):
                return PAIR_LOCKED
            f = self._fails[number]
            self._trim(f, FAILS_PER_NUMBER[1], now)
            if len(f) >= FAILS_PER_NUMBER[0]:
                return NUMBER_LOCKED
            return None

    def failed(self, client: str, number: str) -> None:
        now = self._clock()
        with self._lock:
            self._pairs[(number, client)].append(now)
            self._fails[number].append(now)

    def reset(self) -> None:
        with self._lock:
            self._clients.clear()
            self._pairs.clear()
            self._fails.clear()


# KEYS[1] client window, KEYS[2] this client's failures on the number, KEYS[3] the number's
# failures from everyone. ARGV: client limit, client window ms, free tries, back-off base ms,
# back-off cap ms, pair window ms, number limit, number window ms, a unique member.
# Returns 0 allowed, 1 client over its limit, 2 this client backed off, 3 number locked.
# Same order of checks as MemoryWindows.check.
_CHECK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 1 end
redis.call('ZADD', KEYS[1], now, ARGV[9])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[6]))
local n = redis.call('ZCARD', KEYS[2])
if n >= tonumber(ARGV[3]) then
  local last = tonumber(redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2])
  local wait = math.min(tonumber(ARGV[4]) * 2 ^ (n - tonumber(ARGV[3])), tonumber(ARGV[5]))
  if now < last + wait then return 2 end
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[8]))
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[7]) then return 3 end
return 0
"""
_FAILED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
"""


class RedisWindows:
    """Windows shared by every process that talks to the same Redis database."""

    def __init__(self, conn: Redis) -> None:
        self.conn = conn
        self._check = conn.register_script(_CHECK)
        self._failed = conn.register_script(_FAILED)

    def check(self, client: str, number: str) -> str | None:
        verdict = int(self._check(
            keys=[f"{KEY_PREFIX}client:{client}", f"{KEY_PREFIX}pair:{number}:{client}",
                  f"{KEY_PREFIX}fails:{number}"],
            args=[PER_CLIENT[0], int(PER_CLIENT[1] * 1000), FREE_TRIES,
                  int(BACKOFF_BASE * 1000), int(BACKOFF_CAP * 1000), int(PAIR_WINDOW * 1000),
                  FAILS_PER_NUMBER[0], int(FAILS_PER_NUMBER[1] * 1000), uuid.uuid4().hex],
        ))
        return {0: None, 1: CLIENT_LIMITED, 2: PAIR_LOCKED, 3: NUMBER_LOCKED}[verdict]

    def failed(self, client: str, number: str) -> None:
        self._failed(keys=[f"{KEY_PREFIX}pair:{number}:{client}", f"{KEY_PREFIX}fails:{number}"],
                     args=[int(PAIR_WINDOW * 1000), int(FAILS_PER_NUMBER[1] * 1000),
                           uuid.uuid4().hex])

    def reset(self) -> None:
        keys = list(self.conn.scan_iter(match=f"{KEY_PREFIX}*", count=500))
        if keys:
            self.conn.delete(*keys)


class PublicLookupLimiter:
    """The limiter the public endpoints call. Without an explicit store it follows the
    settings: Redis when `redis_url` is set, this process's memory otherwise."""

    def __init__(self, store: WindowStore | None = None) -> None:
        self._explicit = store
        self._memory = MemoryWindows()
        self._redis: dict[str, RedisWindows] = {}
        self._lock = threading.Lock()

    def _store(self) -> WindowStore:
        if self._explicit is not None:
            return self._explicit
        url = get_settings().redis_url
        if not url:
            return self._memory
        with self._lock:
            if url not in self._redis:
                # Short timeouts, unlike the workers' connection (workers.queue): this runs
                # inside a public request, and a hung Redis must not hang the page.
                conn = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
                self._redis[url] = RedisWindows(conn)
            return self._redis[url]

    def _call(self, method: str, *args: str) -> str | None:
        store = self._store()
        try:
            return getattr(store, method)(*args)
        except RedisError as exc:
            log.warning("rate limiter: Redis unavailable (%s); limiting per process", exc)
            return getattr(self._memory, method)(*args)

    def check(self, client: str, number: str) -> None:
        refusal = self._call("check", client, number)
        if refusal is not None:
            raise TooManyRequests(refusal)

    def failed(self, client: str, number: str) -> None:
        self._call("failed", client, number)

    def reset(self) -> None:
        self._memory.reset()
        stores: list[WindowStore] = [*self._redis.values()]
        if self._explicit is not None:
            stores.append(self._explicit)
        for store in stores:
            try:
                store.reset()
            except RedisError as exc:
                log.warning("rate limiter: could not clear Redis windows (%s)", exc)


limiter = PublicLookupLimiter()
