"""The public knowledge-base page (CQ §19): anyone searches the public, published entries."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hotline.kb.search import Filters, search
from hotline.units.deps import MaybeActorDep
from hotline.units.workspace import render
from hotline.web.deps import SessionDep
from hotline.web.render import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/kb")
def public_kb(request: Request, session: SessionDep, actor: MaybeActorDep, q: str = "") -> Response:
    q = q.strip()[:200]
    hits = search(session, q, Filters(public_only=True), 20) if q else []
    return render(request, "kb_public.html", actor, {"q": q, "hits": hits})
