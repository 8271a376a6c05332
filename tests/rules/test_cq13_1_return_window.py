"""CQ §13(一): a unit sends back a ticket that is not its own within 2 working days of receiving
it, cumulative over every level on the way up to the hotline.

Driven over HTTP on SQLite and PostgreSQL. The window runs from receipt (the hotline's 交办),
not from the first return; a late return is marked on the ticket and counted against the unit
that sent it, in the metrics and the monthly report. A re-dispatch gives the next unit fresh
clocks, but the caller's total wait stays on the ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient

from sla import SHANGHAI
from tests.hotline.conftest import Api, City

MON = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday, no holidays that month


def sh(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def travel() -> Iterator[Callable[[datetime], None]]:
    with time_machine.travel(MON, tick=False) as tm:
        yield tm.move_to


def _clock(detail: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in detail["clocks"] if c["name"] == name)


def _unit_row(client: TestClient, headers: Any, name: str) -> dict[str, Any]:
    r = client.get("/api/v1/supervision/metrics", params={"month": "2026-11"},
                   headers=headers("supervisor"))
    assert r.status_code == 200, r.text
    return next(u for u in r.json()["units"] if u["unit_name"] == name)


def test_cq13_1_window_runs_from_receipt_not_from_the_first_return(
        api: Api, city: City, client: TestClient, headers: Any,
        travel: Callable[[datetime], None]) -> None:
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    api.act("donghua", number, "sign")
    travel(sh(16, 10))  # ten working days later, straight back to the hotline
    back = api.act("donghua", number, "return", reason="不属本街道职责")
    window = _clock(back, "return")
    assert datetime.fromisoformat(window["started_at"]) == MON  # receipt
    assert window["state"] == "breached" and window["display"] == "超期完成"
    assert back["returns"][-1]["late"] is True
    event = back["events"][-1]
    assert event["action"] == "return" and event["payload"]["within_window"] is False
    street = _unit_row(client, headers, "东华街道办事处")
    assert street["returns"] == 1 and street["late_returns"] == 1
    assert street["late_return_rate"] == 1.0


def test_cq13_1_return_within_two_working_days_of_receipt_is_on_time(
        api: Api, city: City, client: TestClient, headers: Any,
        travel: Callable[[datetime], None]) -> None:
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    travel(sh(4, 17))  # Wednesday: the 2nd working day after receipt
    back = api.act("donghua", number, "return", reason="不属本街道职责")
    assert back["returns"][-1]["late"] is False
    assert back["events"][-1]["payload"]["within_window"] is True
    assert _unit_row(client, headers, "东华街道办事处")["late_returns"] == 0


def test_cq13_1_window_is_cumulative_and_late_counts_against_the_unit_that_held_it(
        api: Api, city: City, client: TestClient, headers: Any,
        travel: Callable[[datetime], None]) -> None:
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC"))
    api.act("dongcheng", number, "sign")
    travel(sh(3, 9))
    api.act("dongcheng", number, "forward", to_unit_id=city.unit("DC-DH"))
    travel(sh(4, 9))
    up = api.act("donghua", number, "return", reason="不属本街道职责")  # in time: by end of 11-04
    assert up["returns"][-1]["late"] is False
    travel(sh(6, 9))  # the district sits on it two more days, then sends it to the hotline
    top = api.act("dongcheng", number, "return", reason="请热线重新派发")
    assert top["returns"][-1]["late"] is True
    assert _clock(top, "return")["state"] == "breached"
    assert _unit_row(client, headers, "东城区人民政府")["late_returns"] == 1
    assert _unit_row(client, headers, "东华街道办事处")["late_returns"] == 0


def test_cq13_1_redispatch_keeps_the_callers_total_wait_visible(
        api: Api, city: City, travel: Callable[[datetime], None]) -> None:
    number = api.create()["number"]
    first = api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    first_due = _clock(first, "close")["due"]
    travel(sh(9, 10))
    api.act("donghua", number, "return", reason="不属本街道职责")
    again = api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DHU"))
    # The new unit's clocks start afresh (docs/DEADLINES.md)…
    assert _clock(again, "close")["due"] > first_due
    # …but the caller's wait does not: registered on 11-02, first promised first_due.
    wait = again["caller_wait"]
    assert wait["dispatches"] == 2 and wait["first_close_due_at"] == first_due
    assert datetime.fromisoformat(wait["registered_at"]) == MON and wait["working_days"] == 5
    assert wait["ended_at"] is None
    travel(sh(27, 10))  # past the first promise, still unanswered
    later = api.get("supervisor", number)["caller_wait"]
    assert later["past_first_due"] is True and later["working_days"] == 19
