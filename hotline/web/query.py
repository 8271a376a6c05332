"""Unknown query parameters are refused (422), not ignored: ``?channel=110`` on a list that has
no channel filter silently returned every ticket, and the caller believed it was filtered."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from hotline.core.errors import Invalid


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def _known_query(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise Invalid(f"未知的查询参数：{'、'.join(unknown)}；可用：{'、'.join(sorted(allowed)) or '无'}",
                      title="查询参数不正确")


#: ``dependencies=[KnownQuery]`` on a list route.
KnownQuery = Depends(_known_query)
