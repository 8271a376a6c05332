"""``Idempotency-Key`` on workflow commands: a retried or doubled request acts once.

A client that did not see the answer (a time-out, a double click, a proxy's retry) sends the same
command again with the same key; it must not supervise twice or reply twice. The key is claimed
in the command's own transaction, before the command runs, by inserting a row unique on
(user, key); the answer is stored on that row before the commit. So:

* a retry after the commit finds the row and gets the stored answer back (``Idempotent-Replayed``);
* a twin racing the first waits on the unique index (PostgreSQL) or on the write lock (SQLite)
  until the first commits, then finds the row and gets the same answer;
* a command that failed rolled its claim back with it: the retry acts afresh;
* the same key with a different command or ticket is refused (422), never silently replayed.

Keys are per user and kept ``HOTLINE_IDEMPOTENCY_HOURS``; a user's expired keys are dropped the
next time that user claims one.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.core.errors import Conflict, Invalid
from hotline.core.settings import get_settings
from hotline.tickets.models import IdempotencyKey
from hotline.units.actor import Actor

KEY_PATTERN = r"^[\x21-\x7e]{1,128}$"
REPLAYED = "Idempotent-Replayed"


def request_hash(number: str, body: dict[str, Any]) -> str:
    text = json.dumps([number, body], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _find(session: Session, user_id: int, key: str) -> IdempotencyKey | None:
    return session.exec(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id)
                        .where(IdempotencyKey.key == key)).first()


def _replay(row: IdempotencyKey, digest: str) -> JSONResponse:
    if row.request_hash != digest:
        raise Invalid("该 Idempotency-Key 已用于另一项请求；新请求请换用新的键")
    if row.response is None or row.status_code is None:  # pragma: no cover - stored with the claim
        raise Conflict("同一 Idempotency-Key 的请求仍在处理，请稍后重试")
    return JSONResponse(row.response, status_code=row.status_code, headers={REPLAYED: "true"})


def claim(session: Session, actor: Actor, key: str, digest: str,
          now: datetime) -> IdempotencyKey | JSONResponse:
    """The claimed row to complete after the command, or the stored answer to send back."""
    cutoff = now - timedelta(hours=get_settings().idempotency_hours)
    session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.user_id) == actor.id)
                    .where(col(IdempotencyKey.created_at) < cutoff))
    found = _find(session, actor.id, key)
    if found is not None:
        return _replay(found, digest)
    row = IdempotencyKey(user_id=actor.id, key=key, request_hash=digest, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # A twin committed the same key while we waited on the index: answer as it did.
        # (the savepoint's rollback already took the pending row out of the session)
        found = _find(session, actor.id, key)
        if found is None:  # pragma: no cover - the twin rolled back after all
            raise Conflict("同一 Idempotency-Key 的请求正在处理，请稍后重试") from None
        return _replay(found, digest)
    return row


def complete(session: Session, row: IdempotencyKey, ticket_id: int, status_code: int,
             body: dict[str, Any]) -> None:
    row.ticket_id, row.status_code, row.response = ticket_id, status_code, body
    session.add(row)
    session.flush()
