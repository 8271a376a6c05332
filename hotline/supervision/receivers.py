"""Supervision listening to the workflow: emergencies reported to the supervisors (CQ §10), and
a ticket reworked too often handed to the next SLA scan for escalation (CQ §14, §15)."""

from __future__ import annotations

from hotline.core.settings import get_settings
from hotline.notifications.notify import notify_supervisors
from hotline.tickets.actions import Action
from hotline.tickets.payloads import BringInPeer, Dispatch, EmergencyHandover
from hotline.tickets.signals import ActionDone, action_done


def on_action(done: ActionDone) -> None:
    if isinstance(done.payload, EmergencyHandover | BringInPeer):
        t, p = done.ticket, done.payload
        by = "" if isinstance(p, EmergencyHandover) else f"（{done.actor.unit.name}办理中联动）"
        notify_supervisors(done.session, kind="emergency", ticket_id=t.id, now=done.now,
                           title=f"【应急移交】工单 {t.number} 已移交 {p.service}{by}",
                           body=f"{done.actor.user.full_name}：{p.reason}（CQ §10 向热线主管报告）")
        done.note(reported_to_supervisors=True)
    elif isinstance(done.payload, Dispatch) and "emergency_override" in done.event.payload:
        t, override = done.ticket, done.event.payload["emergency_override"]
        notify_supervisors(done.session, kind="em_override", ticket_id=t.id, now=done.now,
                           title=f"【紧急事项仍派发】工单 {t.number} 未移交 {override['service']}",
                           body=f"{done.actor.user.full_name}：{override['reason']}"
                                f"（系统判定：{'、'.join(override['triggers']) or '紧急'}；CQ §10）")
        done.note(reported_to_supervisors=True)
    elif done.action is Action.rework and \
            done.ticket.rework_count >= get_settings().rework_escalation_count:
        done.ticket.scan_next_at = done.now  # the next scan escalates the supervision


def connect() -> None:
    action_done.connect(on_action)
