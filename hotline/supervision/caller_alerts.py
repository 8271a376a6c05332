"""Supervision listening to caller messaging: a caller who could not be told by SMS (refused,
out of tries, or reported undelivered) is put before the hotline's supervisors, so that a person
tells them by phone (CQ §13(三): the caller must be told; CQ §16: the record says how)."""

from __future__ import annotations

from hotline.callers.messaging import OCCASION_LABELS, Undelivered, message_undelivered
from hotline.notifications.notify import notify_supervisors


def on_undelivered(event: Undelivered) -> None:
    t, m = event.ticket, event.message
    notify_supervisors(event.session, kind="caller_sms", ticket_id=t.id, now=event.now,
                       title=f"【短信告知失败】工单 {t.number} {OCCASION_LABELS[m.occasion]}未能送达来电人",
                       body=f"{event.why[:300]}；请电话告知来电人并记录。")


def connect() -> None:
    message_undelivered.connect(on_undelivered)
