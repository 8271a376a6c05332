"""Issue 17, point 1 (CQ §10 on the page): when the safety check fires in the agent console, the
hand-over to the named service is the main action under Alt+S, with that service and 特急
chosen and no unit; 派发 anyway needs a reason and a confirmation. The fire call used to go out
as an ordinary 15-working-day ticket under Alt+S."""

from __future__ import annotations

import pytest

from tests.web.conftest import Server, sign_in, ticket_by_number

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("web")]

FIRE = "楼道里着火了，浓烟很大，三楼有人被困出不来"



def test_fire_call_alt_s_hands_over_to_119(server: Server, browser: object) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",  # type: ignore[attr-defined]
                                  base_url=server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, "agent")
    page.wait_for_url("**/console*")
    # an ordinary call shows no override field: it appears only with the emergency verdict
    expect(page.locator("#override")).to_be_hidden()
    page.fill("#caller_phone", "13900007777")
    page.select_option("#request_type", "求助")
    page.fill("#content", FIRE)
    page.fill("#address", "东城区东华街道桂花苑小区3栋")
    expect(page.locator("#emergency-verdict")).to_be_visible(timeout=15_000)
    expect(page.locator("#emergency-verdict")).to_have_attribute("data-service", "119")
    expect(page.locator("#service")).to_have_value("119")
    expect(page.locator("#urgency")).to_have_value("very_urgent")
    expect(page.locator("#lead_unit_id")).to_have_value("")
    expect(page.locator("#primary-hint")).to_have_text("Alt+S 移交 119")
    expect(page.locator("#override")).to_be_visible()
    for role in page.locator("#assist select[name^=role_]").all():
        assert role.input_value() == "", "no unit may be pre-chosen for an emergency"
    # 派发 anyway without a reason: nothing is submitted
    page.click("#btn-dispatch")
    expect(page.locator("#override_reason")).to_be_focused()
    assert "created=" not in page.url
    # with a reason, the agent still has to confirm; dismissing keeps the call on the page
    page.fill("#override_reason", "来电人称火已扑灭")
    page.click("#btn-dispatch")
    assert dialogs and "应急事项" in dialogs[-1]
    assert "created=" not in page.url
    # Alt+S: the hand-over to 119
    page.focus("#content")
    page.keyboard.press("Alt+s")
    page.wait_for_url("**/console?created=*")
    number = page.locator("#created-number").inner_text().strip()
    ticket = ticket_by_number(server, number)
    assert str(ticket.status) == "emergency", ticket.status
    assert ticket.urgency == "very_urgent"
    assert ticket.holder_unit_id is None and ticket.next_due_at is None
    assert not errors, errors
    context.close()
