"""List rows say how much time is left in the unit that matters (issue 17, point 6): hours in
the last 24 hours, working days before that, and the same for overdue tickets."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.core.times import SHANGHAI
from hotline.web.render import countdown

# Wednesday 2026-12-02, 16:00 Beijing time: an ordinary working week
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=SHANGHAI)


def test_under_a_day_shows_hours_not_one_working_day() -> None:
    early = NOW + timedelta(hours=12, minutes=19)  # Thursday 04:19
    late = NOW + timedelta(hours=31, minutes=59)  # Thursday 23:59
    assert countdown(early, "at_risk", NOW) == "剩余 12 小时"
    assert countdown(late, "at_risk", NOW) == "剩余 1 个工作日"
    assert countdown(NOW + timedelta(minutes=25), "at_risk", NOW) == "剩余 25 分钟"


def test_working_days_across_a_weekend() -> None:
    monday = datetime(2026, 12, 7, 17, 0, tzinfo=SHANGHAI)
    assert countdown(monday, "normal", NOW) == "剩余 3 个工作日"  # Thu, Fri, Mon


def test_overdue_in_hours_then_working_days() -> None:
    assert countdown(NOW - timedelta(hours=3), "overdue", NOW) == "已超期 3 小时"
    assert countdown(NOW - timedelta(days=2), "overdue", NOW) == "已超期 2 个工作日"
    assert countdown(None, "normal", NOW) == "—"


def test_ticket_page_clock_shows_hours_on_the_last_day(client: object, api: object,
                                                       city: object) -> None:
    """The ticket page's clock cards said "剩余 0 个工作日" on the due day (a screenshot review,
    issue 17): a running clock reads like the list rows."""
    import re

    import time_machine
    from fastapi.testclient import TestClient

    from tests.hotline.conftest import Api, City

    assert isinstance(client, TestClient) and isinstance(api, Api) and isinstance(city, City)
    # Dispatched on Wednesday morning; the page is opened 5 hours before the transfer clock's due.
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI), tick=False):
        number = api.create()["number"]
        api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
        clocks = client.get(f"/api/v1/tickets/{number}", headers=api.headers("supervisor")).json()
    due = min(datetime.fromisoformat(c["due"]) for c in clocks["clocks"] if c["state"] == "running")
    with time_machine.travel(due - timedelta(hours=5), tick=False):
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        r = client.post("/login", data={"username": "supervisor", "password": "demo",
                                        "csrf_token": token.group(1)}, follow_redirects=False)
        assert r.status_code == 303
        page = client.get(f"/t/{number}").text
    cards = re.findall(r'<div class="cd">([^<]+)</div>', page)
    assert cards and "剩余 0 个工作日" not in cards
    assert any(re.fullmatch(r"剩余 \d+ 小时", c) for c in cards), cards
