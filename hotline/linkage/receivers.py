"""The 110/119 bridge listening to the workflow: hand emergencies over, report progress back,
withdraw a matter the hotline took back (撤单), and pass on what a merged call added (补充信息)."""

from __future__ import annotations

from hotline.linkage.inbound import SYSTEM_USER
from hotline.linkage.outbound import hand_over, report_progress, supplement, with_peer, withdraw
from hotline.notifications.notify import notify_supervisors
from hotline.tickets.actions import Action
from hotline.tickets.models import Ticket, is_peer_channel
from hotline.tickets.payloads import BringInPeer, EmergencyHandover, Merge, Reclaim
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
    elif isinstance(done.payload, Reclaim) and done.actor.user.username != SYSTEM_USER:
        # The hotline takes back a matter the peer still has (the bridge's own reclaim follows
        # the peer's rejection: nothing to withdraw there).
        _withdraw(done, done.payload.reason)
    elif isinstance(done.payload, Merge):
        _supplement(done)
    if is_peer_channel(done.ticket.channel) and done.action is not Action.emergency_handover:
        report_progress(done.session, done.ticket, done.action, done.now, done.payload,
                        done.actor.user.full_name)


def _withdraw(done: ActionDone, reason: str) -> None:
    out = withdraw(done.session, done.ticket, reason, done.now)
    if out["cancelled"] or out["by_phone"]:
        done.note(withdrawn_from=out["cancelled"], withdraw_by_phone=out["by_phone"])
    if out["by_phone"]:  # a v1 peer has no 撤单 message: a person must tell it
        peers = "、".join(out["by_phone"])
        notify_supervisors(
            done.session, kind="linkage", ticket_id=done.ticket.id, now=done.now,
            title=f"【撤单需电话告知】工单 {done.ticket.number} 已撤回，{peers} 不支持电子撤单",
            body=f"对方平台的报文版本不含撤单，请电话告知 {peers} 该事项已由热线收回：{reason}")


def _supplement(done: ActionDone) -> None:
    """A duplicate call merged into a ticket a peer still works on: what this caller said is
    more information for that peer (补充信息)."""
    source = done.ticket
    target = done.session.get(Ticket, source.merged_into_id) if source.merged_into_id else None
    if target is None:
        return
    told = supplement(done.session, target, f"同一事项又有来电（工单 {source.number}）：{source.content}",
                      done.now, address=source.address)
    if told:
        done.note(supplemented_peers=told)


def connect() -> None:
    action_done.connect(on_action)
