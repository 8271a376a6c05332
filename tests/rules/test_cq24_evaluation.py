"""CQ §24: the monthly monitoring and yearly evaluation of the units cannot be gamed.

Hand-built tickets over HTTP (SQLite and PostgreSQL); every expected figure is worked out by hand
from docs/METRICS.md. Work left undone counts in the month its deadline fell due; a unit that
sends everything back cannot score 100; the doc cites only commands and endpoints that exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient

from sla import SHANGHAI
from tests.hotline.conftest import Api, City

ROOT = Path(__file__).resolve().parents[2]


def nov(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def travel() -> Iterator[Callable[[datetime], None]]:
    with time_machine.travel(nov(2, 9), tick=False) as tm:
        yield tm.move_to


def _metrics(client: TestClient, headers: Any, **period: Any) -> dict[str, dict[str, Any]]:
    r = client.get("/api/v1/supervision/metrics", params=period, headers=headers("supervisor"))
    assert r.status_code == 200, r.text
    return {u["unit_name"]: u for u in r.json()["units"]}


def _build(api: Api, city: City, travel: Callable[[datetime], None]) -> dict[str, str]:
    """市市场监督管理局 (SJJ) in November 2026: A never signed, B clean, C signed late and
    returned in time, D an enforcement matter answered on time and rated badly."""
    sjj = city.unit("SJJ")
    numbers = {k: api.create(**extra)["number"] for k, extra in
               (("A", {}), ("B", {}), ("C", {}), ("D", {"category": "市场监管/行政执法"}))}
    for n in numbers.values():
        api.act("agent", n, "dispatch", lead_unit_id=sjj)
    travel(nov(2, 10))
    api.act("scjg", numbers["B"], "sign")
    api.act("scjg", numbers["D"], "sign")
    travel(nov(4, 10))
    api.act("scjg", numbers["C"], "sign")            # transfer due was the end of 11-03: late
    travel(nov(4, 11))
    api.act("scjg", numbers["C"], "return", reason="不属本局职责")  # within 2 wd of receipt
    travel(nov(5, 10))
    api.act("scjg", numbers["B"], "reply", content="已约谈商家并退款")
    travel(nov(6, 10))
    api.act("scjg", numbers["D"], "reply", content="已立案查处")
    api.act("agent", numbers["B"], "visit", rating="satisfied", resolved=True, method="sms")
    travel(nov(9, 10))
    api.act("agent", numbers["D"], "visit", rating="dissatisfied", resolved=False)
    return numbers


def test_cq24_unsigned_and_unanswered_tickets_count_in_the_month_they_fell_due(
        api: Api, city: City, client: TestClient, headers: Any,
        travel: Callable[[datetime], None]) -> None:
    numbers = _build(api, city, travel)
    travel(datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI))
    m = _metrics(client, headers, month="2026-11")["市市场监督管理局"]
    assert m["received"] == 4
    # 按时签收率: B and D on time, C late, A still unsigned past its transfer due (11-03).
    assert (m["signed"], m["signed_on_time"], m["unsigned_overdue"]) == (3, 2, 1)
    assert m["on_time_sign_rate"] == 0.5
    # 按时办结率: B and D on time; A's close due (11-23) passed with no reply.
    assert (m["replied"], m["replied_on_time"], m["unanswered_overdue"]) == (2, 2, 1)
    assert m["on_time_close_rate"] == 0.6667
    # Signed in December, A's late sign-for does not count a second time there.
    travel(datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI))
    api.act("scjg", numbers["A"], "sign")
    dec = _metrics(client, headers, month="2026-12").get("市市场监督管理局")
    assert dec is None or (dec["signed"], dec["unsigned_overdue"]) == (0, 0)
    yearly = _metrics(client, headers, year=2026)["市市场监督管理局"]
    assert yearly["received"] == 4 and yearly["unanswered_overdue"] == 1


def test_cq24_score_formula_on_hand_built_tickets(
        api: Api, city: City, client: TestClient, headers: Any,
        travel: Callable[[datetime], None]) -> None:
    _build(api, city, travel)
    travel(datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI))
    m = _metrics(client, headers, month="2026-11")["市市场监督管理局"]
    assert m["satisfaction_rate"] == 1.0     # D is an enforcement matter: excluded by category
    assert m["resolution_rate"] == 0.5 and m["return_rate"] == 0.25
    assert m["improper_return_rate"] == 0.0 and m["late_return_rate"] == 0.0
    # docs/METRICS.md: 100 × Σ wᵢ·rateᵢ ÷ Σ wᵢ over the rates that exist (no extensions here):
    parts = [(0.6667, 30), (1.0, 30), (0.5, 15), (0.5, 15), (1 - 0.0, 5), (1 - 0.25, 10),
             (1 - 0.0, 5)]
    assert m["score"] == round(100 * sum(v * w for v, w in parts) / sum(w for _, w in parts), 1)
    assert m["score"] == 75.0


def test_cq24_a_unit_that_returns_everything_cannot_score_100(
        api: Api, city: City, client: TestClient, headers: Any,
        travel: Callable[[datetime], None]) -> None:
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("JTJ"))
    travel(nov(3, 10))
    api.act("jtj", number, "return", reason="不属本局职责")  # in time, never judged improper
    m = _metrics(client, headers, month="2026-11")["市交通运输局"]
    assert m["return_rate"] == 1.0 and m["improper_return_rate"] == 0.0
    assert m["score"] is not None and m["score"] < 100
    assert m["score"] == 50.0  # (5·1 + 10·0 + 5·1) / 20


def test_cq24_metrics_doc_cites_only_existing_commands_and_endpoints(client: TestClient) -> None:
    from hotline.cli import app

    text = (ROOT / "docs" / "METRICS.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"`hotline ([a-z-]+)", text))
    assert commands, "METRICS.md names the report command"
    known = {c.name or (c.callback.__name__.replace("_", "-") if c.callback else "")
             for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert commands <= known, f"METRICS.md cites commands that do not exist: {commands - known}"
    paths = set(re.findall(r"`GET (/api/v1/[\w/.-]+)", text))
    assert paths
    routes = set(client.get("/openapi.json").json()["paths"])
    assert paths <= routes, f"METRICS.md cites endpoints that do not exist: {paths - routes}"
