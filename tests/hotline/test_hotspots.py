"""Hotspots (CQ §20): clusters of similar requests per street and category, per day and per
week, with the window before and the trend; the surge alert names the cluster. Both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hotline.supervision import hotspots
from hotline.supervision.anomalies import detect
from hotline.tickets.models import Ticket
from sla import SHANGHAI
from tests.hotline.conftest import Api, City

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
NOISE = "环境保护/噪声污染"
BBQ = ["桂花苑小区楼下烧烤店每天营业到凌晨两点，油烟和吵闹声很大，希望尽快处理。",
       "桂花苑小区楼下烧烤店营业到凌晨两点，油烟很大吵闹声也大，请尽快处理。",
       "桂花苑楼下烧烤店每天营业到凌晨，油烟吵闹声很大。"]
WORKS = ["桂花苑小区旁边的工地晚上十一点以后还在施工打桩，噪音很大，睡不着。",
         "桂花苑小区工地晚上十一点以后还在打桩施工，噪音太大睡不着觉。"]
MANHOLE = "青石路和学院路路口的井盖松动了，晚上骑电动车经过差点摔倒，麻烦尽快派人修一下。"


def _file(api: Api, city: City, at: datetime, unit: str, content: str,
          category: str = NOISE) -> str:
    with time_machine.travel(at, tick=False):
        n = api.create(category=category, content=content)["number"]
        api.act("agent", n, "dispatch", lead_unit_id=city.unit(unit))
    return str(n)


def _id(s: Session, number: str) -> int:
    return s.exec(select(Ticket.id).where(Ticket.number == number)).one()


def _build(api: Api, city: City) -> dict[str, list[str]]:
    """东华街道: the barbecue smoke (1 last week, 1 yesterday, 6 today) and the night works (2
    today), both 噪声污染; 西关街道: a loose manhole cover, 3 calls yesterday and none today."""
    out: dict[str, list[str]] = {"bbq": [], "works": [], "manhole": []}
    out["bbq"].append(_file(api, city, NOW - timedelta(days=5), "DC-DH", BBQ[0]))
    out["bbq"].append(_file(api, city, NOW - timedelta(hours=30), "DC-DH", BBQ[1]))
    for i in range(6):
        out["bbq"].append(_file(api, city, NOW - timedelta(hours=6 - i * 0.5), "DC-DH",
                                BBQ[i % 3]))
    for i in range(2):
        out["works"].append(_file(api, city, NOW - timedelta(hours=3 - i), "DC-DH", WORKS[i]))
    for i in range(3):
        out["manhole"].append(_file(api, city, NOW - timedelta(hours=30 - i), "XC-XG", MANHOLE,
                                    category="城乡建设/市政设施"))
    return out


def test_hotspots_per_day_and_week_and_the_surge_names_the_matter(
        api: Api, city: City, engine: Engine) -> None:
    made = _build(api, city)
    with Session(engine) as s:
        day = hotspots.hotspots(s, NOW, "day")
        week = hotspots.hotspots(s, NOW, "week")
        # the manhole had no call today
        assert len(day) == 2, [(h.title, h.count, h.previous, h.numbers) for h in day]
        bbq, works = day
        assert (bbq.street, bbq.category, bbq.count, bbq.previous) == ("东华街道办事处", NOISE, 6, 1)
        assert bbq.trend == "up" and bbq.trend_label == "上升 5 件（+500%）"
        assert set(bbq.numbers) == set(made["bbq"][2:])
        assert "烧烤" in bbq.title
        assert (works.count, works.previous, works.trend) == (2, 0, "new")
        assert "工地" in works.title
        assert works.trend_label.startswith("新出现")
        # the week: everything in the last 7 days, nothing in the 7 before
        assert sorted((h.count, h.previous, h.trend) for h in week) == [
            (2, 0, "new"), (3, 0, "new"), (8, 0, "new")]
        manhole = next(h for h in week if h.street == "西关街道办事处")
        assert manhole.category == "城乡建设/市政设施" and set(manhole.numbers) == set(made["manhole"])
        # the order a supervisor asks for
        assert hotspots.hotspots(s, NOW, "week", sort="street")[0].street == "东华街道办事处"
        assert hotspots.hotspots(s, NOW, "week", sort="change")[0].count == 8

        created = detect(s, NOW)
        again = detect(s, NOW + timedelta(hours=2))  # the same day: raised once
        s.commit()
        surges = [a for a in created if a.kind == "surge"]
        assert len(surges) == 1, [a.detail for a in surges]  # the works (2) are no surge
        surge = surges[0]
        assert surge.observed == 6 and surge.category == NOISE
        # keyed by the matter's first ticket in the 28-day span (the week's cluster has it too)
        assert surge.key == next(h.key for h in week if h.count == 8) == f"{NOISE}@{bbq.street_id}#" \
            + str(_id(s, made["bbq"][0]))
        message = surge.detail["message"]
        assert "东华街道办事处" in message and "烧烤" in message and "6 件" in message
        assert "日均 0.1 件" in message  # 2 calls over the 28 days before
        assert set(surge.detail["numbers"]) == set(made["bbq"][2:])
        assert [a for a in again if a.kind == "surge"] == []


def test_hotspots_api_scoped_to_the_managers_streets(
        api: Api, city: City, client: TestClient, headers: Callable[[str], dict[str, str]]) -> None:
    _build(api, city)

    def get(who: str, **params: Any) -> Any:
        with time_machine.travel(NOW, tick=False):
            return client.get("/api/v1/supervision/hotspots", params=params, headers=headers(who))

    r = get("supervisor", window="week")
    assert r.status_code == 200, r.text
    assert {h["street"] for h in r.json()["items"]} == {"东华街道办事处", "西关街道办事处"}
    first = r.json()["items"][0]
    assert first["count"] == 8 and first["trend"] == "new" and first["numbers"]
    mine = get("xicheng_mgr", window="week").json()["items"]
    assert [h["street"] for h in mine] == ["西关街道办事处"]
    assert get("supervisor").json()["window"] == "day"
    bad = get("supervisor", window="month")
    assert bad.status_code == 422 and "window" in bad.text
    assert get("donghua").status_code == 403


def test_a_category_surge_of_different_matters_is_still_raised(
        api: Api, city: City, engine: Engine) -> None:
    """Six unrelated noise complaints in one street in a day: no single matter surges, the
    category does — the per-category alert stays, and says so."""
    matters = ["西山公园广场舞音响每天早上六点开始放，声音特别大。",
               "西山路一家酒吧周末放音乐到凌晨三点，低音震得窗户响。",
               "楼上邻居装修天天电钻，中午午休时间也不停。",
               "西山立交桥下大货车半夜鸣笛，影响周边居民休息。",
               "对面楼住户养的狗整夜叫个不停，已经沟通过多次没用。",
               "西山菜市场凌晨四点卸货，叉车和吆喝声吵醒整栋楼。"]
    for i, text in enumerate(matters):
        _file(api, city, NOW - timedelta(hours=6 - i), "XC-XS", text)
    with Session(engine) as s:
        assert hotspots.hotspots(s, NOW, "day") == []  # six matters of one call each
        surges = [a for a in detect(s, NOW) if a.kind == "surge"]
        assert len(surges) == 1
        assert surges[0].key == f"{NOISE}@{city.unit('XC-XS')}" and surges[0].observed == 6
        assert "“环境保护/噪声污染”类诉求 24 小时内 6 件" in surges[0].detail["message"]


def test_the_board_reads_stored_hotspots_that_the_job_refreshes(
        api: Api, city: City, engine: Engine) -> None:
    """Re-clustering a busy city's fortnight takes seconds (bench/RESULTS.md), so a view reads
    the list the periodic job stored; it computes one itself only when none is younger than
    twice the refresh period (60 s)."""
    from hotline.supervision.models import BoardSnapshot
    from hotline.workers import jobs
    from hotline.workers.schedule import periodic

    _build(api, city)
    jobs.refresh_hotspots(now=NOW)
    with Session(engine) as s:
        stored = {r.key: r.computed_at for r in s.exec(select(BoardSnapshot))}
        assert stored == {"hotspots:day": NOW, "hotspots:week": NOW}
        assert len(hotspots.hotspots(s, NOW, "day")) == 2
    # A new matter 30 s later: within the period the board still shows the stored list …
    _file(api, city, NOW + timedelta(seconds=30), "XC-XG", MANHOLE, category="城乡建设/市政设施")
    with Session(engine) as s:
        assert len(hotspots.hotspots(s, NOW + timedelta(seconds=60), "day")) == 2
    # … the job's next run sees it (3 yesterday, 1 today: not a day hotspot, but in the week's)
    jobs.refresh_hotspots(now=NOW + timedelta(seconds=60))
    with Session(engine) as s:
        week = hotspots.hotspots(s, NOW + timedelta(seconds=61), "week")
        assert next(h for h in week if "井盖" in h.title).count == 4
    # … and with no job for over two periods a view recomputes by itself.
    _file(api, city, NOW + timedelta(seconds=90), "XC-XG", MANHOLE, category="城乡建设/市政设施")
    with Session(engine) as s:
        week = hotspots.hotspots(s, NOW + timedelta(seconds=200), "week")
        assert next(h for h in week if "井盖" in h.title).count == 5
    assert {f.__name__: i for f, _, i in periodic()}["refresh_hotspots"] == 60
