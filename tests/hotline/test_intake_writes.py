"""A registration's own writes (issue 13): the ticket goes through the ORM, its first history row
and the caller's SMS as Core inserts. The path keeps one unit-of-work flush, and the rows are as
complete as the ORM wrote them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from hotline.callers.messaging import queue
from hotline.callers.models import CallerMessage, MessageState, Occasion
from hotline.core.times import utcnow
from hotline.tickets.chain import verify
from hotline.tickets.models import Ticket, TicketEvent

BODY = {"caller_phone": "13812345678", "request_type": "投诉",
        "content": "小区门口夜市摊贩占道经营，油烟噪声扰民。", "address": "东城区东华街道东华路"}


@pytest.fixture
def flushes() -> Iterator[list[int]]:
    """The objects each real unit-of-work flush wrote (a flush with nothing to do is not one)."""
    seen: list[int] = []

    def count(session: OrmSession, _context: Any) -> None:
        seen.append(len(session.new) + len(session.dirty))

    event.listen(OrmSession, "after_flush", count)
    yield seen
    event.remove(OrmSession, "after_flush", count)


def test_a_registration_flushes_the_orm_once(
        client: TestClient, headers: Callable[[str], dict[str, str]], engine: Engine,
        flushes: list[int]) -> None:
    """The ticket alone; the history row, its chain head and the SMS row paid a second flush
    of their own before (16 % of the intake's GIL time)."""
    agent = headers("agent")  # signing in writes too
    flushes.clear()
    r = client.post("/api/v1/tickets", json=BODY, headers=agent)
    assert r.status_code == 201, r.text
    assert flushes == [1]
    number = r.json()["number"]
    with Session(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        first = s.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).one()
        assert (first.seq, first.action, first.to_status, first.from_status) == (
            1, "register", "registered", None)
        assert first.actor_name and first.actor_unit_name and first.prev_hash and first.hash
        assert first.payload == {"channel": ticket.channel, "request_type": "投诉"}
        sms = s.exec(select(CallerMessage).where(CallerMessage.ticket_id == ticket.id)).one()
        assert sms.state == MessageState.pending and sms.next_attempt_at is not None
        assert sms.params["number"] == number and sms.attempts == 0
    with engine.connect() as conn:
        assert verify(conn)[1] == []


@pytest.mark.parametrize("phone, state", [("13812345678", MessageState.pending),
                                          ("12345", MessageState.suppressed)])
def test_a_queued_message_is_written_once_and_comes_back_detached(
        client: TestClient, headers: Callable[[str], dict[str, str]], engine: Engine,
        phone: str, state: MessageState) -> None:
    """The row is in the database before the command's next flush, carries its id, and
    attaching it to a session later never inserts it a second time."""
    number = client.post("/api/v1/tickets", json={**BODY, "caller_phone": phone},
                         headers=headers("agent")).json()["number"]
    with Session(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        row = queue(s, ticket, Occasion.merged, {"number": number, "target": number}, utcnow())
        assert row.id is not None and row not in s
        assert s.get(CallerMessage, row.id) is not None  # written, readable in the transaction
        s.add(row)
        s.flush()
        rows = s.exec(select(func.count()).select_from(CallerMessage)
                      .where(CallerMessage.ticket_id == ticket.id)
                      .where(CallerMessage.occasion == Occasion.merged)).one()
        assert rows == 1 and row.state == state
        s.commit()
