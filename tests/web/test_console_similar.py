"""Issue 16, point 5 in the browser: as the agent types a call about a matter a neighbour already
reported, the console shows that ticket with its similarity figure, and one click on 并入此单
(confirmed) registers the call and merges it into it."""

from __future__ import annotations

import pytest

from tests.web.conftest import Server, dispatch_new, sign_in, ticket_by_number

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("web")]

FIRST = "桂花苑小区5栋楼下的消防通道被几辆三轮车长期堵住，消防车进不来，物业说管不了。"
AGAIN = "桂花苑5栋楼下消防通道被三轮车堵住好久了，物业不管，万一着火消防车进不来，请处理。"



def test_agent_sees_the_similar_ticket_and_merges_with_one_click(server: Server,
                                                                browser: object) -> None:
    from playwright.sync_api import expect

    target = dispatch_new(server, "DC-DH", FIRST)  # another caller, 13700001111
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",  # type: ignore[attr-defined]
                                  base_url=server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    sign_in(page, "agent")
    page.wait_for_url("**/console*")
    page.fill("#caller_phone", "13900005555")
    page.select_option("#request_type", "投诉")
    page.fill("#address", "东城区东华街道桂花苑小区5栋")
    page.fill("#content", AGAIN)
    row = page.locator(f"#similar-{target}")
    expect(row).to_be_visible(timeout=15_000)
    expect(row.locator(".similarity")).to_contain_text("相似度")
    figure = int(row.get_attribute("data-score") or "0")
    assert 45 <= figure <= 100
    expect(row).to_contain_text("桂花苑小区5栋")
    row.get_by_role("button", name="并入此单").click()
    page.wait_for_url("**/console?created=*")
    assert dialogs and target in dialogs[-1] and "并单" in dialogs[-1]
    expect(page.locator("#merged-notice")).to_contain_text(target)
    number = page.locator("#created-number").inner_text().strip()
    merged = ticket_by_number(server, number)
    assert str(merged.status) == "merged" and merged.caller_phone == "13900005555"
    assert merged.merged_into_id == ticket_by_number(server, target).id
    assert not errors, errors
    context.close()
