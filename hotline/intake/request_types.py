"""The six request types of 12345 intake (CQ §11), in Chinese because callers, agents and peer
platforms all use these words."""

from __future__ import annotations

from typing import Literal, get_args

RequestType = Literal["咨询", "求助", "投诉", "举报", "建议", "表扬"]
REQUEST_TYPES: tuple[str, ...] = get_args(RequestType)
