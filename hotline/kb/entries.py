"""The life of an entry (CQ §17–18): units draft, reviewers publish, the hotline keeps it
current. Every change appends a ``kb_events`` row in the same transaction (who, when, which
step, and the content after it), so the audit trail and the version history are one record.

    draft ──submit──▶ in_review ──approve──▶ published ──withdraw──▶ withdrawn
      ▲                  │ reject                │ valid_until passed (expire)
      └──────────────────┘                       ▼
      ◀───────────── edit (any state but in_review: back to draft) ── expired

Who: unit handlers and managers draft for their own unit; hotline supervisors and admins for
any unit. A unit manager reviews entries of their unit and the units below it; hotline
supervisors and admins review any. Nobody approves an entry they last edited themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, func, select

from hotline.core.errors import Conflict, Forbidden, Invalid, NotFound
from hotline.core.ids import MAX_ID
from hotline.core.times import as_utc, utcnow
from hotline.kb import index
from hotline.kb.models import KbEntry, KbEvent, KbStatus
from hotline.units.actor import Actor
from hotline.units.models import Role
from hotline.units.tree import get_unit, is_ancestor

HOTLINE_REVIEWERS = frozenset({Role.supervisor, Role.admin})
UNIT_AUTHORS = frozenset({Role.unit_handler, Role.unit_manager})
CONTENT = ("title", "questions", "answer", "category", "unit_id", "basis", "valid_from",
           "valid_until", "public")


class EntryIn(BaseModel):
    """An entry's content as authors write it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=200)
    questions: list[str] = Field(default_factory=list, max_length=50,
                                 description="问法（同一问题的不同说法）")
    answer: str = Field(min_length=1, max_length=20000)
    category: str | None = Field(default=None, max_length=200)
    unit_id: int | None = Field(default=None, gt=0, le=MAX_ID, description="责任单位；缺省为本人单位")
    basis: str | None = Field(default=None, max_length=500, description="法律政策依据")
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    public: bool = True


class EntryPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    questions: list[str] | None = Field(default=None, max_length=50)
    answer: str | None = Field(default=None, min_length=1, max_length=20000)
    category: str | None = Field(default=None, max_length=200)
    basis: str | None = Field(default=None, max_length=500)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    public: bool | None = None
    version: int | None = Field(default=None, ge=1, le=MAX_ID, description="乐观锁：客户端看到的版本号")


def snapshot(entry: KbEntry) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in CONTENT:
        value = getattr(entry, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def record(session: Session, entry: KbEntry, action: str, actor: Actor | None, now: datetime,
           from_status: str | None, *, note: str | None = None, content: bool = False) -> KbEvent:
    """Append the entry's next event (the first one needs no look-up: a new entry has none)."""
    last = 0 if from_status is None else session.exec(
        select(func.max(KbEvent.seq)).where(KbEvent.entry_id == entry.id)).one()
    event = KbEvent(entry_id=entry.id, seq=(last or 0) + 1, action=action,
                    actor_id=actor.id if actor else None, at=now, from_status=from_status,
                    to_status=str(entry.status), version=entry.version, note=note,
                    snapshot=snapshot(entry) if content else None)
    session.add(event)
    return event


def _clean_dates(valid_from: datetime | None, valid_until: datetime | None,
                 now: datetime) -> tuple[datetime | None, datetime | None]:
    try:
        vf = as_utc(valid_from) if valid_from else None
        vu = as_utc(valid_until) if valid_until else None
    except OverflowError as exc:
        raise Invalid("有效期超出可表示的日期范围", title="有效期不正确") from exc
    if vf and vu and vu <= vf:
        raise Invalid("有效期截止时间必须晚于生效时间", title="有效期不正确")
    if vu and vu <= now:
        raise Invalid("有效期截止时间必须晚于当前时间", title="有效期不正确")
    return vf, vu


def _may_author(session: Session, actor: Actor, unit_id: int) -> None:
    if actor.role in HOTLINE_REVIEWERS:
        get_unit(session, unit_id)
        return
    if actor.role in UNIT_AUTHORS and actor.unit.id == unit_id:
        return
    raise Forbidden("只能为本单位起草或修改知识条目", title="无权编辑该条目")


def may_review(session: Session, actor: Actor, entry: KbEntry) -> bool:
    if actor.role in HOTLINE_REVIEWERS:
        return True
    if actor.role == Role.unit_manager:
        return is_ancestor(actor.unit, get_unit(session, entry.unit_id), strict=False)
    return False


def get_entry(session: Session, entry_id: int) -> KbEntry:
    entry = session.get(KbEntry, entry_id)
    if entry is None:
        raise NotFound(f"知识条目 {entry_id} 不存在")
    return entry


def create(session: Session, actor: Actor, data: EntryIn, now: datetime | None = None) -> KbEntry:
    now = now or utcnow()
    unit_id = data.unit_id if data.unit_id is not None else actor.unit.id
    _may_author(session, actor, unit_id)
    vf, vu = _clean_dates(data.valid_from, data.valid_until, now)
    entry = KbEntry(title=data.title, questions=[q for q in data.questions if q], answer=data.answer,
                    category=data.category or None, unit_id=unit_id, basis=data.basis, valid_from=vf,
                    valid_until=vu, public=data.public, status=KbStatus.draft, created_by_id=actor.id,
                    created_at=now, updated_at=now)
    index.apply(session, index.index([entry]))
    session.add(entry)
    session.flush()
    index.post(session, [entry])
    record(session, entry, "create", actor, now, None, content=True)
    return entry


def edit(session: Session, actor: Actor, entry: KbEntry, patch: EntryPatch,
         now: datetime | None = None) -> KbEntry:
    """A change of content sends the entry back to draft: what is published has been reviewed
    as it reads."""
    now = now or utcnow()
    _may_author(session, actor, entry.unit_id)
    if patch.version is not None and patch.version != entry.version:
        raise Conflict("条目已被他人修改，请刷新后重试", title="版本冲突")
    if entry.status == KbStatus.in_review:
        raise Conflict("条目正在审核中，请先驳回或等待审核结果", title="审核中不可修改")
    changes = patch.model_dump(exclude_unset=True, exclude={"version"})
    if not changes:
        raise Invalid("没有要修改的内容")
    for name, value in changes.items():
        if name in ("title", "answer", "public", "questions") and value in (None, ""):
            raise Invalid(f"{name} 不能为空")
        setattr(entry, name, value)
    entry.valid_from, entry.valid_until = _clean_dates(entry.valid_from, entry.valid_until, now)
    before = str(entry.status)
    entry.status = KbStatus.draft
    entry.version += 1
    entry.updated_at = now
    index.apply(session, index.index([entry]))
    session.flush()
    index.post(session, [entry])
    record(session, entry, "edit", actor, now, before, content=True)
    return entry


def _move(session: Session, actor: Actor | None, entry: KbEntry, action: str,
          sources: set[KbStatus], target: KbStatus, now: datetime, note: str | None = None) -> KbEntry:
    if entry.status not in sources:
        raise Conflict(f"条目当前为“{entry.status}”，不能{action}", title="条目状态不允许此操作")
    before = str(entry.status)
    entry.status = target
    entry.updated_at = now
    record(session, entry, action, actor, now, before, note=note)
    session.flush()
    return entry


def submit(session: Session, actor: Actor, entry: KbEntry, now: datetime | None = None) -> KbEntry:
    _may_author(session, actor, entry.unit_id)
    return _move(session, actor, entry, "submit", {KbStatus.draft}, KbStatus.in_review, now or utcnow())


def _last_editor(session: Session, entry: KbEntry) -> int | None:
    row = session.exec(select(KbEvent.actor_id).where(KbEvent.entry_id == entry.id,
                                                      col(KbEvent.snapshot).is_not(None))
                       .order_by(col(KbEvent.seq).desc())).first()
    return row


def approve(session: Session, actor: Actor, entry: KbEntry, note: str | None = None,
            now: datetime | None = None) -> KbEntry:
    now = now or utcnow()
    if not may_review(session, actor, entry):
        raise Forbidden("只有责任单位的负责人或热线中心督办人员可以审核", title="无权审核该条目")
    if _last_editor(session, entry) == actor.id and actor.role != Role.admin:
        raise Forbidden("不能审核自己编写的内容（CQ §18：先审后用）", title="不能自审")
    if entry.valid_until is not None and as_utc(entry.valid_until) <= now:
        raise Conflict("条目有效期已过，请修改有效期后再提交", title="条目已过有效期")
    entry.reviewed_at, entry.reviewed_by_id = now, actor.id
    entry.stale_since = entry.stale_reason = None
    return _move(session, actor, entry, "approve", {KbStatus.in_review}, KbStatus.published, now, note)


def reject(session: Session, actor: Actor, entry: KbEntry, note: str, now: datetime | None = None) -> KbEntry:
    if not may_review(session, actor, entry):
        raise Forbidden("只有责任单位的负责人或热线中心督办人员可以审核", title="无权审核该条目")
    return _move(session, actor, entry, "reject", {KbStatus.in_review}, KbStatus.draft, now or utcnow(), note)


def withdraw(session: Session, actor: Actor, entry: KbEntry, note: str | None = None,
             now: datetime | None = None) -> KbEntry:
    if not may_review(session, actor, entry):
        raise Forbidden("只有责任单位的负责人或热线中心督办人员可以撤回", title="无权撤回该条目")
    return _move(session, actor, entry, "withdraw", {KbStatus.published}, KbStatus.withdrawn,
                 now or utcnow(), note)


def reconfirm(session: Session, actor: Actor, entry: KbEntry, note: str | None = None,
              now: datetime | None = None) -> KbEntry:
    """A reviewer confirms a published entry is still right: it is no longer stale."""
    now = now or utcnow()
    if not may_review(session, actor, entry):
        raise Forbidden("只有责任单位的负责人或热线中心督办人员可以复核", title="无权复核该条目")
    if entry.status != KbStatus.published:
        raise Conflict("只有已发布的条目可以复核", title="条目状态不允许此操作")
    entry.reviewed_at, entry.reviewed_by_id = now, actor.id
    entry.stale_since = entry.stale_reason = None
    record(session, entry, "reconfirm", actor, now, str(entry.status), note=note)
    session.flush()
    return entry


def history(session: Session, entry: KbEntry) -> list[KbEvent]:
    return list(session.exec(select(KbEvent).where(KbEvent.entry_id == entry.id)
                             .order_by(col(KbEvent.seq))).all())
