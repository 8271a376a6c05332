"""The embedded mode's scheduler: without Redis, the periodic jobs run on a timer in the server.

Same job functions as `hotline cron`, so `make run` shows live warnings too. One daemon
thread; each job is idempotent, so overlapping with a restart or a second server is harmless.
"""

from __future__ import annotations

import logging
import threading
import time

from hotline.core.settings import get_settings
from hotline.workers.schedule import periodic

log = logging.getLogger("hotline.embedded")


class EmbeddedScheduler:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hotline-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        tick = 1  # how often the timer looks; each job keeps its own interval
        last: dict[int, float] = {}
        while not self._stop.is_set():
            now = time.monotonic()
            for i, (func, kwargs, interval) in enumerate(periodic()):
                if interval and now - last.get(i, -1e9) >= interval:
                    last[i] = now
                    try:
                        func(**kwargs)
                    except Exception:  # keep the timer alive; the next tick retries
                        log.exception("embedded job %s failed", func.__name__)
            self._stop.wait(tick)


def enabled() -> bool:
    s = get_settings()
    return s.embedded_jobs and not s.redis_url
