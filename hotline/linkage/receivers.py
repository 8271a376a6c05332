"""The 110/119 bridge listening to the workflow: hand emergencies over, report progress back."""

from __future__ import annotations

from hotline.linkage.outbound import hand_over, report_progress, with_peer
from hotline.notifications.notify import notify_supervisors
from hotline.tickets.actions import Action
from hotline.tickets.models import is_peer_channel
from hotline.tickets.payloads import BringInPeer, EmergencyHandover
from hotline.tickets.signals import ActionDone, action_done


def on_action(done: ActionDone) -> None:
    if isinstance(done.payload, BringInPeer) and with_peer(done.session, done.ticket,
                                                           done.payload.service):
        # The unit asks again while the peer is still on it: recorded, nothing sent twice.
        done.note(queued_to_peer=False, already_with_peer=True)
    elif isinstance(done.payload, EmergencyHandover | BringInPeer):
        # SH 二(一)2: the matter goes to the peer platform through the outbox, in this transaction.
        sent = hand_over(done.session, done.ticket, done.payload.service, done.payload.reason,
                         done.now)
        done.note(queued_to_peer=sent)
        if not sent:  # not silently: no peer is configured, so nothing reaches it electronically
            notify_supervisors(
                done.session, kind="linkage", ticket_id=done.ticket.id, now=done.now,
                title=f"【未联动】工单 {done.ticket.number} 未能电子移交 {done.payload.service}",
                body=(f"未配置对接平台 {done.payload.service}（HOTLINE_PEERS_FILE），"
                      "已按电话移交处理，请核实对方已接警。"))
    if is_peer_channel(done.ticket.channel) and done.action is not Action.emergency_handover:
        report_progress(done.session, done.ticket, done.action, done.now)


def connect() -> None:
    action_done.connect(on_action)
