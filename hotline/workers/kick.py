"""Kicks: run a job now instead of at its next timer tick (an emergency hand-over should reach
110 in a second, not ten). With Redis the job is enqueued for a worker; in the embedded mode it
runs on a short-lived thread of the server. Either way the timer still runs it later, so a kick
that fails loses nothing."""

from __future__ import annotations

import threading

from hotline.core.settings import get_settings
from hotline.workers.jobs import relay_outbox, send_caller_messages
from hotline.workers.queue import queue


def relay_soon(peer: str = "") -> None:
    settings = get_settings()
    if settings.redis_url:
        queue().enqueue(relay_outbox)
    elif settings.embedded_jobs:
        threading.Thread(target=relay_outbox, name=f"relay-kick-{peer}", daemon=True).start()


def sms_soon(occasion: str = "") -> None:
    """Send queued caller messages now (the registration SMS should not wait for the timer)."""
    settings = get_settings()
    if not settings.sms_gateway_url:
        return  # nothing can be sent; the messages wait on their tickets
    if settings.redis_url:
        queue().enqueue(send_caller_messages)
    elif settings.embedded_jobs:
        threading.Thread(target=send_caller_messages, name=f"sms-kick-{occasion}", daemon=True).start()
