"""The knowledge base over HTTP: search for hotline and unit staff, search for the public (no
login, public entries only, CQ §19), the entries' workflow and history, the units' upkeep."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from hotline.core.errors import NotFound
from hotline.core.ids import DbIdPath
from hotline.core.settings import get_settings
from hotline.core.times import utcnow
from hotline.kb import entries as kb
from hotline.kb.importing import import_csv
from hotline.kb.models import KB_STATUS_LABELS, KbEntry, KbStatus
from hotline.kb.search import Filters, search
from hotline.kb.upkeep import unit_upkeep
from hotline.units.actor import Actor
from hotline.units.deps import ActorDep, require_roles
from hotline.units.models import Role, Unit
from hotline.units.tree import subtree_unit_ids
from hotline.web.deps import SessionDep
from hotline.web.request_work import WorkRoute

router = APIRouter(tags=["knowledge base"], route_class=WorkRoute)
public_router = APIRouter(tags=["public"], route_class=WorkRoute)
Reviewers = require_roles(Role.supervisor, Role.admin, Role.unit_manager)
AdminOnly = require_roles(Role.admin)
Q = Annotated[str, Query(min_length=1, max_length=4000, description="查询文本")]
Limit = Annotated[int, Query(ge=1, le=50)]


def _unit_ids(session: SessionDep, code: str | None) -> list[int] | None:
    if not code:
        return None
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        raise NotFound(f"单位编码 {code} 不存在")
    return subtree_unit_ids(session, unit.path)


@router.get("/kb/search", summary="知识库检索（热线与承办单位人员）：已发布且在有效期内的条目")
def kb_search(session: SessionDep, actor: ActorDep, q: Q, limit: Limit = 10,
              category: Annotated[str | None, Query(max_length=200)] = None,
              unit: Annotated[str | None, Query(max_length=32, description="单位编码（含下级）")] = None,
              public: bool | None = None) -> dict[str, Any]:
    hits = search(session, q, Filters(category=category, unit_ids=_unit_ids(session, unit),
                                      public_only=bool(public)), limit)
    return {"items": [h.to_dict() for h in hits]}


@public_router.get("/public/kb/search", summary="公开知识库检索（无需登录，CQ §19）")
def public_kb_search(session: SessionDep, q: Q, limit: Limit = 10,
                     category: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
    hits = search(session, q, Filters(category=category, public_only=True), limit)
    keep = ("id", "title", "score", "snippet", "category", "valid_until", "basis")
    return {"items": [{k: v for k, v in h.to_dict().items() if k in keep} for h in hits]}


def _out(entry: KbEntry, full: bool = True) -> dict[str, Any]:
    out = {"id": entry.id, "title": entry.title, "status": str(entry.status),
           "status_label": KB_STATUS_LABELS[str(entry.status)], "category": entry.category,
           "unit_id": entry.unit_id, "public": entry.public, "version": entry.version,
           "valid_from": entry.valid_from, "valid_until": entry.valid_until,
           "reviewed_at": entry.reviewed_at, "use_count": entry.use_count,
           "last_used_at": entry.last_used_at, "stale_since": entry.stale_since,
           "stale_reason": entry.stale_reason}
    if full:
        out |= {"questions": entry.questions, "answer": entry.answer, "basis": entry.basis}
    return out


def _visible(session: SessionDep, actor: Actor, entry: KbEntry) -> KbEntry:
    """Unit staff see their subtree's entries and what is published; others get 404."""
    if actor.hotline_side or entry.status == KbStatus.published:
        return entry
    if entry.unit_id in subtree_unit_ids(session, actor.unit.path):
        return entry
    raise NotFound(f"知识条目 {entry.id} 不存在")


@router.get("/kb/entries", summary="知识条目列表：本单位条目的使用次数与是否过期/待复核")
def list_entries(session: SessionDep, actor: ActorDep,
                 status: KbStatus | None = None, stale: bool | None = None,
                 unit: Annotated[str | None, Query(max_length=32)] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100,
                 offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> dict[str, Any]:
    stmt = select(KbEntry)
    ids = _unit_ids(session, unit)
    if not actor.hotline_side:
        own = subtree_unit_ids(session, actor.unit.path)
        ids = [i for i in ids if i in set(own)] if ids is not None else own
    if ids is not None:
        stmt = stmt.where(col(KbEntry.unit_id).in_(ids))
    if status is not None:
        stmt = stmt.where(KbEntry.status == status)
    if stale is not None:
        flagged = col(KbEntry.stale_since)
        stmt = stmt.where(flagged.is_not(None) if stale else flagged.is_(None))
    rows = session.exec(stmt.order_by(col(KbEntry.id)).offset(offset).limit(limit)).all()
    return {"items": [_out(e, full=False) for e in rows]}


@router.post("/kb/entries", status_code=201, summary="起草知识条目（承办单位为本单位，热线督办可为任一单位）")
def create_entry(session: SessionDep, actor: ActorDep, data: kb.EntryIn) -> dict[str, Any]:
    return _out(kb.create(session, actor, data))


@router.get("/kb/entries/{entry_id}", summary="知识条目详情与版本/审核历史")
def get_entry(session: SessionDep, actor: ActorDep, entry_id: DbIdPath) -> dict[str, Any]:
    entry = _visible(session, actor, kb.get_entry(session, entry_id))
    events = [{"seq": e.seq, "action": e.action, "actor_id": e.actor_id, "at": e.at,
               "from_status": e.from_status, "to_status": e.to_status, "version": e.version,
               "note": e.note, "snapshot": e.snapshot} for e in kb.history(session, entry)]
    return _out(entry) | {"history": events}


@router.patch("/kb/entries/{entry_id}", summary="修改知识条目（修改后回到草稿，需重新审核）")
def edit_entry(session: SessionDep, actor: ActorDep, entry_id: DbIdPath,
               patch: kb.EntryPatch) -> dict[str, Any]:
    entry = _visible(session, actor, kb.get_entry(session, entry_id))
    return _out(kb.edit(session, actor, entry, patch))


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    note: str | None = Field(default=None, max_length=2000)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    note: str = Field(min_length=1, max_length=2000, description="驳回理由")


@router.post("/kb/entries/{entry_id}/submit", summary="提交审核")
def submit_entry(session: SessionDep, actor: ActorDep, entry_id: DbIdPath) -> dict[str, Any]:
    entry = _visible(session, actor, kb.get_entry(session, entry_id))
    return _out(kb.submit(session, actor, entry))


@router.post("/kb/entries/{entry_id}/approve", dependencies=[Reviewers], summary="审核通过并发布")
def approve_entry(session: SessionDep, actor: ActorDep, entry_id: DbIdPath,
                  body: Annotated[StepIn | None, Body()] = None) -> dict[str, Any]:
    entry = _visible(session, actor, kb.get_entry(session, entry_id))
    return _out(kb.approve(session, actor, entry, body.note if body else None))


@router.post("/kb/entries/{entry_id}/reject", dependencies=[Reviewers], summary="驳回（回到草稿）")
def reject_entry(session: SessionDep, actor: ActorDep, entry_id: DbIdPath, body: RejectIn) -> dict[str, Any]:
    entry = _visible(session, actor, kb.get_entry(session, entry_id))
    return _out(kb.reject(session, actor, entry, body.note))


@router.post("/kb/entries/{entry_id}/withdraw", dependencies=[Reviewers], summary="撤回已发布条目")
def withdraw_entry(session: SessionDep, actor: ActorDep, entry_id: DbIdPath,
                   body: Annotated[StepIn | None, Body()] = None) -> dict[str, Any]:
    entry = _visible(session, actor, kb.get_entry(session, entry_id))
    return _out(kb.withdraw(session, actor, entry, body.note if body else None))


@router.post("/kb/entries/{entry_id}/reconfirm", dependencies=[Reviewers], summary="复核确认仍然有效")
def reconfirm_entry(session: SessionDep, actor: ActorDep, entry_id: DbIdPath,
                    body: Annotated[StepIn | None, Body()] = None) -> dict[str, Any]:
    entry = _visible(session, actor, kb.get_entry(session, entry_id))
    return _out(kb.reconfirm(session, actor, entry, body.note if body else None))


@router.post("/kb/import", status_code=201, dependencies=[AdminOnly],
             summary="导入 CSV（title,answer[,category,unit_code,valid_until,public]）并发布")
def import_entries(session: SessionDep, actor: ActorDep,
                   content: Annotated[str, Body(media_type="text/csv", max_length=20_000_000)],
                   ) -> dict[str, Any]:
    made = import_csv(session, content, actor, utcnow())
    return {"imported": len(made), "ids": [e.id for e in made]}


@router.get("/kb/upkeep", summary="各单位知识库维护情况（CQ §24 考核）")
def upkeep(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    figures = unit_upkeep(session, utcnow(), get_settings().kb_review_months)
    if not actor.hotline_side:
        own = set(subtree_unit_ids(session, actor.unit.path))
        figures = {u: f for u, f in figures.items() if u in own}
    return {"items": [f.to_dict() for f in sorted(figures.values(), key=lambda f: f.unit_id)]}
