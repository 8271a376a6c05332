"""Caller messages listening to the workflow: the caller is told the ticket number at
registration (CQ §11), the new deadline and the progress so far on an approved extension
(CQ §13(三)), the answer at reply, and the ticket it now follows at a merge (并单). Merged
callers hear the reply of the ticket they were merged into.

Each receiver only queues a ``CallerMessage`` in the command's transaction; ``caller_notified``
is written later, by the outbox, when the gateway has accepted the message.
"""

from __future__ import annotations

from typing import Any

from hotline.callers.messaging import deadline_text, merged_into, progress_text, queue
from hotline.callers.models import Occasion
from hotline.core.settings import get_settings
from hotline.tickets.actions import Action, EventKind
from hotline.tickets.models import ExtensionRequest, Ticket
from hotline.tickets.signals import ActionDone, Registered, action_done, registered
from hotline.units.models import Unit


def on_registered(done: Registered) -> None:
    queue(done.session, done.ticket, Occasion.registered,
          {"number": done.ticket.number, "lookup": get_settings().public_lookup_hint}, done.now)


def on_action(done: ActionDone) -> None:
    s, t = done.session, done.ticket

    def follow(reason: str, facts: dict[str, Any]) -> None:
        done.follow(EventKind.caller_not_notified, reason, **facts)

    if done.action is Action.approve_extension:
        close = done.clocks.get("close")
        req_id = done.event.payload.get("extension_id")
        req = s.get(ExtensionRequest, req_id) if req_id else None
        due = close.due if close else None
        message_id = queue(s, t, Occasion.extended, {
            "number": t.number, "deadline": deadline_text(due) if due else "另行告知",
            "progress": progress_text(s, t, req.reason if req else None)}, done.now, follow=follow)
        done.note(caller_message_id=message_id)
    elif done.action is Action.reply:
        unit = s.get(Unit, t.holder_unit_id) if t.holder_unit_id else None
        lookup = get_settings().public_lookup_hint
        for ticket in (t, *merged_into(s, t)):
            queue(s, ticket, Occasion.replied, {
                "number": ticket.number, "unit": unit.name if unit else "承办单位",
                "reply": t.reply_content or "已答复", "lookup": lookup}, done.now,
                  follow=follow if ticket is t else None)
    elif done.action is Action.merge and t.merged_into_id is not None:
        target = s.get(Ticket, t.merged_into_id)
        assert target is not None
        queue(s, t, Occasion.merged, {"number": t.number, "target": target.number}, done.now,
              follow=follow)


def connect() -> None:
    registered.connect(on_registered)
    action_done.connect(on_action)
