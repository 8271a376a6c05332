"""A ticket's history made tamper-evident: each event row carries an HMAC of its own content and
of the previous row's hash, and ``event_chain_heads`` remembers each ticket's last link.

The API never edits or deletes an event (CQ §16), but someone with the database could. With the
chain, editing a row breaks its own hash, deleting one breaks the next row's ``prev_hash`` (or,
for the last row, the head), and swapping two rows' order breaks both — ``hotline audit verify``
recomputes every chain and names the first broken link of each ticket. The key is
``HOTLINE_AUDIT_KEY`` (else derived from ``HOTLINE_SECRET_KEY``) and is not in the database, so
rewriting a row *and* its hash takes the server's secret as well as the database.

Every writer of ``ticket_events`` is covered without knowing of it: ORM inserts (commands,
notes) are sealed by a ``before_insert`` listener on the model, Core inserts (a registration's
first row, the SLA scan's reminders) by ``seal_rows`` in ``history.insert_numbered``. Two
writers racing on one ticket still meet the unique (ticket, seq) index first, so the chain never
forks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapper

from hotline.core.columns import table_of
from hotline.core.settings import get_settings
from hotline.tickets.models import EventChainHead, TicketEvent

GENESIS = "0" * 64
HASHED = ("ticket_id", "seq", "action", "from_status", "to_status", "actor_id", "actor_unit_id",
          "actor_name", "actor_unit_name", "reason", "payload", "at")


def _key() -> bytes:
    s = get_settings()
    secret = s.audit_key or s.secret_key
    return hmac.new(secret.encode(), b"hotline-event-chain-v1", hashlib.sha256).digest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, str):
        return str(value)  # a StrEnum member hashes as its value
    return value


def digest(values: dict[str, Any], prev: str, key: bytes | None = None) -> str:
    """The HMAC of one event row's content (the HASHED columns) chained to `prev`."""
    body = {name: _plain(values.get(name)) for name in HASHED}
    body["payload"] = json.loads(json.dumps(values.get("payload") or {}, default=str))
    text = json.dumps([prev, body], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key or _key(), text.encode(), hashlib.sha256).hexdigest()


_EVENTS = table_of(TicketEvent)
_HEADS = table_of(EventChainHead)
_PENDING = "hotline_event_chain"
# Built once: every command runs them, and building them anew cost more than running them.
_PREV = select(_EVENTS.c.hash).where(_EVENTS.c.ticket_id == bindparam("tid"),
                                     _EVENTS.c.seq == bindparam("prev_seq"))
_MOVE_HEAD = (update(_HEADS).where(_HEADS.c.ticket_id == bindparam("tid"))
              .values(seq=bindparam("new_seq"), hash=bindparam("new_hash")))
_NEW_HEAD = _HEADS.insert()


def _prev_hash(conn: Connection, ticket_id: int, seq: int) -> str:
    if seq <= 1:
        return GENESIS
    # Rows sealed earlier in this same flush are not in the database yet.
    pending: dict[tuple[int, int], str] = conn.info.setdefault(_PENDING, {})
    found = conn.execute(_PREV, {"tid": ticket_id, "prev_seq": seq - 1}).scalar()
    found = found or pending.get((ticket_id, seq - 1))
    if found is None:
        # A writer sealed a row before the one it follows was written or sealed: linking it to
        # the genesis would be a broken chain that only ``audit verify`` notices. Fail closed.
        raise RuntimeError(f"event {ticket_id}/{seq} sealed before event {seq - 1}")
    return found


def _advance_head(conn: Connection, ticket_id: int, seq: int, value: str) -> None:
    # A ticket's first event starts its chain: the head is new (one statement at registration).
    moved = {"tid": ticket_id, "new_seq": seq, "new_hash": value}
    done = seq > 1 and conn.execute(_MOVE_HEAD, moved).rowcount
    if not done:
        conn.execute(_NEW_HEAD, {"ticket_id": ticket_id, "seq": seq, "hash": value})


def seal(conn: Connection, values: dict[str, Any]) -> tuple[str, str]:
    """(prev_hash, hash) for a row about to be inserted; moves the ticket's head to it."""
    ticket_id, seq = int(values["ticket_id"]), int(values["seq"])
    prev = _prev_hash(conn, ticket_id, seq)
    value = digest(values, prev)
    conn.info.setdefault(_PENDING, {})[(ticket_id, seq)] = value
    _advance_head(conn, ticket_id, seq, value)
    return prev, value


def seal_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Seal column dicts for a bulk insert, in order (the caller numbered them already)."""
    for row in rows:
        row.setdefault("actor_name", None)
        row.setdefault("actor_unit_name", None)
        row["prev_hash"], row["hash"] = seal(conn, row)


@event.listens_for(TicketEvent, "before_insert")
def _seal_event(_mapper: Mapper[Any], conn: Connection, target: TicketEvent) -> None:
    values = {name: getattr(target, name) for name in HASHED}
    target.prev_hash, target.hash = seal(conn, values)


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget_pending(conn: Connection) -> None:
    # A connection that lost its database (invalidated) cannot reach its info any more, and
    # raising here would turn the database's error into another one; its info is cleared when
    # the pool connects again.
    if not conn.invalidated:
        conn.info.pop(_PENDING, None)


@dataclass
class Problem:
    ticket_id: int
    seq: int | None
    what: str


def verify(conn: Connection) -> tuple[int, list[Problem]]:
    """Recompute every ticket's chain: (events checked, the first problem of each ticket)."""
    key = _key()
    heads = {r.ticket_id: (r.seq, r.hash) for r in conn.execute(select(_HEADS))}
    problems: list[Problem] = []
    checked = 0
    current: int | None = None
    prev, expect_seq, broken = GENESIS, 1, False

    def close(ticket_id: int | None) -> None:
        if ticket_id is None:
            return
        head = heads.pop(ticket_id, None)
        if not broken and head != (expect_seq - 1, prev):
            problems.append(Problem(ticket_id, expect_seq - 1,
                                    "末尾事件被删除或链头不符 (last event deleted or head mismatch)"))

    rows = conn.execute(select(_EVENTS).order_by(_EVENTS.c.ticket_id, _EVENTS.c.seq))
    for row in rows.mappings():
        if row["ticket_id"] != current:
            close(current)
            current, prev, expect_seq, broken = row["ticket_id"], GENESIS, 1, False
        checked += 1
        if broken:
            continue
        values = dict(row)
        if row["seq"] != expect_seq:
            what = "事件缺失或顺序被改 (event deleted or reordered)"
        elif row["prev_hash"] != prev:
            what = "链接断开：前一事件被删除、改动或调换 (previous event deleted, edited or moved)"
        elif row["hash"] != digest(values, prev, key):
            what = "事件内容被改动 (event edited)"
        else:
            prev, expect_seq = row["hash"], expect_seq + 1
            continue
        problems.append(Problem(row["ticket_id"], row["seq"], what))
        broken = True
    close(current)
    for ticket_id, (seq, _) in heads.items():
        problems.append(Problem(ticket_id, seq, "事件全部缺失 (all events deleted)"))
    return checked, problems
