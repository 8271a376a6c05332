"""Identifier types accepted from clients: positive and within PostgreSQL's 32-bit integer."""

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_ID = 2_147_483_647

DbId = Annotated[int, Field(gt=0, le=MAX_ID)]
DbIdPath = Annotated[int, Path(gt=0, le=MAX_ID)]
DbIdQuery = Annotated[int | None, Query(gt=0, le=MAX_ID, description="单位及其下级")]


def small_int(raw: str | None, limit: int = MAX_ID) -> int | None:
    """A positive id or version from a form/query string, or None (never a 500 on '²' or 10**30)."""
    if not raw or not raw.isascii() or not raw.isdecimal() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value <= limit else None
