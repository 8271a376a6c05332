"""CQ §13(四): where laws and regulations set a time limit, it applies ("从其规定").

The limits are a table operators load (name, working days, citation); a dispatch names one as
its ``legal_basis``. A name the table does not hold is the caller's error, answered 4xx with
the names it does hold — never a 500 — and 政府信息公开, which CQ §9 does not accept at all, is
no legal basis for a work order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import time_machine

import sla
from hotline.core import settings, sla_setup
from hotline.core.sla_setup import get_calendar, get_policy
from tests.rules import intake_support as support
from tests.rules.intake_support import Api, City

api, city, client, headers = support.api, support.city, support.client, support.headers

T0 = datetime.fromisoformat("2026-11-02 10:00").replace(tzinfo=sla.SHANGHAI)


def _close_due(detail: dict) -> datetime:
    return datetime.fromisoformat(next(c for c in detail["clocks"] if c["name"] == "close")["due"])


def _working_days_after(days: int) -> datetime:
    return sla.deadline_after(get_calendar(), T0, sla.Duration(days), get_policy().rule).due


def test_cq13_4_unknown_legal_basis_is_refused_listing_known_names(api: Api, city: City) -> None:
    n = api.create()["number"]
    r = api.client.post(f"/api/v1/tickets/{n}/transitions", headers=api.headers("agent"), json={
        "action": "dispatch", "lead_unit_id": city.unit("DC-DH"), "legal_basis": "不存在的条例"})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["title"] == "法定时限依据不存在" and "不存在的条例" in body["detail"]
    assert "行政许可决定" in body["known"] and "行政许可决定" in body["detail"]
    assert api.get("agent", n)["status"] == "registered"  # nothing half-done
    # The same through registration with a dispatch decision: 4xx, no ticket.
    r = api.client.post("/api/v1/tickets", headers=api.headers("agent"), json={
        "caller_phone": "13812345678", "request_type": "投诉", "content": "小区门口的路灯坏了一周",
        "decision": {"action": "dispatch", "lead_unit_id": city.unit("DC-DH"),
                     "legal_basis": "不存在的条例"}})
    assert r.status_code == 422 and r.json()["known"]


def test_cq13_4_information_disclosure_is_not_a_legal_basis(api: Api, city: City) -> None:
    """CQ §9 does not accept 政府信息公开: it cannot also be a dispatch's legal deadline."""
    names = [row["name"] for row in api.client.get(
        "/api/v1/legal-deadlines", headers=api.headers("agent")).json()]
    assert "政府信息公开" not in names
    n = api.create()["number"]
    api.act("agent", n, "dispatch", expect=422, lead_unit_id=city.unit("DC-DH"),
            legal_basis="政府信息公开")


def test_cq13_4_the_table_lists_real_limits_and_sets_the_deadline(api: Api, city: City) -> None:
    rows = api.client.get("/api/v1/legal-deadlines", headers=api.headers("agent")).json()
    by_name = {row["name"]: row for row in rows}
    assert by_name["行政许可决定"]["working_days"] == 20
    assert "行政许可法" in by_name["行政许可决定"]["citation"]
    assert by_name["劳动保障监察案件调查"]["working_days"] == 60
    assert all(row["citation"] for row in rows)
    with time_machine.travel(T0, tick=False):
        n = api.create(request_type="咨询")["number"]  # 5 working days without a legal basis
        d = api.act("agent", n, "dispatch", lead_unit_id=city.unit("DC-DH"),
                    legal_basis="劳动保障监察案件调查")
        assert _close_due(d) == _working_days_after(60)


@pytest.fixture
def operator_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "legal.csv"
    path.write_text("# 本市补充\nname,working_days,citation\n"
                    "本市测试事项,3,《本市测试条例》第一条\n行政许可决定,20,《中华人民共和国行政许可法》第四十二条\n",
                    encoding="utf-8")
    monkeypatch.setenv("HOTLINE_LEGAL_DEADLINES_FILE", str(path))
    settings.get_settings.cache_clear()
    sla_setup.reload()
    yield path
    monkeypatch.delenv("HOTLINE_LEGAL_DEADLINES_FILE")
    settings.get_settings.cache_clear()
    sla_setup.reload()


def test_cq13_4_operators_load_their_own_table(api: Api, city: City, operator_table: Path) -> None:
    names = {row["name"]: row for row in api.client.get(
        "/api/v1/legal-deadlines", headers=api.headers("agent")).json()}
    assert names["本市测试事项"] == {"name": "本市测试事项", "working_days": 3,
                                   "citation": "《本市测试条例》第一条"}
    assert "劳动保障监察案件调查" not in names  # the operator's table replaces the bundled one
    with time_machine.travel(T0, tick=False):
        n = api.create()["number"]
        d = api.act("agent", n, "dispatch", lead_unit_id=city.unit("DC-DH"), legal_basis="本市测试事项")
        assert _close_due(d) == _working_days_after(3)
