"""The board's 热点 section in a real Chromium: two calls on one matter in one street become a
hotspot the supervisor sees, with its count, its trend in Chinese and links to the tickets; the
day/week switch and the order live in the URL."""

from __future__ import annotations

import httpx
import pytest

from tests.web.conftest import SCREENSHOTS, Server, _unit_id, login, sign_in

pytestmark = [pytest.mark.xdist_group("web")]

MATTER = "柳营社区菜市场门口的下水道堵塞外溢，污水流到人行道上，臭味很大，请尽快疏通。"
MATTER_2 = "柳营社区菜市场门口下水道堵了，污水外溢流到人行道，臭得很，希望尽快疏通。"


def _file(server: Server, content: str) -> str:
    """A call with its category, dispatched to 东华街道 (a street: hotspots are per street)."""
    with httpx.Client(base_url=server.url, timeout=20) as api:
        token = api.post("/api/v1/auth/token", data={"username": "agent", "password": "demo"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        r = api.post("/api/v1/tickets", headers=headers, json={
            "caller_phone": "13700002222", "request_type": "投诉", "content": content,
            "category": "城乡建设/市政设施", "address": "东城区东华街道柳营社区菜市场",
            "decision": {"action": "dispatch", "lead_unit_id": _unit_id(server, "DC-DH")}})
        assert r.status_code == 201, r.text
        return str(r.json()["number"])


def _refresh_hotspots(server: Server) -> None:
    """What the periodic job does every HOTLINE_HOTSPOTS_REFRESH_SECONDS (the test server runs
    no jobs): the board reads the stored list."""
    from sqlmodel import Session

    from hotline.core.db import make_engine
    from hotline.core.settings import Settings
    from hotline.core.times import utcnow
    from hotline.supervision import hotspots

    engine = make_engine(Settings(database_url=server.db_url))
    try:
        with Session(engine) as s:
            hotspots.refresh(s, utcnow())
            s.commit()
    finally:
        engine.dispose()


@pytest.mark.browser
def test_board_shows_a_forming_hotspot(server: Server, browser: object) -> None:
    from playwright.sync_api import Page, expect

    numbers = [_file(server, MATTER), _file(server, MATTER_2)]
    _refresh_hotspots(server)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",  # type: ignore[attr-defined]
                                  base_url=server.url)
    page: Page = context.new_page()
    sign_in(page, "supervisor")
    page.wait_for_url("**/board")
    page.get_by_role("link", name="热点").first.click()
    section = page.locator("#hotspots")
    row = section.locator("tr", has_text="下水道")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("东华街道办事处")
    expect(row).to_contain_text("城乡建设/市政设施")
    expect(row.locator("td.num").first).to_have_text("2")
    expect(row).to_contain_text("新出现")
    for n in numbers:
        expect(row.get_by_role("link", name=n)).to_have_attribute("href", f"/t/{n}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SCREENSHOTS / "board-hotspots.png"))
    # the week: the same matter, and the switch is kept in the URL
    section.get_by_role("link", name="近 7 天").click()
    page.wait_for_url("**hot_window=week**")
    expect(page.locator("#hotspots tr", has_text="下水道")).to_contain_text("2")
    expect(page.locator("#hotspots [aria-current]")).to_have_text("近 7 天")
    # order by street: the header link keeps the window
    page.locator("#hotspots th a", has_text="街道").click()
    page.wait_for_url("**hot_sort=street**")
    assert "hot_window=week" in page.url
    expect(page.locator("#hotspots th[aria-sort=ascending]")).to_have_text("街道")
    page.locator("#hotspots tr", has_text="下水道").get_by_role("link", name=numbers[0]).click()
    page.wait_for_url(f"**/t/{numbers[0]}")
    context.close()


def test_hotspot_parameters_are_kept_and_bad_ones_fall_back(server: Server) -> None:
    """The window, order and page live in the URL; the attention pager keeps them and the
    hotspot links keep the attention filters. Unknown values fall back, never a 500."""
    client = login(server.url, "supervisor")
    html = client.get("/board?warning=overdue&hot_window=week&hot_sort=street").text
    assert 'id="hotspots"' in html and "近 7 天同一街道" in html
    attention = html.split('id="attention"', 1)[1].split('id="hotspots"', 1)[0]
    assert "hot_window=week" in attention and "hot_sort=street" in attention  # its pager
    hot = html.split('id="hotspots"', 1)[1].split("</section>", 1)[0]
    assert "warning=overdue" in hot  # the switch and the order keep the board's filters
    for bad in ("hot_window=month", "hot_sort=evil", "hot_page=99999", "hot_page=-3"):
        r = client.get(f"/board?{bad}")
        assert r.status_code == 200, (bad, r.status_code)
        assert "近 24 小时同一街道" in r.text or "hot_window=month" not in bad
    r = client.get("/board?hot_page=abc")
    assert 400 <= r.status_code < 500 and "hot_page" in r.text
