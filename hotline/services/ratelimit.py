"""Guessing a ticket's phone digits must not be a 10,000-try exercise (CQ §11 lookups, CQ §22).

Per process, in memory (sliding windows): each client address may make a limited number of
public lookups per window, and a ticket number is locked for an hour after repeated wrong digits.
A multi-process deployment gets the limit per worker, which is still far below brute force.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from hotline.services.errors import TooManyRequests

PER_CLIENT = (30, 600.0)  # lookups per 10 minutes per client address
FAILS_PER_NUMBER = (5, 3600.0)  # wrong digits per hour per ticket number


class PublicLookupLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, deque[float]] = defaultdict(deque)
        self._fails: dict[str, deque[float]] = defaultdict(deque)

    @staticmethod
    def _trim(q: deque[float], window: float, now: float) -> None:
        while q and q[0] <= now - window:
            q.popleft()

    def check(self, client: str, number: str) -> None:
        now = time.monotonic()
        with self._lock:
            q = self._clients[client]
            self._trim(q, PER_CLIENT[1], now)
            if len(q) >= PER_CLIENT[0]:
                raise TooManyRequests("查询次数过多，请 10 分钟后再试")
            q.append(now)
            f = self._fails[number]
            self._trim(f, FAILS_PER_NUMBER[1], now)
            if len(f) >= FAILS_PER_NUMBER[0]:
                raise TooManyRequests("该工单编号验证失败次数过多，已暂时锁定 1 小时")

    def failed(self, number: str) -> None:
        with self._lock:
            self._fails[number].append(time.monotonic())

    def reset(self) -> None:
        with self._lock:
            self._clients.clear()
            self._fails.clear()


limiter = PublicLookupLimiter()
