"""The agent console's knowledge hits (issue 16): live hits beside the routing suggestion as the
agent types, one click answers directly with the entry, and the entry's use is counted."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from hotline.core.db import make_engine
from hotline.core.settings import Settings
from hotline.kb.models import KbEntry
from hotline.tickets.models import Ticket
from tests.web.conftest import Server, csrf_of, login

pytestmark = pytest.mark.xdist_group("web")


def test_console_shows_knowledge_hits_and_answers_with_one_click(server: Server) -> None:
    agent = login(server.url, "agent")
    r = agent.get("/console/assist", params={"caller_phone": "13812345678", "content": "社保卡丢了怎么补办",
                                             "request_type": "咨询"})
    assert r.status_code == 200 and 'id="kb-hits"' in r.text and 'id="suggestion"' in r.text
    first = re.search(r'name="decision" value="kb:(\d+)"', r.text)
    assert first, r.text
    entry_id = int(first.group(1))
    engine = make_engine(Settings(database_url=server.db_url))
    try:
        with Session(engine) as s:
            entry = s.get(KbEntry, entry_id)
            assert entry is not None and entry.title == "社保卡补办需要哪些材料"
            uses = entry.use_count
        form = {"csrf_token": csrf_of(agent.get("/console").text), "caller_phone": "13812345678",
                "request_type": "咨询", "content": "社保卡丢了怎么补办", "decision": f"kb:{entry_id}",
                f"kb_answer_{entry_id}": entry.answer}
        r = agent.post("/console", data=form)
        assert r.status_code == 303, r.text
        number = r.headers["location"].split("created=")[1]
        with Session(engine) as s:
            ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
            assert str(ticket.status) == "answered" and ticket.reply_content == entry.answer
            assert s.get(KbEntry, entry_id).use_count == uses + 1  # type: ignore[union-attr]
        # an entry id that is not usable is refused with a readable page
        r = agent.post("/console", data={**form, "decision": "kb:999999"})
        assert r.status_code == 422 and "知识条目" in r.text
    finally:
        engine.dispose()
