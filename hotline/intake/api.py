"""Intake suggestions for agents, the admin-edited dispatch catalogue, and routing accuracy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

import routing
from hotline.core.errors import Invalid
from hotline.core.ids import DbIdPath
from hotline.core.phones import normalise_phone
from hotline.core.sla_setup import legal_deadlines
from hotline.core.times import BoundedDatetime, utcnow
from hotline.intake import caller_flags
from hotline.intake.accuracy import routing_report
from hotline.intake.advice import advise, catalogue_file, directory
from hotline.intake.models import CatalogueVersion
from hotline.intake.request_types import RequestType
from hotline.units.deps import ActorDep, require_roles
from hotline.units.models import Role
from hotline.web.deps import SessionDep
from hotline.web.request_work import WorkRoute

router = APIRouter(tags=["intake"], route_class=WorkRoute)
HotlineSide = require_roles(Role.agent, Role.supervisor, Role.admin)
AdminOnly = require_roles(Role.admin)


class SuggestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: str = Field(min_length=1, max_length=4000, description="来电人所述内容")
    address: str | None = Field(default=None, max_length=300)
    request_type: RequestType | None = None


@router.post("/intake/suggest", dependencies=[HotlineSide],
             summary="智能受理建议：应急/不予受理/直接解答/派单，属地与属事单位及理由")
def suggest(session: SessionDep, data: SuggestIn) -> dict[str, Any]:
    return advise(session, data.text, data.address, data.request_type).to_dict()


@router.get("/legal-deadlines", dependencies=[HotlineSide],
             summary="法定办理时限表（CQ §13(四)）：派发时 legal_basis 可选的名称、工作日与依据")
def legal_deadline_table() -> list[dict[str, Any]]:
    return legal_deadlines()


@router.get("/routing/catalogue", response_class=PlainTextResponse, dependencies=[HotlineSide],
            summary="当前派单目录（CSV）")
def get_catalogue(session: SessionDep) -> str:
    latest = session.exec(select(CatalogueVersion).order_by(col(CatalogueVersion.id).desc())).first()
    if latest is not None:
        return latest.content
    return catalogue_file().read_text(encoding="utf-8")


@router.put("/routing/catalogue", dependencies=[AdminOnly],
            summary="更新派单目录（CSV，校验通过后生效并留存历史版本）")
def put_catalogue(session: SessionDep, actor: ActorDep,
                  content: Annotated[str, Body(media_type="text/csv", max_length=1_000_000)],
                  note: Annotated[str | None, Query(max_length=500)] = None) -> dict[str, Any]:
    if "\n" not in content:
        content += "\n"  # always parsed as CSV text, never taken for a file path
    try:
        parsed = routing.Catalogue.from_csv(content)
        parsed.check_units(directory(session))
    except (routing.CatalogueError, routing.DataFileError, ValueError) as exc:
        raise Invalid(str(exc), title="派单目录有误") from exc
    if not parsed.rules:
        raise Invalid("派单目录没有任何规则", title="派单目录有误")
    version = CatalogueVersion(content=content, rules=len(parsed.rules), note=note,
                               created_by_id=actor.id, created_at=utcnow())
    session.add(version)
    session.flush()
    return {"version": version.id, "rules": version.rules}


@router.get("/routing/report", dependencies=[require_roles(Role.supervisor, Role.admin)],
            summary="派单准确率（top-1/top-3）与各单位退单（误派）情况")
def report(session: SessionDep, start: BoundedDatetime, end: BoundedDatetime) -> dict[str, Any]:
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid("时间须带时区", title="时间格式不正确")
    return routing_report(session, start, end).to_dict()


# ---------------------------------------------------------------------------------------------
# CQ §26: abusive or malicious callers
# ---------------------------------------------------------------------------------------------
class FlagIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    caller_phone: str = Field(min_length=3, max_length=32)
    reason: caller_flags.FlagReason
    evidence: str = Field(min_length=1, max_length=4000, description="事实与证据：时间、次数、录音编号等")
    ticket_numbers: list[Annotated[str, Field(min_length=8, max_length=20)]] = Field(
        default_factory=list, max_length=50)


class FlagDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    approve: bool
    note: str | None = Field(default=None, max_length=2000)


class FlagLiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    note: str = Field(min_length=1, max_length=2000)


Supervisors = require_roles(Role.supervisor, Role.admin)


def _phone(value: str) -> str:
    try:
        return normalise_phone(value)
    except ValueError as exc:
        raise Invalid(str(exc), title="号码不正确") from exc


@router.post("/caller-flags", status_code=201, dependencies=[HotlineSide],
             summary="标记恶意来电人（理由与证据，待督办审批）(CQ §26)")
def create_flag(session: SessionDep, actor: ActorDep, data: FlagIn) -> dict[str, Any]:
    flag = caller_flags.flag_caller(session, actor, _phone(data.caller_phone), data.reason,
                                    data.evidence, data.ticket_numbers, utcnow())
    return caller_flags.view(flag)


@router.post("/caller-flags/{flag_id}/decision", dependencies=[Supervisors],
             summary="审批恶意来电标记（通过后限期生效）(CQ §26)")
def decide_flag(session: SessionDep, actor: ActorDep, flag_id: DbIdPath,
                data: FlagDecisionIn) -> dict[str, Any]:
    return caller_flags.view(caller_flags.decide(session, actor, flag_id, data.approve, data.note,
                                                 utcnow()))


@router.post("/caller-flags/{flag_id}/lift", dependencies=[Supervisors],
             summary="撤销恶意来电标记 (CQ §26)")
def lift_flag(session: SessionDep, actor: ActorDep, flag_id: DbIdPath,
              data: FlagLiftIn) -> dict[str, Any]:
    return caller_flags.view(caller_flags.lift(session, actor, flag_id, data.note, utcnow()))


@router.get("/caller-flags", dependencies=[HotlineSide],
            summary="恶意来电标记及其审计记录 (CQ §26)")
def get_flags(session: SessionDep,
              phone: Annotated[str | None, Query(max_length=32)] = None,
              status: Annotated[str | None, Query(pattern="^(pending|approved|rejected|lifted)$")] = None,
              ) -> list[dict[str, Any]]:
    return caller_flags.list_flags(session, _phone(phone) if phone else None, status, utcnow())


@router.get("/caller-flags/warning", dependencies=[HotlineSide],
            summary="受理时的来电人提示：该号码是否有生效的恶意来电标记 (CQ §26)")
def flag_warning(session: SessionDep,
                 phone: Annotated[str, Query(min_length=3, max_length=32)]) -> dict[str, Any]:
    w = caller_flags.warning_for(session, _phone(phone), utcnow())
    return {"flagged": w.flagged, "message": w.message, "flags": w.flags}
