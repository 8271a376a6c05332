"""A live server on a free port over a seeded SQLite copy of the migrated template.

The pages are exercised against the demo city (~200 tickets in every state), served by uvicorn
in a subprocess so that the browser and plain HTTP clients see exactly what a user would.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from hotline.core.db import make_engine
from hotline.core.settings import Settings
from hotline.tickets.models import Ticket
from hotline.units.models import Unit

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"


@dataclass
class Server:
    url: str
    db_url: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def seeded_db(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    from hotline.core.db import make_engine
    from hotline.core.settings import Settings
    from hotline.seed import seed

    path = tmp_path_factory.mktemp("web") / "demo.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(database_url=url))
    with Session(engine, expire_on_commit=False) as session:
        seed(session)
        session.commit()
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def server(seeded_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = _free_port()
    env = {**os.environ, "HOTLINE_DATABASE_URL": seeded_db, "HOTLINE_EMBEDDED_JOBS": "false",
           "HOTLINE_DEMO_MODE": "true", "HOTLINE_INBOX_REFRESH_SECONDS": "2"}
    env.pop("HOTLINE_DATABASE_SCHEMA", None)
    log = (tmp_path_factory.mktemp("web-log") / "uvicorn.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "hotline.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # generous: the machine may be busy (a start, not a timing)
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the web server did not start (see {log.name})")
        time.sleep(0.1)
    yield Server(url, seeded_db)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(base: str, username: str) -> httpx.Client:
    """An HTTP client logged in through the login page, like a browser."""
    client = httpx.Client(base_url=base, timeout=10)
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": "demo", "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


def sign_in(page: object, username: str) -> None:
    """Sign in through the login form in a Playwright page, as a person would (password demo)."""
    page.goto("/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", "demo")  # type: ignore[attr-defined]
    page.press("input[name=password]", "Enter")  # type: ignore[attr-defined]


CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _unit_id(server: Server, code: str) -> int:
    engine = make_engine(Settings(database_url=server.db_url))
    try:
        with Session(engine) as s:
            unit = s.exec(select(Unit).where(Unit.code == code)).one()
            assert unit.id is not None
            return unit.id
    finally:
        engine.dispose()


def ticket_by_number(server: Server, number: str) -> Ticket:
    """The ticket as the server's database holds it now (read beside the running server)."""
    engine = make_engine(Settings(database_url=server.db_url))
    try:
        with Session(engine, expire_on_commit=False) as s:
            return s.exec(select(Ticket).where(Ticket.number == number)).one()
    finally:
        engine.dispose()


def dispatch_new(server: Server, unit_code: str, content: str) -> str:
    """A call registered and dispatched to ``unit_code`` by the agent, through the API."""
    with httpx.Client(base_url=server.url, timeout=20) as api:
        token = api.post("/api/v1/auth/token", data={"username": "agent", "password": "demo"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        r = api.post("/api/v1/tickets", headers=headers, json={
            "caller_phone": "13700001111", "request_type": "投诉", "content": content,
            "address": "东城区东华街道桂花苑小区5栋",
            "decision": {"action": "dispatch", "lead_unit_id": _unit_id(server, unit_code)}})
        assert r.status_code == 201, r.text
        return str(r.json()["number"])
