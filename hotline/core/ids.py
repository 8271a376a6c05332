"""Identifier types accepted from clients: positive and within PostgreSQL's 32-bit integer."""

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_ID = 2_147_483_647

DbId = Annotated[int, Field(gt=0, le=MAX_ID)]
DbIdPath = Annotated[int, Path(gt=0, le=MAX_ID)]
DbIdQuery = Annotated[int | None, Query(gt=0, le=MAX_ID, description="单位及其下级")]
