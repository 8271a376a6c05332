"""Connects the features' receivers to the hook points of the features below them.

The workflow core sends ``action_done`` without knowing who listens; the 110 bridge sends
``delivery_due`` without knowing who relays. Every process that runs commands or jobs (the API
server, ``hotline worker``, ``hotline seed-demo``, the tests) calls ``install()`` once at start;
it is idempotent. ``hotline cron`` only enqueues jobs and needs none.
"""

from __future__ import annotations

from hotline.callers import receivers as caller_receivers
from hotline.callers.messaging import message_due
from hotline.core.signals import mark_installed
from hotline.linkage import receivers as linkage_receivers
from hotline.linkage.outbound import delivery_due
from hotline.supervision import caller_alerts
from hotline.supervision import receivers as supervision_receivers
from hotline.workers.kick import relay_soon, sms_soon


def install() -> None:
    linkage_receivers.connect()
    supervision_receivers.connect()
    caller_receivers.connect()
    delivery_due.connect(relay_soon)
    message_due.connect(sms_soon)
    caller_alerts.connect()
    mark_installed()
