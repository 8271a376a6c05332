"""The pages over HTTP: CSRF refusal, unit scoping, readable errors, and server timings."""

from __future__ import annotations

import re
import statistics

import pytest
from sqlmodel import Session, select

from hotline.core.db import make_engine
from hotline.core.settings import Settings
from hotline.tickets.models import Ticket
from hotline.units.models import Unit
from tests.web.conftest import ARTIFACTS, Server, csrf_of, dispatch_new, login

pytestmark = pytest.mark.xdist_group("web")


def _ticket(server: Server, status: str, not_under: str | None = None) -> tuple[str, str]:
    """(number, handler username) of a demo ticket in ``status`` held by a unit with a handler."""
    from hotline.seed import USERS

    handler = {code: name for name, _full, role, code in USERS if role == "unit_handler"}
    engine = make_engine(Settings(database_url=server.db_url))
    try:
        with Session(engine) as s:
            units = {u.id: u for u in s.exec(select(Unit))}
            barrier = next((u.path for u in units.values() if u.code == not_under), None)
            for t in s.exec(select(Ticket).where(Ticket.status == status).order_by(Ticket.id)):
                unit = units.get(t.holder_unit_id)  # type: ignore[arg-type]
                if unit is None or unit.code not in handler:
                    continue
                if barrier and any(units[u].path.startswith(barrier) for u in t.route):
                    continue
                return t.number, handler[unit.code]
            raise AssertionError(f"no {status} ticket in the demo data")
    finally:
        engine.dispose()


def test_login_required_and_public_progress(server: Server) -> None:
    import httpx

    anon = httpx.Client(base_url=server.url)
    r = anon.get("/inbox")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    page = anon.get("/progress")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text
    assert anon.get("/progress", params={"number": "20000101-000001", "last4": "1234"}).status_code == 404


def test_post_without_csrf_is_refused(server: Server) -> None:
    number, user = _ticket(server, "dispatched")
    client = login(server.url, user)
    page = client.get(f"/t/{number}")
    assert page.status_code == 200
    token = csrf_of(page.text)
    r = client.post(f"/t/{number}/act/sign", data={})
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post(f"/t/{number}/act/sign", data={"csrf_token": "0" * 40})
    assert r.status_code == 403
    # the session-bound token of another session is refused as well
    other = csrf_of(login(server.url, "donghua_mgr").get("/inbox").text)  # another session
    assert other != token
    assert client.post(f"/t/{number}/act/sign", data={"csrf_token": other}).status_code == 403
    # login itself is protected by a pre-session token
    import httpx

    anon = httpx.Client(base_url=server.url)
    assert anon.post("/login", data={"username": "agent", "password": "demo"}).status_code == 403
    # still untouched
    assert "待签收" in client.get(f"/t/{number}").text


def test_unit_cannot_open_another_units_ticket(server: Server) -> None:
    foreign, _ = _ticket(server, "in_progress", not_under="DC")
    client = login(server.url, "donghua")
    r = client.get(f"/t/{foreign}")
    assert r.status_code == 404 and "不存在" in r.text
    token = csrf_of(client.get("/inbox").text)
    assert client.post(f"/t/{foreign}/act/sign", data={"csrf_token": token}).status_code == 404
    assert f'href="/t/{foreign}"' not in client.get("/search", params={"q": foreign}).text
    # a unit user cannot open the supervisors' board
    assert client.get("/board").status_code == 403


def test_domain_errors_are_readable_pages(server: Server) -> None:
    number, user = _ticket(server, "in_progress")
    client = login(server.url, user)
    page = client.get(f"/t/{number}")
    token = csrf_of(page.text)
    r = client.post(f"/t/{number}/act/sign", data={"csrf_token": token})  # wrong state
    assert r.status_code == 409 and "不能执行“签收”" in r.text and "<html" in r.text
    r = client.post(f"/t/{number}/act/return", data={"csrf_token": token, "reason": ""})
    assert r.status_code == 422 and "理由" in r.text
    r = client.post(f"/t/{number}/act/reply", data={"csrf_token": token, "content": "已处理",
                                                    "version": "1"})
    assert r.status_code == 409 and "版本" in r.text
    agent = login(server.url, "agent")
    r = agent.post(f"/t/{number}/act/reply", data={"csrf_token": csrf_of(agent.get("/console").text),
                                                   "content": "x"})
    assert r.status_code == 403 and "角色" in r.text
    r = agent.post("/console", data={"csrf_token": csrf_of(agent.get("/console").text),
                                     "caller_phone": "123", "content": "", "decision": "dispatch"})
    assert r.status_code == 422 and "来电号码" in r.text


def test_console_assist_offers_the_suggested_units(server: Server) -> None:
    """Routing's advice is a table of units with a lead/co choice each (role_<id> selects)."""
    agent = login(server.url, "agent")
    r = agent.get("/console/assist", params={
        "caller_phone": "13812345678", "content": "楼下烧烤店每天晚上吵到凌晨两点，油烟也很大",
        "address": "东城区东华街道桂花苑", "request_type": "投诉"})
    assert r.status_code == 200
    assert 'id="suggestion"' in r.text
    choices = re.findall(r'<select name="role_(\d+)"', r.text)
    assert choices, r.text
    assert 'value="lead" selected' in r.text  # the suggested lead comes pre-chosen


def test_home_is_the_role_workspace(server: Server) -> None:
    for user, home in (("agent", "/console"), ("donghua", "/inbox"), ("supervisor", "/board"),
                       ("admin", "/board")):
        r = login(server.url, user).get("/app")
        assert r.status_code == 303 and r.headers["location"] == home


def test_page_timings(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    """Server-side time of every main page with the demo data (logged, not asserted)."""
    inbox_ticket, unit_user = _ticket(server, "in_progress")
    pages = {
        "agent": ["/console", "/console/assist?caller_phone=13812345678&content=楼下烧烤店油烟噪声扰民"
                  "&address=东城区东华街道桂花苑&request_type=投诉", "/visits", "/search?q=小区"],
        unit_user: ["/inbox?tab=sign", "/inbox?tab=doing", "/inbox?tab=overdue", f"/t/{inbox_ticket}"],
        "supervisor": ["/board", "/board?warning=overdue", f"/t/{inbox_ticket}"],
        None: ["/login", "/progress"],
    }
    lines = []
    for user, paths in pages.items():
        client = login(server.url, user) if user else __import__("httpx").Client(base_url=server.url)
        for path in paths:
            times = []
            for _ in range(6):
                r = client.get(path)
                assert r.status_code == 200, (path, r.status_code)
                times.append(float(r.headers["server-timing"].split("dur=")[1]))
            times = times[1:]  # the first request warms caches (templates, classifier fallback)
            who = user or "anonymous"
            lines.append(f"{who:<11} {path[:48]:<50} median {statistics.median(times):6.1f} ms"
                         f"  max {max(times):6.1f} ms")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "page-timings.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with capsys.disabled():
        print("\nserver-side page timings (demo data, SQLite):\n" + "\n".join(lines))


def test_board_pager_reaches_every_overdue_ticket(server: Server) -> None:
    """Issue 17: the overdue list used to stop silently at 40 (of 58 in the demo) in a scroll box.
    Following 下一页 from the first page must list every overdue ticket exactly once, and
    显示全部 must list the same set; the count is recomputed from the database, not taken from
    the page."""
    from hotline.core.times import utcnow

    now = utcnow()
    engine = make_engine(Settings(database_url=server.db_url))
    try:
        with Session(engine) as s:
            expected = {t.number for t in s.exec(select(Ticket).where(
                Ticket.next_due_at < now, Ticket.closed_at.is_(None)))}  # type: ignore[union-attr,operator]
    finally:
        engine.dispose()
    assert len(expected) > 25, "the demo should have more overdue tickets than one page holds"
    client = login(server.url, "supervisor")
    seen: list[str] = []
    url: str | None = "/board?warning=overdue"
    pages = 0
    while url:
        html = client.get(url).text
        pages += 1
        table = html.split('id="attention"', 1)[1].split("</table>", 1)[0]
        seen += re.findall(r'<a href="/t/([^"]+)">', table)
        nxt = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        assert pages < 50
    assert pages > 1
    assert len(seen) == len(set(seen)), "a ticket appeared on two pages"
    assert set(seen) == expected
    everything = client.get("/board?warning=overdue&all=1").text
    table = everything.split('id="attention"', 1)[1].split("</table>", 1)[0]
    assert set(re.findall(r'<a href="/t/([^"]+)">', table)) == expected
    assert f"共 {len(expected)} 件" in everything


def test_handler_forms_ask_for_explicit_choices(server: Server) -> None:
    """Issue 17, point 5: forwarding names no community until the handler picks one, the
    "已联系来电人" attestation starts unticked, a return asks for a real reason and a
    confirmation, and the unit hears that its return went through."""
    number = dispatch_new(server, "DC-DH", "桂花苑小区6栋楼顶防水层破损，下雨天顶楼住户家里漏水")
    sign = login(server.url, "donghua")
    r = sign.post(f"/t/{number}/act/sign", data={"csrf_token": csrf_of(sign.get(f"/t/{number}").text)})
    assert r.status_code == 303
    client = login(server.url, "donghua")  # a street: it forwards to its communities
    html = client.get(f"/t/{number}").text
    forward = html.split('id="act-forward"', 1)[1].split("</form>", 1)[0]
    assert '<option value="" selected>请选择</option>' in forward
    reply = html.split('id="act-reply"', 1)[1].split("</form>", 1)[0]
    assert re.search(r'<input type="checkbox" name="contacted_caller"\s*>', reply), reply
    back = html.split('id="act-return"', 1)[1].split("</form>", 1)[0]
    assert 'minlength="5"' in back
    assert 'data-confirm="确定要退单吗' in html.split('id="act-return"', 1)[0].rsplit("<form", 1)[1]
    r = client.post(f"/t/{number}/act/return", data={"csrf_token": csrf_of(html),
                                                     "reason": "不属于本单位职责范围，请重新派发"})
    assert r.status_code == 303
    done = client.get(r.headers["location"]).text
    assert f"工单 {number} 已退单" in done


def test_public_progress_speaks_the_callers_language(server: Server) -> None:
    """Issue 17, point 7: the number works without its hyphen, the heading and the steps use the
    same public stages (no 待签收 above a 签收 step, no internal 退单待处理), and an error is
    shown once."""
    import httpx

    number = dispatch_new(server, "DC-DH", "桂花苑小区7栋门前路灯不亮已经一周，晚上行人容易摔倒")
    anon = httpx.Client(base_url=server.url, timeout=10)
    page = anon.get("/progress", params={"number": number.replace("-", ""), "last4": "1111"})
    assert page.status_code == 200, page.text
    result = page.text.split('class="result"', 1)[1]
    heading = re.search(r'<span class="st st-\w+">([^<]+)</span>', result)
    assert heading and heading.group(1) == "办理中"
    for internal in ("待签收", "退单待处理", "差评核实中", "已回访待办结"):
        assert internal not in result
    wrong = anon.get("/progress", params={"number": number, "last4": "0000"})
    assert wrong.status_code == 404
    assert wrong.text.count("未找到与该编号") == 1


def test_monthly_report_is_a_page_with_a_month_selector(server: Server) -> None:
    """Issue 17, point 9: the report opens among the pages, offers the months, opens on the
    month just ended during a month's first days, and has the Excel download beside it."""
    from datetime import date

    from hotline.supervision.report import default_month, recent_months

    assert default_month(date(2026, 12, 3)) == "2026-11"
    assert default_month(date(2027, 1, 2)) == "2026-12"
    assert default_month(date(2026, 12, 20)) == "2026-12"
    assert recent_months(date(2026, 1, 15))[:3] == ["2026-01", "2025-12", "2025-11"]
    supervisor = login(server.url, "supervisor")
    page = supervisor.get("/report")
    assert page.status_code == 200
    assert "统计于" in page.text  # a stored snapshot (report_snapshots), with its time
    board = supervisor.get("/board").text
    assert 'href="/report"' in board and "统计于" in board
    months = re.findall(r'<option value="(\d{4}-\d{2})"', page.text)
    assert len(months) == 13
    chosen = re.search(r'<option value="(\d{4}-\d{2})" selected>', page.text)
    assert chosen
    assert f"/api/v1/supervision/report?month={chosen.group(1)}&amp;format=xlsx" in page.text
    other = supervisor.get("/report", params={"month": months[1]})
    assert f'<option value="{months[1]}" selected>' in other.text
    xlsx = supervisor.get(f"/api/v1/supervision/report?month={chosen.group(1)}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert login(server.url, "donghua").get("/report").status_code == 403


def test_board_approvals_show_reasons_and_decide_inline(server: Server) -> None:
    """Issue 17, point 3: a return on the board shows why it came back (not the ticket's text),
    an extension is approved or denied from the board itself and the board says so, and the
    orders people issued are listed apart from the scan's automatic ones."""
    number = dispatch_new(server, "DC-DH", "桂花苑小区8栋楼下共享单车乱停放，堵住消防通道")
    handler = login(server.url, "donghua")
    page = handler.get(f"/t/{number}").text
    handler.post(f"/t/{number}/act/sign", data={"csrf_token": csrf_of(page)})
    page = handler.get(f"/t/{number}").text
    r = handler.post(f"/t/{number}/act/return",
                     data={"csrf_token": csrf_of(page), "reason": "单车停放归城管执法中队管理，不属街道"})
    assert r.status_code == 303
    supervisor = login(server.url, "supervisor")
    board = supervisor.get("/board").text
    approvals = board.split('id="approvals"', 1)[1].split("</section>", 1)[0]
    row = next(line for line in approvals.split("<tr") if number in line)
    assert "单车停放归城管执法中队管理" in row and "堵住消防通道" not in row
    # an extension decided inline
    other = dispatch_new(server, "DC-DH", "桂花苑小区8栋外墙瓷砖脱落，楼下行人有被砸风险")
    page = handler.get(f"/t/{other}").text
    handler.post(f"/t/{other}/act/sign", data={"csrf_token": csrf_of(page)})
    page = handler.get(f"/t/{other}").text
    r = handler.post(f"/t/{other}/act/request_extension", data={
        "csrf_token": csrf_of(page), "reason": "需专业公司搭架检测外墙，申请延期", "add_working_days": "3"})
    assert r.status_code == 303, r.text
    board = supervisor.get("/board").text
    assert f'action="/t/{other}/act/approve_extension"' in board
    r = supervisor.post(f"/t/{other}/act/approve_extension", data={
        "csrf_token": csrf_of(board), "next": "/board#approvals", "reason": "同意"})
    assert r.status_code == 303 and r.headers["location"].startswith("/board?done=approve_extension")
    assert f"工单 {other} 已" in supervisor.get(r.headers["location"]).text
    orders = board.split('id="orders"', 1)[1].split("</section>", 1)[0]
    assert "人工督办待答复" in orders and "系统自动" in orders


def test_search_by_caller_phone_and_name_is_logged(server: Server) -> None:
    """Issue 17, point 4: staff find every call from a number (typed in the box or through the
    console's "该号码全部来电" link) and by the caller's name; finding tickets by a phone number
    tells who called about what, so it is written to the access log (CQ §22)."""
    from hotline.tickets.models import PersonalDataAccess

    number = dispatch_new(server, "DC-DH", "桂花苑小区9栋楼道堆放杂物，物业一直不清理")
    agent = login(server.url, "agent")
    engine = make_engine(Settings(database_url=server.db_url))
    try:
        with Session(engine) as s:
            ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
            before = len(s.exec(select(PersonalDataAccess).where(
                PersonalDataAccess.ticket_id == ticket.id)).all())
        page = agent.get("/search", params={"q": "137 0000 1111"}).text
        assert f'href="/t/{number}"' in page and "来电号码 137****1111 的全部来电" in page
        assert f'href="/t/{number}"' in agent.get("/search", params={"phone": "13700001111"}).text
        with Session(engine) as s:
            after = s.exec(select(PersonalDataAccess).where(
                PersonalDataAccess.ticket_id == ticket.id)).all()
            assert len(after) >= before + 2 and {a.purpose for a in after} >= {"phone_search"}
    finally:
        engine.dispose()
    assist = agent.get("/console/assist", params={"caller_phone": "13700001111", "content": ""}).text
    assert 'href="/search?phone=13700001111"' in assist


def test_home_page_leads_to_sign_in_and_the_public_pages(server: Server) -> None:
    """Issue 17, point 2: "/" was a developer page without a way in."""
    import httpx

    home = httpx.get(server.url + "/", timeout=10).text
    for href in ('href="/login"', 'href="/progress"', 'href="/kb"'):
        assert href in home
