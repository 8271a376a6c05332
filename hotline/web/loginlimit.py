"""Password guessing is limited per account and per client, across every API process.

Issue 15 §4: thirty wrong passwords followed by the right one succeeded. Now:

- **per client** (address): after ``login_failures_per_client`` wrong passwords within the
  window that address is refused — one machine cannot try many accounts (right passwords do not
  count: a call centre's agents signing in behind one NAT address at shift start are not held);
- **per username**: after ``login_failures_per_user`` wrong passwords within the window the
  account refuses every sign-in (the right password too) until the window slides — many machines
  cannot share the guessing of one account. The cost, that a stranger can hold one account's
  sign-in closed for a window, is bounded by the window and audited.

Shared like the public lookup's windows (``hotline.web.ratelimit``, same design and the same
Redis): with ``HOTLINE_REDIS_URL`` the windows live in Redis, one Lua script per step, on
Redis's clock, so N processes do not mean N times the limit; without Redis (embedded mode, one
process) or when Redis is away they live in this process's memory and the fall back is logged.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

from hotline.core.settings import get_settings

log = logging.getLogger(__name__)

KEY_PREFIX = "hotline:login:"
CLIENT_LIMITED = "登录尝试过于频繁，请稍后再试"
USER_LOCKED = "该账号连续登录失败次数过多，已暂时锁定，请稍后再试或联系管理员"

# KEYS[1] the client's window, KEYS[2] the account's; ARGV: client limit, account limit, window
# ms, a unique member. Trims both; 1 when the client's is full, 2 when the account's is; else
# records the attempt in both (as a failure until ``_FORGET`` takes it back) and answers 0.
# Check and record are one step, so racing processes cannot all slip past the last slot.
_BEGIN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 2 end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 0
"""
_FORGET = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""
_VERDICT = {0: None, 1: CLIENT_LIMITED, 2: USER_LOCKED}


def _keys(client: str, username: str) -> tuple[str, str]:
    # Hashed: a username is whatever a stranger typed, of any length.
    user = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}client:{client[:64]}", f"{KEY_PREFIX}user:{user}"


class _Memory:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[tuple[float, str]]] = defaultdict(deque)

    def begin(self, keys: tuple[str, str], limits: tuple[int, int], window: float,
              member: str) -> int:
        now = time.monotonic()
        with self._lock:
            queues = [self._windows[k] for k in keys]
            for q in queues:
                while q and q[0][0] <= now - window:
                    q.popleft()
            for verdict, (q, limit) in enumerate(zip(queues, limits, strict=True), start=1):
                if len(q) >= limit:
                    return verdict
            for q in queues:
                q.append((now, member))
            return 0

    def forget(self, keys: tuple[str, str], member: str) -> None:
        with self._lock:
            for k in keys:
                q = self._windows[k]
                for item in [i for i in q if i[1] == member]:
                    q.remove(item)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


class _Redis:
    def __init__(self, conn: Redis) -> None:
        self.conn = conn
        self._begin = conn.register_script(_BEGIN)
        self._forget = conn.register_script(_FORGET)

    def begin(self, keys: tuple[str, str], limits: tuple[int, int], window: float,
              member: str) -> int:
        return int(self._begin(keys=list(keys), args=[*limits, int(window * 1000), member]))

    def forget(self, keys: tuple[str, str], member: str) -> None:
        self._forget(keys=list(keys), args=[member])

    def reset(self) -> None:
        keys = list(self.conn.scan_iter(match=f"{KEY_PREFIX}*", count=500))
        if keys:
            self.conn.delete(*keys)


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt, counted as a failure until ``LoginLimiter.succeeded`` takes it back."""

    keys: tuple[str, str]
    member: str
    refusal: str | None


class LoginLimiter:
    """``begin`` before verifying a password (its ``refusal`` is set when a window is full),
    ``succeeded`` after a right one. Redis when ``redis_url`` is set, this process's memory
    otherwise or when Redis is away."""

    def __init__(self) -> None:
        self._memory = _Memory()
        self._redis: dict[str, _Redis] = {}
        self._lock = threading.Lock()

    def _store(self) -> _Memory | _Redis:
        url = get_settings().redis_url
        if not url:
            return self._memory
        with self._lock:
            if url not in self._redis:
                # Short timeouts: this runs inside the sign-in request.
                conn = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
                self._redis[url] = _Redis(conn)
            return self._redis[url]

    def begin(self, client: str, username: str) -> Attempt:
        s = get_settings()
        keys = _keys(client, username)
        limits = (s.login_failures_per_client, s.login_failures_per_user)
        member = uuid.uuid4().hex
        window = float(s.login_window_seconds)
        try:
            verdict = self._store().begin(keys, limits, window, member)
        except RedisError as exc:
            log.warning("login limiter: Redis unavailable (%s); limiting per process", exc)
            verdict = self._memory.begin(keys, limits, window, member)
        return Attempt(keys, member, _VERDICT[verdict])

    def succeeded(self, attempt: Attempt) -> None:
        try:
            self._store().forget(attempt.keys, attempt.member)
        except RedisError as exc:
            log.warning("login limiter: Redis unavailable (%s)", exc)
        self._memory.forget(attempt.keys, attempt.member)

    def reset(self) -> None:
        self._memory.reset()
        for store in self._redis.values():
            try:
                store.reset()
            except RedisError as exc:
                log.warning("login limiter: could not clear Redis windows (%s)", exc)


login_limiter = LoginLimiter()
