"""The commands `make run` relies on, and the pages it serves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from hotline.cli import app
from hotline.tickets.models import Ticket, TicketEvent
from hotline.units.models import User
from tests.conftest import REPO

runner = CliRunner()


def test_seed_demo_on_both_backends(engine: Engine) -> None:
    result = runner.invoke(app, ["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "演示数据已生成" in result.output and "demo" in result.output
    with Session(engine) as s:
        tickets = s.exec(select(Ticket)).all()
        statuses = {t.status for t in tickets}
        assert len(tickets) == 200
        assert {"registered", "dispatched", "in_progress", "returned", "replied", "visited",
                "verifying", "rework", "closed", "answered", "not_accepted", "emergency",
                "archived"} <= statuses
        roles = set(s.exec(select(User.role)).all())
        assert roles == {"agent", "unit_handler", "unit_manager", "supervisor", "admin"}
        # Every ticket's history starts with its registration (one event per command).
        firsts = s.exec(select(TicketEvent).where(TicketEvent.seq == 1)).all()
        assert {e.action for e in firsts} == {"register"} and len(firsts) == 200
    assert "逾期" in result.output and "预警" in result.output
    again = runner.invoke(app, ["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "跳过" in again.output
    refused = runner.invoke(app, ["seed-demo"])
    assert refused.exit_code == 2 and "已有数据" in refused.output


def test_seeded_demo_has_warnings(engine: Engine) -> None:
    from datetime import datetime

    from hotline.seed import seed
    from sla import SHANGHAI

    now = datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)  # a Wednesday: deterministic
    with Session(engine) as s:
        report = seed(s, tickets=200, now=now)
        s.commit()
    assert report.overdue >= 10 and report.at_risk >= 5, report


def test_users_create(engine: Engine) -> None:
    runner.invoke(app, ["seed-demo"])
    ok = runner.invoke(app, ["users", "create", "lisi", "--role", "agent", "--unit", "HL",
                             "--password", "secret-pass"])
    assert ok.exit_code == 0, ok.output
    bad_unit = runner.invoke(app, ["users", "create", "wangwu", "--role", "agent", "--unit", "NOPE",
                                   "--password", "secret-pass"])
    assert bad_unit.exit_code == 2 and "单位编码不存在" in bad_unit.output
    dup = runner.invoke(app, ["users", "create", "lisi", "--role", "agent", "--unit", "HL",
                              "--password", "secret-pass"])
    assert dup.exit_code == 2 and "用户名已存在" in dup.output
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(User).where(User.username == "lisi")).one() == 1


def test_db_upgrade_from_empty_sqlite(tmp_path: Path) -> None:
    """`hotline db upgrade` as `make run` calls it, in a fresh process on a new file."""
    env = {**os.environ, "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/new.db"}
    env.pop("HOTLINE_DATABASE_SCHEMA", None)
    hotline = str(Path(sys.executable).with_name("hotline"))
    for args in (["db", "upgrade"], ["seed-demo", "--if-empty", "--tickets", "20"],
                 ["seed-demo", "--if-empty"]):
        out = subprocess.run([hotline, *args], env=env, cwd=REPO, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
    assert "跳过" in out.stdout


def test_health_docs_and_home(client: TestClient) -> None:
    h = client.get("/healthz")
    assert h.status_code == 200 and h.json()["status"] == "ok"
    assert "provisional_years" in h.json()["calendar"]
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/v1/tickets/{number}/transitions" in schema["paths"]
    home = client.get("/")
    assert home.status_code == 200 and "12345" in home.text and "/docs" in home.text


def test_me_and_admin_crud(client: TestClient, headers: object, city: object) -> None:
    h = headers("admin")  # type: ignore[operator]
    me = client.get("/api/v1/me", headers=h).json()
    assert me["role"] == "admin" and me["unit_kind"] == "hotline"
    hl = next(u for u in client.get("/api/v1/units", headers=h).json() if u["kind"] == "hotline")
    r = client.post("/api/v1/units", headers=h, json={"code": "NH-NEW", "name": "新区街道",
                                                      "kind": "street", "parent_id": hl["id"]})
    assert r.status_code == 201 and r.json()["path"].startswith(hl["path"])
    dup = client.post("/api/v1/units", headers=h, json={"code": "NH-NEW", "name": "重复",
                                                        "kind": "street", "parent_id": hl["id"]})
    assert dup.status_code == 409
    u = client.post("/api/v1/users", headers=h, json={"username": "newbie", "full_name": "新人",
                                                      "role": "agent", "unit_id": hl["id"],
                                                      "password": "long-enough"})
    assert u.status_code == 201
    off = client.patch(f"/api/v1/users/{u.json()['id']}", headers=h, json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    login = client.post("/api/v1/auth/token", data={"username": "newbie", "password": "long-enough"})
    assert login.status_code == 401
    agent = headers("agent")  # type: ignore[operator]
    assert client.post("/api/v1/users", headers=agent, json={}).status_code in (403, 422)
    assert client.get("/api/v1/users", headers=agent).status_code == 403
