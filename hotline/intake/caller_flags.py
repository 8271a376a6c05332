"""CQ §26: callers who abuse the hotline — flagged with reason and evidence, approved by a
supervisor, expiring, shown to the agent at intake, every step audited.

A flag only **warns**. It never refuses a registration, a dispatch or an emergency hand-over:
the hotline still answers every call, and a flagged caller's emergency is handed over like any
other (CQ §10). What happens to abuse beyond that is for the police (CQ §26's last sentence).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from hotline.core.errors import Conflict, Invalid, NotFound
from hotline.core.settings import get_settings
from hotline.core.times import as_utc
from hotline.intake.models import CallerFlag, CallerFlagEvent
from hotline.units.actor import Actor


class FlagReason(StrEnum):
    """The conduct CQ §26 names."""

    malicious_repeat = "malicious_repeat"  # 恶意反复使用
    occupying = "occupying"  # 故意长时间占用热线资源
    harassment = "harassment"  # 骚扰
    insult = "insult"  # 侮辱
    threat = "threat"  # 威胁热线工作人员


REASON_LABELS = {"malicious_repeat": "恶意反复来电", "occupying": "故意长时间占用热线",
                 "harassment": "骚扰工作人员", "insult": "侮辱工作人员", "threat": "威胁工作人员"}


class FlagState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    lifted = "lifted"


def _audit(session: Session, flag: CallerFlag, action: str, actor: Actor | None, now: datetime,
           note: str | None = None) -> None:
    session.add(CallerFlagEvent(flag_id=flag.id, action=action,
                                actor_id=actor.id if actor else None, note=note, at=now))


def _get(session: Session, flag_id: int) -> CallerFlag:
    flag = session.get(CallerFlag, flag_id)
    if flag is None:
        raise NotFound(f"标记 {flag_id} 不存在", title="标记不存在")
    return flag


def flag_caller(session: Session, actor: Actor, phone: str, reason: FlagReason, evidence: str,
                ticket_numbers: list[str], now: datetime) -> CallerFlag:
    """An agent's report; it warns nobody until a supervisor approves it."""
    if not phone:
        raise Invalid("隐藏号码无法标记", title="号码不正确")
    flag = CallerFlag(caller_phone=phone, reason=str(reason), evidence=evidence,
                      ticket_numbers=ticket_numbers, status=FlagState.pending,
                      flagged_by_id=actor.id, flagged_at=now)
    session.add(flag)
    session.flush()
    _audit(session, flag, "flagged", actor, now, f"{REASON_LABELS[str(reason)]}：{evidence}")
    return flag


def decide(session: Session, actor: Actor, flag_id: int, approve: bool, note: str | None,
           now: datetime) -> CallerFlag:
    """A supervisor's decision; an approved flag warns for ``HOTLINE_CALLER_FLAG_DAYS`` days."""
    flag = _get(session, flag_id)
    if flag.status != FlagState.pending:
        raise Conflict(f"该标记已处理（{flag.status}），不能重复审批", title="标记已处理")
    if flag.flagged_by_id == actor.id:
        raise Conflict("不能审批自己提出的标记", title="须由他人审批")
    flag.status = FlagState.approved if approve else FlagState.rejected
    flag.decided_by_id, flag.decided_at, flag.decision_note = actor.id, now, note
    if approve:
        flag.expires_at = now + timedelta(days=get_settings().caller_flag_days)
    session.add(flag)
    _audit(session, flag, "approved" if approve else "rejected", actor, now, note)
    return flag


def lift(session: Session, actor: Actor, flag_id: int, note: str, now: datetime) -> CallerFlag:
    flag = _get(session, flag_id)
    if flag.status != FlagState.approved:
        raise Conflict("只有已生效的标记可以撤销", title="标记未生效")
    flag.status = FlagState.lifted
    session.add(flag)
    _audit(session, flag, "lifted", actor, now, note)
    return flag


def _active(flag: CallerFlag, now: datetime) -> bool:
    return (flag.status == FlagState.approved and flag.expires_at is not None
            and as_utc(flag.expires_at) > now)


@dataclass(frozen=True)
class Warning:
    """What the agent sees at intake."""

    flagged: bool
    message: str | None
    flags: list[dict[str, Any]]


def warning_for(session: Session, phone: str, now: datetime) -> Warning:
    if not phone:
        return Warning(False, None, [])
    rows = session.exec(select(CallerFlag).where(CallerFlag.caller_phone == phone)
                        .where(CallerFlag.status == FlagState.approved)).all()
    active = [f for f in rows if _active(f, now)]
    if not active:
        return Warning(False, None, [])
    reasons = "、".join(sorted({REASON_LABELS.get(f.reason, f.reason) for f in active}))
    message = (f"该号码已被标记：{reasons}。请依规接听、耐心劝阻并如实记录；"
               "如涉及紧急求助，照常立即移交，不得拒接 (CQ §26、§10)")
    return Warning(True, message, [view(f) for f in active])


def view(flag: CallerFlag, events: list[CallerFlagEvent] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": flag.id, "caller_phone": flag.caller_phone, "reason": flag.reason,
        "reason_label": REASON_LABELS.get(flag.reason, flag.reason), "evidence": flag.evidence,
        "ticket_numbers": flag.ticket_numbers, "status": flag.status,
        "flagged_by_id": flag.flagged_by_id, "flagged_at": flag.flagged_at,
        "decided_by_id": flag.decided_by_id, "decided_at": flag.decided_at,
        "decision_note": flag.decision_note, "expires_at": flag.expires_at,
    }
    if events is not None:
        out["audit"] = [{"action": e.action, "actor_id": e.actor_id, "note": e.note, "at": e.at}
                        for e in events]
    return out


def list_flags(session: Session, phone: str | None, status: str | None,
               now: datetime) -> list[dict[str, Any]]:
    stmt = select(CallerFlag)
    if phone:
        stmt = stmt.where(CallerFlag.caller_phone == phone)
    if status:
        stmt = stmt.where(CallerFlag.status == status)
    flags = session.exec(stmt.order_by(col(CallerFlag.id).desc()).limit(500)).all()
    ids = [f.id for f in flags]
    events: dict[int, list[CallerFlagEvent]] = {i: [] for i in ids}
    if ids:
        for e in session.exec(select(CallerFlagEvent).where(col(CallerFlagEvent.flag_id).in_(ids))
                              .order_by(col(CallerFlagEvent.id))):
            events[e.flag_id].append(e)
    out = []
    for f in flags:
        item = view(f, events[f.id])
        item["expired"] = f.status == FlagState.approved and not _active(f, now)
        out.append(item)
    return out
