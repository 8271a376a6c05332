"""Kicks: run a job now instead of at its next timer tick (an emergency hand-over should reach
110 in a second, not ten). With Redis the job is enqueued for a worker; in the embedded mode it
runs on a short-lived thread of the server. Either way the timer still runs it later, so a kick
that fails loses nothing."""

from __future__ import annotations

import threading

from hotline.core.settings import get_settings
from hotline.workers.jobs import relay_outbox
from hotline.workers.queue import queue


def relay_soon(peer: str = "") -> None:
    settings = get_settings()
    if settings.redis_url:
        queue().enqueue(relay_outbox)
    elif settings.embedded_jobs:
        threading.Thread(target=relay_outbox, name=f"relay-kick-{peer}", daemon=True).start()
