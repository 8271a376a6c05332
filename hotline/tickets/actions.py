"""The vocabulary of a ticket's history: the actions people take, and the events the system writes.

``Action`` is the one enum of workflow actions; every per-action fact lives on its entry in the
workflow table (``hotline.tickets.workflow``) or in a side table a test checks against it.
``EventKind`` names the history rows that are not a person's action. Both are labelled here, so
no raw code reaches a page (CQ §16: the record is read by people).
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    answer_directly = "answer_directly"
    warm_transfer = "warm_transfer"
    not_accept = "not_accept"
    emergency_handover = "emergency_handover"
    dispatch = "dispatch"
    sign = "sign"
    forward = "forward"
    return_ = "return"
    reject_return = "reject_return"
    request_extension = "request_extension"
    approve_extension = "approve_extension"
    deny_extension = "deny_extension"
    co_input = "co_input"
    reply = "reply"
    visit = "visit"
    rework = "rework"
    explain_close = "explain_close"
    close = "close"
    close_without_visit = "close_without_visit"
    supervise = "supervise"
    answer_supervision = "answer_supervision"
    merge = "merge"
    reclaim = "reclaim"
    archive = "archive"
    bring_in_peer = "bring_in_peer"
    # i14b: CQ §14 failed visit attempts, §13(二) co-unit sign-for, §6 parent review of replies.
    visit_attempt = "visit_attempt"
    co_sign = "co_sign"
    submit_reply = "submit_reply"
    review_reply = "review_reply"


class EventKind(StrEnum):
    """History rows written by the system rather than by a person's action."""

    register = "register"  # the request was registered (CQ §11)
    caller_notified = "caller_notified"  # the caller was told (CQ §13(三))
    merge_in = "merge_in"  # a duplicate was merged into this ticket
    peer_ack = "peer_ack"  # the peer platform acknowledged our hand-over
    peer_feedback = "peer_feedback"  # the peer reported progress on it
    peer_record = "peer_record"  # every field of the matter as the peer sent it
    auto_reminder = "auto_reminder"  # 催办 by the SLA scan
    auto_supervision = "auto_supervision"  # 督办 by the SLA scan
    auto_escalation = "auto_escalation"  # 升级督办 by the SLA scan
    auto_rework = "auto_rework"  # 多次重办督办 by the SLA scan
    caller_not_notified = "caller_not_notified"  # no SMS could reach the caller (and why)
    merged_visit = "merged_visit"  # a merged caller visited with the ticket they follow (并单)


EVENT_LABELS: dict[str, str] = {
    EventKind.register: "登记",
    EventKind.caller_notified: "告知来电人",
    EventKind.merge_in: "合并来电",
    EventKind.peer_ack: "对方平台已接收",
    EventKind.peer_feedback: "对方平台反馈",
    EventKind.peer_record: "对方平台原始记录",
    EventKind.auto_reminder: "系统催办",
    EventKind.auto_supervision: "系统督办",
    EventKind.auto_escalation: "升级督办",
    EventKind.auto_rework: "多次重办督办",
    EventKind.caller_not_notified: "未能短信告知来电人",
    EventKind.merged_visit: "并单回访",
}
