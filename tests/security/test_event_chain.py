"""Finding 8: a tamper-evident event log. Each ticket's events form an HMAC chain; `hotline audit
verify` names an edited, deleted or reordered row (the test edits rows in SQL, then verifies).
Also: events keep the actor's name as it was when they acted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from hotline.tickets.chain import verify
from tests.security.conftest import Api, City

REPO = Path(__file__).resolve().parents[2]


def _ticket(api: Api, city: City) -> tuple[str, int]:
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC"))
    api.act("dongcheng", number, "sign")
    api.act("dongcheng", number, "forward", to_unit_id=city.unit("DC-DH"), note="街道办理")
    api.act("supervisor", number, "supervise", reason="请加快办理")
    return number, len(api.get("agent", number)["events"])


def _ticket_id(engine: Engine, number: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM tickets WHERE number = :n"), {"n": number}).scalar_one())


def _problems(engine: Engine) -> list[tuple[int, int | None, str]]:
    with engine.connect() as conn:
        _, problems = verify(conn)
    return [(p.ticket_id, p.seq, p.what) for p in problems]


def _cli_verify() -> subprocess.CompletedProcess[str]:
    """The real command, in its own process, on this test's database."""
    return subprocess.run([sys.executable, "-m", "hotline.cli", "audit", "verify"], cwd=REPO,
                          env=dict(os.environ), capture_output=True, text=True, timeout=120)


def test_an_untouched_history_verifies(api: Api, city: City, engine: Engine) -> None:
    _ticket(api, city)
    _ticket(api, city)
    assert _problems(engine) == []
    run = _cli_verify()
    assert run.returncode == 0, run.stderr
    assert "事件链完好" in run.stdout


def test_an_edited_row_is_found(api: Api, city: City, engine: Engine) -> None:
    number, _ = _ticket(api, city)
    _ticket(api, city)  # another ticket, untouched
    tid = _ticket_id(engine, number)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ticket_events SET reason = '无' WHERE ticket_id = :t AND seq = 3"),
                     {"t": tid})
    assert [(t, s) for t, s, _ in _problems(engine)] == [(tid, 3)]
    run = _cli_verify()
    assert run.returncode == 1 and f"工单 #{tid} 事件 3" in run.stderr and "改动" in run.stderr


def test_an_edit_with_a_recomputed_plain_hash_is_still_found(api: Api, city: City, engine: Engine) -> None:
    """Whoever edits must also know the server's key: a hash made without it does not fit."""
    import hashlib

    number, _ = _ticket(api, city)
    tid = _ticket_id(engine, number)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ticket_events SET actor_id = NULL, hash = :h "
                          "WHERE ticket_id = :t AND seq = 2"),
                     {"t": tid, "h": hashlib.sha256(b"forged").hexdigest()})
    assert [(t, s) for t, s, _ in _problems(engine)] == [(tid, 2)]


def test_a_deleted_row_is_found(api: Api, city: City, engine: Engine) -> None:
    number, _ = _ticket(api, city)
    tid = _ticket_id(engine, number)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ticket_events WHERE ticket_id = :t AND seq = 2"), {"t": tid})
    assert [(t, s) for t, s, _ in _problems(engine)] == [(tid, 3)]
    assert _cli_verify().returncode == 1


def test_a_deleted_last_row_is_found(api: Api, city: City, engine: Engine) -> None:
    number, count = _ticket(api, city)
    tid = _ticket_id(engine, number)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ticket_events WHERE ticket_id = :t AND seq = :s"),
                     {"t": tid, "s": count})
    assert [(t, s) for t, s, _ in _problems(engine)] == [(tid, count - 1)]


def test_reordered_rows_are_found(api: Api, city: City, engine: Engine) -> None:
    number, _ = _ticket(api, city)
    tid = _ticket_id(engine, number)
    with engine.begin() as conn:  # swap seq 2 and 3 (through a free number: the index is unique)
        for old, new in ((2, 1000), (3, 2), (1000, 3)):
            conn.execute(text("UPDATE ticket_events SET seq = :new WHERE ticket_id = :t AND seq = :old"),
                         {"t": tid, "old": old, "new": new})
    assert [(t, s) for t, s, _ in _problems(engine)] == [(tid, 2)]
    assert _cli_verify().returncode == 1


def test_the_scans_bulk_events_are_chained_too(api: Api, city: City, engine: Engine) -> None:
    from sqlmodel import Session

    from hotline.tickets import history
    from hotline.tickets.models import Ticket

    number, count = _ticket(api, city)
    with Session(engine) as s:
        t = s.exec(__import__("sqlmodel").select(Ticket).where(Ticket.number == number)).one()
        history.insert_many(s, [
            {"ticket_id": t.id, "action": "auto_reminder", "from_status": t.status,
             "to_status": t.status, "actor_id": None, "actor_unit_id": None, "reason": "即将超时",
             "payload": {"stage": "reminder"}, "at": t.created_at} for _ in range(2)])
        s.commit()
    assert _problems(engine) == []
    assert len(api.get("agent", number)["events"]) == count + 2


def test_events_keep_the_actors_name_as_it_was(api: Api, city: City, client: TestClient,
                                                headers: object) -> None:
    number, _ = _ticket(api, city)
    before = {e["seq"]: (e["actor"], e["actor_unit"]) for e in api.get("agent", number)["events"]}
    sign = next(seq for seq, e in enumerate(api.get("agent", number)["events"], 1)
                if e["action"] == "sign")
    admin = headers("admin")  # type: ignore[operator]
    uid = city.users["dongcheng"].id
    r = client.patch(f"/api/v1/users/{uid}", headers=admin, json={"full_name": "改名后的人"})
    assert r.status_code == 200, r.text
    after = {e["seq"]: (e["actor"], e["actor_unit"]) for e in api.get("agent", number)["events"]}
    assert after == before
    assert after[sign][0] == city.users["dongcheng"].full_name != "改名后的人"
