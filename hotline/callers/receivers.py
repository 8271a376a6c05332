"""Caller messages listening to the workflow: an approved extension is told to the caller with
the new deadline (CQ §13(三))."""

from __future__ import annotations

from hotline.tickets.actions import Action, EventKind
from hotline.tickets.signals import ActionDone, action_done


def on_action(done: ActionDone) -> None:
    if done.action is Action.approve_extension:
        close = done.clocks.get("close")
        done.follow(EventKind.caller_notified, "延期情况告知来电人",
                    new_due_at=close.due.isoformat() if close else None,
                    extension_id=done.event.payload.get("extension_id"))


def connect() -> None:
    action_done.connect(on_action)
