"""A registration's own writes (issue 13): the ticket, its first history row and the caller's SMS
are Core inserts (the ticket answered as a loaded object, ``core/loaded_insert.py``). The path
makes no unit-of-work flush at all, and the rows are as complete as the ORM wrote them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from hotline.callers.messaging import queue
from hotline.callers.models import CallerMessage, MessageState, Occasion
from hotline.core.times import utcnow
from hotline.tickets.chain import verify
from hotline.tickets.models import Status, Ticket, TicketEvent, Urgency

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


def test_a_registration_makes_no_unit_of_work_flush(
        client: TestClient, headers: Callable[[str], dict[str, str]], engine: Engine,
        flushes: list[int]) -> None:
    """The ticket is written by one Core statement too (its constructor and its flush were
    two fifths of a registration's Python work); the history row, its chain head and the SMS row
    paid a second flush of their own before that (16 % of the intake's GIL time)."""
    agent = headers("agent")  # signing in writes too
    flushes.clear()
    r = client.post("/api/v1/tickets", json=BODY, headers=agent)
    assert r.status_code == 201, r.text
    assert flushes == []
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


@pytest.mark.parametrize("phone", ["13812345678", ""])
def test_the_ticket_row_is_what_the_orm_constructor_wrote(
        client: TestClient, headers: Callable[[str], dict[str, str]], engine: Engine,
        city: Any, phone: str) -> None:
    """Every column the registration stores equals what ``Ticket(...)`` and a flush stored before
    the Core insert, defaults included; a withheld number still gets its lookup code (CQ §11)."""
    body = {**BODY, "caller_phone": phone or None, "caller_phone_withheld": not phone,
            "caller_name": "张先生", "category": "城市管理/占道经营", "urgency": "urgent"}
    r = client.post("/api/v1/tickets", json=body, headers=headers("agent"))
    assert r.status_code == 201, r.text
    with Session(engine) as s:
        stored = s.exec(select(Ticket).where(Ticket.number == r.json()["number"])).one()
        by_constructor = Ticket(
            number=stored.number, channel="phone", caller_name="张先生", caller_phone=phone,
            request_type="投诉", category="城市管理/占道经营", content=BODY["content"],
            address=BODY["address"], urgency=Urgency.urgent, status=Status.registered,
            created_by_id=city.users["agent"].id, created_at=stored.created_at,
            updated_at=stored.updated_at, route=[], lookup_code=stored.lookup_code)
        columns = [c.key for c in Ticket.__table__.columns if c.key != "id"]  # type: ignore[attr-defined]
        assert {k: getattr(stored, k) for k in columns} == {
            k: getattr(by_constructor, k) for k in columns}
        assert stored.created_at == stored.updated_at
        if phone:
            assert stored.lookup_code is None
        else:
            assert stored.lookup_code and len(stored.lookup_code) == 8


@pytest.mark.parametrize("phone, state", [("13812345678", MessageState.pending),
                                          ("12345", MessageState.suppressed)])
def test_a_queued_message_is_written_at_once(
        client: TestClient, headers: Callable[[str], dict[str, str]], engine: Engine,
        phone: str, state: MessageState) -> None:
    """``queue`` writes the row before the command's next flush and answers its id (what the
    extension's history row cites), complete as the ORM wrote it."""
    number = client.post("/api/v1/tickets", json={**BODY, "caller_phone": phone},
                         headers=headers("agent")).json()["number"]
    with Session(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        message_id = queue(s, ticket, Occasion.merged, {"number": number, "target": number},
                           utcnow())
        row = s.get(CallerMessage, message_id)  # readable in the same transaction
        assert row is not None and row.ticket_id == ticket.id and row.state == state
        assert row.template_id == "HOTLINE_MERGED" and row.attempts == 0 and row.out_id
        assert (row.next_attempt_at is None) == (state == MessageState.suppressed)
        assert (row.reason == "withheld") == (state == MessageState.suppressed)
        s.commit()


@pytest.mark.parametrize("phone", ["13812345678", "12345", "023-63001234"])
def test_a_registration_with_a_decision_keeps_one_sealed_history(
        client: TestClient, headers: Callable[[str], dict[str, str]], engine: Engine,
        city: Any, phone: str) -> None:
    """The first row is a Core insert, the caller's "not told" note (withheld, landline) and the
    decision are ORM rows sealed by the mapper's listener, in one transaction: the chain links
    them in order on both databases."""
    agent = headers("agent")
    r = client.post("/api/v1/tickets", headers=agent, json={
        **BODY, "caller_phone": phone, "decision": {"action": "dispatch",
                                                    "lead_unit_id": city.unit("DC")}})
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert client.post(f"/api/v1/tickets/{number}/transitions", headers=headers("dongcheng"),
                       json={"action": "sign"}).status_code == 200
    events = client.get(f"/api/v1/tickets/{number}", headers=agent).json()["events"]
    told = [] if phone == "13812345678" else ["caller_not_notified"]
    assert [e["action"] for e in events] == ["register", *told, "dispatch", "sign"]
    with engine.connect() as conn:
        assert verify(conn) == (len(events), [])
