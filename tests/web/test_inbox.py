"""The unit inbox as a handler works it all day (issue 17, point 4): 批量签收 signs the ticked
tickets and reports the ones it could not sign; the page picks up a ticket dispatched after it
was opened, without a reload, and the tab title shows how many wait; the columns say where and
what (address, category), not the handler's own unit."""

from __future__ import annotations

import pytest

from tests.web.conftest import Server, csrf_of, dispatch_new, login, sign_in, ticket_by_number

pytestmark = pytest.mark.xdist_group("web")



def test_batch_sign_signs_the_ticked_and_names_the_rest(server: Server) -> None:
    first = dispatch_new(server, "DC-DH", "桂花苑小区5栋门口下水道堵塞，污水漫到人行道上")
    second = dispatch_new(server, "DC-DH", "桂花苑小区5栋楼道灯坏了一个月，晚上上下楼很危险")
    handler = login(server.url, "donghua")
    page = handler.get("/inbox?tab=sign").text
    assert f'name="t" value="{first}"' in page and f'name="t" value="{second}"' in page
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert "地址" in head and "类别" in head and "承办单位" not in head
    r = handler.post("/inbox/sign", data={"csrf_token": csrf_of(page), "t": [first, second]})
    assert r.status_code == 303
    done = handler.get(r.headers["location"]).text
    assert "已签收 2 件工单" in done
    assert [ticket_by_number(server, n).status for n in (first, second)] == ["in_progress"] * 2
    # signing again (a double click, or a colleague was faster) signs nothing and says which
    r = handler.post("/inbox/sign", data={"csrf_token": csrf_of(done), "t": [first]})
    again = handler.get(r.headers["location"]).text
    assert "未能签收" in again and first in again
    assert 'class="flash ok"' not in again


def test_batch_sign_needs_a_choice_and_stays_in_scope(server: Server) -> None:
    foreign = dispatch_new(server, "ZJW", "东华街道桂花苑小区旁在建工地夜间施工，噪声很大")
    handler = login(server.url, "donghua")
    token = csrf_of(handler.get("/inbox").text)
    r = handler.post("/inbox/sign", data={"csrf_token": token})
    assert r.status_code == 303 and "failed=" in r.headers["location"]
    r = handler.post("/inbox/sign", data={"csrf_token": token, "t": [foreign]})
    assert "未能签收" in handler.get(r.headers["location"]).text
    assert ticket_by_number(server, foreign).status == "dispatched"  # another unit's ticket is untouched
    assert handler.post("/inbox/sign", data={"t": [foreign]}).status_code == 403  # CSRF


@pytest.mark.browser
def test_inbox_picks_up_a_new_ticket_without_reload(server: Server, browser: object) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",  # type: ignore[attr-defined]
                                  base_url=server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, "donghua")
    page.wait_for_url("**/inbox*")
    page.goto("/inbox?tab=sign")
    number = dispatch_new(server, "DC-DH", "桂花苑小区5栋电梯按键失灵，老人上下楼不方便")
    row = page.locator("#inbox-live tbody tr", has_text=number)
    expect(row).to_be_visible(timeout=30_000)  # the test server refreshes every 2 s
    waiting = int(page.locator("#inbox-live").get_attribute("data-waiting") or "0")
    assert waiting >= 1
    assert page.title().startswith(f"({waiting}) ")
    # tick it and sign it in bulk from the page
    row.locator("input[name=t]").check()
    page.click("#batch-sign button[type=submit]")
    page.wait_for_url("**signed=1*")
    expect(page.locator(".flash.ok")).to_contain_text("已签收 1 件工单")
    assert not errors, errors
    context.close()


def _column(page: object, index: int) -> list[str]:
    """The data-sort value (or the text) of column ``index`` of the page's sortable table."""
    return page.eval_on_selector_all(  # type: ignore[attr-defined, no-any-return]
        "table.sortable tbody tr", f"""rows => rows.map(r => {{
            const c = r.cells[{index}];
            return c ? (c.getAttribute('data-sort') || c.textContent.trim()) : ''; }})""")


@pytest.mark.parametrize(("user", "path"), [("agent", "/search?q=小区"), ("donghua", "/inbox?tab=doing")])
def test_queue_headers_sort_the_rows(server: Server, browser: object, user: str, path: str) -> None:
    """Issue 17, point 4: clicking a header sorts the queue by it, again reverses it, and the
    header says which way (aria-sort); search and the inbox alike, with address and category."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",  # type: ignore[attr-defined]
                                  base_url=server.url)
    page = context.new_page()
    sign_in(page, user)
    page.wait_for_load_state()
    page.goto(path)
    headers = [h.strip() for h in page.locator("table.sortable thead th").all_inner_texts()]
    assert "地址" in headers and "类别" in headers, headers
    due = next(i for i, h in enumerate(headers) if h == "时限")
    assert len(_column(page, due)) >= 2, "the demo queue should list several tickets"
    button = page.locator("table.sortable thead th button.sort", has_text="时限")
    button.click()
    ascending = _column(page, due)
    assert ascending == sorted(ascending)
    assert page.locator("table.sortable thead th", has_text="时限").get_attribute("aria-sort") == "ascending"
    button.click()
    assert _column(page, due) == sorted(ascending, reverse=True)
    assert page.locator("table.sortable thead th", has_text="时限").get_attribute("aria-sort") == "descending"
    context.close()
