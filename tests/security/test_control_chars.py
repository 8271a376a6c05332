"""Issue 15 §10: NUL and other control characters are refused with 422 the same way on SQLite
and PostgreSQL — in JSON bodies (values and keys), forms, text bodies, query strings and paths —
never a 500, and nothing of them is stored. TAB, LF and CR are text and pass."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hotline.tickets.models import Ticket
from tests.hotline.conftest import Api, City

CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f"]
GOOD = {"caller_phone": "13812345678", "caller_name": "张先生", "request_type": "投诉",
        "content": "楼下烧烤店油烟噪声扰民到凌晨两点。", "address": "东城区东华街道桂花苑"}


def _refused(r: Any) -> None:
    assert r.status_code == 422, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("ch", CONTROLS)
def test_json_bodies_forms_queries_and_paths(client: TestClient, api: Api, headers: Any,
                                             city: City, engine: Engine, ch: str) -> None:
    agent = headers("agent")
    for field in ("content", "address", "caller_name"):
        _refused(client.post("/api/v1/tickets", json={**GOOD, field: f"噪声{ch}扰民"}, headers=agent))
    _refused(client.post("/api/v1/tickets", json={**GOOD, f"x{ch}": 1}, headers=agent))
    number = api.create()["number"]
    _refused(client.post(f"/api/v1/tickets/{number}/transitions", headers=agent,
                         json={"action": "answer_directly", "answer": f"已答复{ch}"}))
    _refused(client.get("/api/v1/tickets", params={"q": f"烧烤{ch}"}, headers=agent))
    _refused(client.get(f"/api/v1/tickets/{number}{quote(ch)}", headers=agent))
    _refused(client.post("/api/v1/auth/token", data={"username": f"agent{ch}", "password": "demo"}))
    _refused(client.post("/api/v1/users", headers=headers("admin"),
                         json={"username": "newbie", "full_name": f"新{ch}人", "role": "agent",
                               "unit_id": city.unit("HL"), "password": "long-enough"}))
    _refused(client.put("/api/v1/routing/catalogue",
                        headers={**headers("admin"), "Content-Type": "text/csv"},
                        content=f"category,unit\n噪声{ch},ZJW\n".encode()))
    with Session(engine) as s:  # nothing of it was stored
        assert [t.content for t in s.exec(select(Ticket))] == [GOOD["content"]]


def test_tab_newline_and_carriage_return_are_text(client: TestClient, headers: Any,
                                                  city: City) -> None:
    r = client.post("/api/v1/tickets", json={**GOOD, "content": "第一行\r\n第二行\t完"},
                    headers=headers("agent"))
    assert r.status_code == 201, r.text


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(text=st.text(alphabet=st.characters(max_codepoint=0x9F, exclude_categories=("Cs",)),
                    min_size=1, max_size=30))
def _fuzz(client: TestClient, agent: dict[str, str], text: str) -> None:
    r = client.post("/api/v1/tickets", json={**GOOD, "content": "诉求" + text,
                                             "caller_name": text}, headers=agent)
    assert r.status_code < 500, r.text
    r = client.get("/api/v1/tickets", params={"q": text}, headers=agent)
    assert r.status_code < 500, r.text


def test_hypothesis_control_text_never_500(client: TestClient, headers: Any, city: City) -> None:
    _fuzz(client, headers("agent"))


@pytest.mark.parametrize("raw, refused", [
    ('{"a": "\\u0000"}', True), ('{"a": "\\u001F"}', True), ('{"a": "\\u007f"}', True),
    ('{"a": "\\b"}', True), ('{"a": "\\f"}', True), ('{"\\u0001": 1}', True),
    ('{"a": "x\\\\u0000"}', False),  # an escaped backslash, then the text "u0000"
    ('{"a": "\\n\\t\\r\\"\\/"}', False), ('{"a": "楼下烧烤店油烟噪声扰民"}', False),
    ('{"a": "\x01"}', False),  # raw control inside a string is not JSON: the route's own 422
    ('{"a": "\x7f"}', True),  # raw DEL is valid JSON
])
def test_json_escapes_are_read_as_what_they_decode_to(raw: str, refused: bool) -> None:
    """Most bodies skip the JSON parse (no backslash, no raw control: nothing can decode to
    one); every way JSON can spell a control character still reaches the full check."""
    from hotline.web.controlchars import _body_has_control

    assert _body_has_control("application/json", raw.encode()) is refused


@pytest.mark.parametrize("encode", [
    lambda t: b"\xef\xbb\xbf" + t.encode(), lambda t: t.encode("utf-16"),
    lambda t: t.encode("utf-16-le"), lambda t: t.encode("utf-32")],
    ids=["utf-8 BOM", "utf-16", "utf-16-le", "utf-32"])
def test_bodies_fastapi_decodes_other_ways_are_checked_as_it_decodes_them(
        client: TestClient, headers: Any, city: City, engine: Engine, encode: Any) -> None:
    """FastAPI reads a JSON body with ``json.loads(bytes)``, which also takes a BOM, UTF-16 and
    UTF-32: a NUL sent that way was stored on SQLite and a 500 on PostgreSQL (the check decoded
    the body as UTF-8 and, failing to parse it, let it through)."""
    import json

    agent = {**headers("agent"), "Content-Type": "application/json"}
    bad = json.dumps({**GOOD, "content": "噪声\x00扰民"}, ensure_ascii=False)
    _refused(client.post("/api/v1/tickets", content=encode(bad), headers=agent))
    good = json.dumps(GOOD, ensure_ascii=False)
    assert client.post("/api/v1/tickets", content=encode(good), headers=agent).status_code == 201
    with Session(engine) as s:
        assert [t.content for t in s.exec(select(Ticket))] == [GOOD["content"]]
