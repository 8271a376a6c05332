"""The pages people work tickets in: the agent console, the unit inbox, search, the visit queue,
the ticket page with its action forms, and the caller's public progress lookup.

Built on the same commands and queries as the API, in the same unit of work
(``hotline.web.deps``), so a page's command behaves exactly as the API's — its after-commit
hooks (an emergency hand-over kicking the 110 relay) included.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

import integrations
from hotline.core.errors import DomainError, NotFound, TooManyRequests
from hotline.core.ids import small_int
from hotline.core.phones import normalise_phone
from hotline.core.settings import get_settings
from hotline.core.times import utcnow
from hotline.intake import caller_flags
from hotline.intake.advice import advise
from hotline.intake.request_types import REQUEST_TYPES
from hotline.kb.search import search as kb_search
from hotline.tickets import forms, queues, similar
from hotline.tickets.commands import apply, create_ticket, facts_for, visible_ticket
from hotline.tickets.models import CHANNEL_LABELS, RATING_LABELS, STATUS_LABELS, Channel, Ticket
from hotline.tickets.numbering import normalise_number
from hotline.tickets.payloads import NOT_ACCEPTED_LABELS, Sign
from hotline.tickets.reading import TicketFilter, list_tickets, public_progress, ticket_detail
from hotline.tickets.schemas import TicketCreate
from hotline.tickets.visibility import can_see, log_contact_access, mask_phone
from hotline.tickets.workflow import BY_ACTION, HOTLINE_ROLES, Action, allowed_actions
from hotline.units.actor import Actor
from hotline.units.deps import MaybeActorDep, PageActorDep
from hotline.units.models import Unit
from hotline.units.tree import dispatchable_units, sub_units
from hotline.units.workspace import render, require_role
from hotline.web.deps import FormDep, SessionDep
from hotline.web.ratelimit import limiter
from hotline.web.render import WARN_LABELS, WebRoute, dt, templates

router = APIRouter(route_class=WebRoute, include_in_schema=False)
templates.env.globals.update(STATUS_LABELS=STATUS_LABELS, RATING_LABELS=RATING_LABELS,
                             CHANNEL_LABELS=CHANNEL_LABELS, NOT_ACCEPTED_LABELS=NOT_ACCEPTED_LABELS,
                             min_reason=forms.MIN_REASON,
                             # a peer's record shows with Chinese field names (issue 18)
                             PEER_FIELD_LABELS=integrations.FIELD_LABELS)


# ---------------------------------------------------------------------------------------------
# Agent console
# ---------------------------------------------------------------------------------------------
def _console_ctx(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    return {"values": values, "request_types": REQUEST_TYPES, "channels": [c.value for c in Channel],
            "units": dispatchable_units(session), "reasons": NOT_ACCEPTED_LABELS,
            "channel_labels": CHANNEL_LABELS}


@router.get("/console")
def console(request: Request, session: SessionDep, actor: PageActorDep,
            created: str | None = None) -> Response:
    require_role(actor, HOTLINE_ROLES)
    ctx = _console_ctx(session, {})
    if created:
        try:
            t = visible_ticket(session, actor, created)
            ctx["created"] = {"number": t.number, "status": STATUS_LABELS[t.status],
                              "due": dt(t.close_due_at), "phone4": t.caller_phone[-4:],
                              "lookup_code": t.lookup_code}
            if t.merged_into_id is not None and (target := session.get(Ticket, t.merged_into_id)):
                ctx["created"]["merged_into"] = target.number  # 并单 at intake: say into which
        except NotFound:
            pass
    return render(request, "console.html", actor, ctx)


@router.get("/console/assist")
def console_assist(request: Request, session: SessionDep, actor: PageActorDep,
                   caller_phone: str = "", content: str = "", address: str = "",
                   request_type: str = "") -> Response:
    """The live fragment: caller history, possible duplicates, routing advice, knowledge hits."""
    require_role(actor, HOTLINE_ROLES)
    phone = caller_phone.strip().replace(" ", "")
    now = utcnow()
    history, shown = (queues.caller_history(session, actor, phone, now)
                      if len(phone) >= 7 else (None, []))
    # 并单: the same matter at the same place from any caller, with the figure and one click.
    matches, matched = similar.at_intake(session, actor, content, address[:300] or None,
                                         phone or None, now)
    repeats, repeated = (similar.repeats_of_caller(session, actor, phone, content,
                                                   address[:300] or None, now)
                         if history is not None else ([], []))
    if history is not None:
        history["duplicates"] = repeats
    # Who called about what is shown: traced like a detail view, once per request (CQ §22).
    log_contact_access(session, actor, sorted(set(shown) | set(matched) | set(repeated)),
                       "caller_lookup", now)
    advice, kb_hits = None, []
    if content.strip():
        rtype = request_type if request_type in REQUEST_TYPES else None
        advice = advise(session, content[:4000], address[:300] or None, rtype)
        kb_hits = kb_search(session, content[:4000], limit=5)  # published, valid: one click answers
    # CQ §26: a flagged caller is a warning to the agent, never a refusal.
    flag = caller_flags.warning_for(session, phone, utcnow()) if len(phone) >= 7 else None
    return render(request, "_assist.html", actor, {"history": history, "s": advice,
                                                   "flag": flag, "kb_hits": kb_hits,
                                                   "similar": matches,
                                                   "window_days": get_settings().similar_window_days})


@router.post("/console")
def console_submit(request: Request, session: SessionDep, actor: PageActorDep,
                   form: FormDep) -> Response:
    require_role(actor, HOTLINE_ROLES)
    values: dict[str, Any] = {k: v for k, v in form.items() if k != "csrf_token"}
    values["co_unit_ids"] = form.getlist("co_unit_ids")
    choice = str(form.get("decision", "register"))
    try:
        data = TicketCreate.model_validate({
            "channel": form.get("channel") or "phone", "caller_name": form.get("caller_name") or None,
            "caller_phone": form.get("caller_phone", ""), "request_type": form.get("request_type"),
            "caller_phone_withheld": form.get("caller_phone_withheld") == "on",
            "category": form.get("category") or None, "content": form.get("content", ""),
            "address": form.get("address") or None, "urgency": form.get("urgency") or "normal",
            "decision": None})
        data.decision = forms.console_decision(form, choice)
        number = create_ticket(session, actor, data).number
    except ValidationError as exc:
        error, status = forms.error_text(exc).replace("caller_phone", "来电号码") \
            .replace("request_type", "诉求类型"), 422
    except DomainError as exc:
        error, status = f"{exc.title}：{exc.detail}", exc.status
    else:
        return RedirectResponse(f"/console?created={number}", status_code=303)
    session.rollback()
    return render(request, "console.html", actor, _console_ctx(session, values) | {"error": error},
                  status)


# ---------------------------------------------------------------------------------------------
# Unit inbox, search, visits
# ---------------------------------------------------------------------------------------------
def _inbox_ctx(session: Session, actor: Actor, tab: str) -> dict[str, Any]:
    tab = tab if tab in dict(queues.INBOX_TABS) else "sign"
    counts, items = queues.inbox(session, actor, tab, utcnow())
    return {"tabs": queues.INBOX_TABS, "tab": tab, "counts": counts, "items": items,
            "refresh": get_settings().inbox_refresh_seconds}


@router.get("/inbox")
def inbox(request: Request, session: SessionDep, actor: PageActorDep, tab: str = "sign",
          signed: int = 0, failed: str = "", done: str = "", t: str = "") -> Response:
    ctx = _inbox_ctx(session, actor, tab)
    if done in BY_ACTION:  # e.g. after 退单 the unit no longer sees the ticket: say it went
        ctx["notice"] = f"工单 {t[:20]} 已{BY_ACTION[done].label}" if t else f"已{BY_ACTION[done].label}"
    if signed > 0:
        ctx["notice"] = f"已签收 {signed} 件工单"
    if failed:
        ctx["problem"] = f"以下工单未能签收（可能已被他人签收或已改派），请刷新后重试：{failed[:400]}"
    return render(request, "inbox.html", actor, ctx)


@router.get("/inbox/rows")
def inbox_rows(request: Request, session: SessionDep, actor: PageActorDep,
               tab: str = "sign") -> Response:
    """The inbox's live part alone: the page fetches it on a timer, so a ticket dispatched after
    the page was opened shows up without a reload (and the tab title shows what waits)."""
    return render(request, "_inbox.html", actor, _inbox_ctx(session, actor, tab))


BATCH_LIMIT = 200


@router.post("/inbox/sign")
def inbox_sign(request: Request, session: SessionDep, actor: PageActorDep,
               form: FormDep) -> Response:
    """批量签收: each ticket signs in a savepoint of its own, so one that was meanwhile signed or
    re-dispatched is reported by number and the rest still sign."""
    numbers = list(dict.fromkeys(v.strip() for v in form.getlist("t") if isinstance(v, str)))
    numbers = [n for n in numbers if n][:BATCH_LIMIT]
    if not numbers:
        return RedirectResponse("/inbox?tab=sign&failed=" + quote("未选择工单"), status_code=303)
    signed, failed = 0, []
    for number in numbers:
        try:
            with session.begin_nested():
                apply(session, actor, visible_ticket(session, actor, number), Sign())
            signed += 1
        except DomainError:
            failed.append(number)
    query = urlencode({"tab": "sign", "signed": signed, "failed": "、".join(failed)})
    return RedirectResponse(f"/inbox?{query}", status_code=303)


@router.get("/search")
def search(request: Request, session: SessionDep, actor: PageActorDep, q: str = "",
           status: str = "", warning: str = "", phone: str = "") -> Response:
    """Search by ticket number (with or without the hyphen: opens it), by a caller's phone number
    (every call from it: the lookup is logged, CQ §22) or name, or by words of the content or
    address."""
    q, phone = q.strip()[:100], phone.strip()[:32]
    compact = q.replace("-", "").replace(" ", "")
    if compact.isdigit() and len(compact) == 14:
        q = normalise_number(q)
        try:
            visible_ticket(session, actor, q)
            return RedirectResponse(f"/t/{q}", status_code=303)
        except NotFound:
            pass
    elif compact.isdigit() and 7 <= len(compact) <= 13 and not phone:
        phone, q = compact, ""  # a phone number typed in the search box
    flt = TicketFilter(q=q or None, status=[status] if status in STATUS_LABELS else None,
                       warning=warning if warning in WARN_LABELS else None)
    if phone:
        try:
            flt.caller_phone = normalise_phone(phone)
        except ValueError:
            flt.caller_phone = phone
    items, total = list_tickets(session, actor, flt, page_size=50)
    if flt.caller_phone and items:
        numbers = [t.number for t in items]
        ids = list(session.exec(select(Ticket.id).where(col(Ticket.number).in_(numbers))))
        log_contact_access(session, actor, sorted(i for i in ids if i is not None), "phone_search",
                           utcnow())
    title = f"来电号码 {mask_phone(flt.caller_phone)} 的全部来电" if flt.caller_phone else "工单查询"
    return render(request, "list.html", actor, {
        "title": title, "items": items, "total": total, "q": q, "status": status,
        "warning": warning, "searchable": True, "phone": phone})


@router.get("/visits")
def visits(request: Request, session: SessionDep, actor: PageActorDep) -> Response:
    require_role(actor, HOTLINE_ROLES)
    items = queues.visit_queue(session, actor, utcnow())
    return render(request, "list.html", actor, {"title": "回访队列（已答复待回访、差评核实、待办结）",
                                                "items": items, "total": len(items),
                                                "searchable": False})


# ---------------------------------------------------------------------------------------------
# Ticket page and actions
# ---------------------------------------------------------------------------------------------
def _ticket_ctx(session: Session, actor: Actor, number: str) -> dict[str, Any]:
    now = utcnow()
    detail = ticket_detail(session, actor, number, now)
    ticket = visible_ticket(session, actor, number)
    transitions = allowed_actions(facts_for(session, actor, ticket, now))
    allowed = {t.action for t in transitions}
    unit_choices: dict[str, list[tuple[str, str]]] = {}
    if Action.forward in allowed and ticket.holder_unit_id:
        holder = session.get_one(Unit, ticket.holder_unit_id)
        unit_choices["to_unit_id"] = [(str(u.id), u.name) for u in sub_units(session, holder)]
    if Action.dispatch in allowed:
        units = [(str(u.id), u.name) for u in dispatchable_units(session)]
        unit_choices["lead_unit_id"] = [("", "按智能派单建议"), *units]
        unit_choices["co_unit_ids"] = units
    return {"t": detail, "forms": forms.action_forms(transitions, unit_choices),
            "version": ticket.version}


@router.get("/t/{number}")
def ticket_page(request: Request, session: SessionDep, actor: PageActorDep, number: str,
                done: str | None = None) -> Response:
    ctx = _ticket_ctx(session, actor, number)
    if done in BY_ACTION:
        ctx["flash"] = f"已{BY_ACTION[done].label}"
    return render(request, "ticket.html", actor, ctx)


@router.post("/t/{number}/act/{action}")
def ticket_act(request: Request, session: SessionDep, actor: PageActorDep, form: FormDep,
               number: str, action: str) -> Response:
    ticket = visible_ticket(session, actor, number)
    transition = BY_ACTION.get(action)
    try:
        if transition is None:
            raise NotFound(f"未知操作：{action}")
        payload = forms.parse(transition.payload, form, small_int(str(form.get("version", ""))))
        apply(session, actor, ticket, payload)
        session.flush()
        still_visible = can_see(session, actor, ticket)
    except ValidationError as exc:
        error, status = f"提交的内容不符合要求：{forms.error_text(exc)}", 422
    except DomainError as exc:
        error, status = f"{exc.title}：{exc.detail}", exc.status
    else:
        # After a return the unit no longer sees the ticket (CQ §22): back to its inbox.
        target = f"/t/{number}?done={action}" if still_visible else f"/inbox?done={action}&t={number}"
        back = str(form.get("next") or "")
        if back.startswith("/board"):  # a decision taken inline on the board returns there
            target = back.replace("#", f"?done={action}&t={number}#", 1) if "#" in back else back
        return RedirectResponse(target, status_code=303)
    session.rollback()
    ctx = _ticket_ctx(session, actor, number) | {"error": error, "failed_action": action}
    return render(request, "ticket.html", actor, ctx, status)


# ---------------------------------------------------------------------------------------------
# Public progress (no login)
# ---------------------------------------------------------------------------------------------
@router.get("/progress")
def progress(request: Request, session: SessionDep, actor: MaybeActorDep, number: str = "",
             last4: str = "") -> Response:
    result, problem, status = None, None, 200
    number, last4 = normalise_number(number[:40])[:20], last4.strip()[:8]
    if number or last4:
        client = request.client.host if request.client else "?"
        try:
            limiter.check(client, number)
            # four digits of the phone, or the 8-character code a withheld caller was given (CQ §11)
            digits, code = (last4, None) if len(last4) == 4 and last4.isdigit() else (None, last4)
            result = public_progress(session, number, digits, code or None)
        except NotFound as exc:
            limiter.failed(client, number)
            problem, status = exc.detail, 404
        except TooManyRequests as exc:
            problem, status = exc.detail, 429
    return render(request, "progress.html", actor, {"result": result, "error": problem,
                                                    "number": number, "last4": last4}, status)
