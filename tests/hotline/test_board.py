"""The supervisors' board, exports, inbox, webhook channel and anomaly alerts."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
import time_machine
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import integrations
from hotline.core import settings
from hotline.notifications.models import Notification
from hotline.notifications.webhook import deliver_webhooks
from hotline.supervision.anomalies import detect, snapshot_unit_stats
from hotline.supervision.models import AnomalyAlert
from hotline.tickets.models import Ticket
from hotline.workers.jobs import sla_scan
from sla import SHANGHAI
from tests.hotline.conftest import Api, City

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # Friday


def make_board(api: Api, city: City) -> dict[str, str]:
    """On Fri 11-20: overdue by 4 wd (street), by 2 wd (dept), at risk (street), green (street)."""
    out: dict[str, str] = {}
    plan = [("late3", "2026-10-26 10:00", "DC-DH", "donghua", 15, "投诉", "环境保护/噪声污染"),
            ("late1", "2026-11-16 10:00", "ZJW", "zjw", 2, "咨询", "城乡建设/物业管理"),
            ("soon", "2026-11-18 10:00", "DC-DH", "donghua", 2, "投诉", "城市管理/占道经营"),
            ("fine", "2026-11-19 10:00", "XC-XG", "xiguan", 15, "建议", "交通运输/公交出租")]
    for key, when, unit, handler, days, rtype, category in plan:
        with time_machine.travel(datetime.fromisoformat(when).replace(tzinfo=SHANGHAI), tick=False):
            n = api.create(request_type=rtype, category=category)["number"]
            api.act("agent", n, "dispatch", lead_unit_id=city.unit(unit), due_working_days=days)
            api.act(handler, n, "sign")  # the transfer clock is met; the close clock remains
            out[key] = n
    return out


def board(client: TestClient, headers: Any, who: str, **params: Any) -> dict[str, Any]:
    # The token is issued in the travelled time too: one from the real (later) day would carry an
    # expiry beyond the configured lifetime as seen from NOW, and is refused (issue 15).
    with time_machine.travel(NOW, tick=False):
        r = client.get("/api/v1/supervision/board", params=params, headers=headers(who))
    assert r.status_code == 200, r.text
    return r.json()


def test_board_sorted_by_urgency_with_counts(api: Api, city: City, client: TestClient,
                                             headers: Any) -> None:
    t = make_board(api, city)
    data = board(client, headers, "supervisor")
    # Dues: late3 10-26 + 15 wd = Mon 11-16 (overdue 11-17…11-20: 4 wd), late1 11-16 + 2 wd =
    # Wed 11-18 (2 wd), soon 11-18 + 2 wd = Fri 11-20 (due today: at risk).
    assert [i["number"] for i in data["items"]] == [t["late3"], t["late1"], t["soon"]]
    assert [i["warning"] for i in data["items"]] == ["overdue", "overdue", "at_risk"]
    counts = {c["unit_name"]: (c["overdue"], c["at_risk"]) for c in data["counts"]}
    assert counts == {"东华街道办事处": (1, 1), "市住房和城乡建设委员会": (1, 0)}
    def late(n: int) -> list[str]:
        return [i["number"] for i in board(client, headers, "supervisor", min_overdue_days=n)["items"]]

    assert late(1) == late(2) == [t["late3"], t["late1"]]
    assert late(3) == late(4) == [t["late3"]]
    assert late(5) == []
    assert board(client, headers, "supervisor", warning="at_risk")["total"] == 1
    assert board(client, headers, "supervisor", request_type="咨询")["total"] == 1
    assert board(client, headers, "supervisor", category="城市管理")["total"] == 1
    # The same list scoped to a unit manager's subtree; handlers have no board.
    assert {i["number"] for i in board(client, headers, "dongcheng_mgr")["items"]} \
        == {t["late3"], t["soon"]}
    assert board(client, headers, "zjw_mgr")["total"] == 1
    assert client.get("/api/v1/supervision/board", headers=headers("donghua")).status_code == 403


def test_exports(api: Api, city: City, client: TestClient, headers: Any) -> None:
    t = make_board(api, city)
    with time_machine.travel(NOW, tick=False):
        c = client.get("/api/v1/supervision/board.csv", headers=headers("supervisor"))
        x = client.get("/api/v1/supervision/board.xlsx", headers=headers("supervisor"))
    assert c.status_code == 200 and c.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert rows[0][0] == "工单编号" and [r[0] for r in rows[1:]] == [t["late3"], t["late1"], t["soon"]]
    assert rows[1][3] == "4" and rows[2][3] == "2"  # working days overdue on Fri 11-20
    sheet = load_workbook(io.BytesIO(x.content)).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [t["late3"], t["late1"], t["soon"]]


def test_inbox_after_scan(api: Api, city: City, client: TestClient, headers: Any) -> None:
    make_board(api, city)
    sla_scan(now=NOW)
    mine = client.get("/api/v1/inbox", headers=headers("donghua")).json()
    kinds = sorted(i["kind"] for i in mine["items"])
    assert kinds == ["reminder", "supervision"] and mine["unread"] == 2
    sup = client.get("/api/v1/inbox", headers=headers("supervisor")).json()
    # late3 is 4 wd overdue: supervised and escalated; late1 supervised.
    assert sorted(i["kind"] for i in sup["items"]) == ["escalation", "supervision", "supervision"]
    mgr = client.get("/api/v1/inbox", headers=headers("dongcheng_mgr")).json()
    assert [i["kind"] for i in mgr["items"]] == ["escalation"]  # the district leader
    first = mine["items"][0]["id"]
    assert client.post(f"/api/v1/inbox/{first}/read", headers=headers("donghua")).status_code == 200
    assert client.get("/api/v1/inbox", headers=headers("donghua")).json()["unread"] == 1
    # Another unit cannot read or mark it.
    assert client.post(f"/api/v1/inbox/{first}/read", headers=headers("zjw")).status_code == 404


class _Receiver(BaseHTTPRequestHandler):
    got: ClassVar[list[tuple[str, dict[str, Any]]]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(500)
        else:
            # Signed like every message we send: verify it as a receiver would.
            integrations.verify("s3cret", dict(self.headers), body, datetime.now(UTC))
            _Receiver.got.append((self.headers["Idempotency-Key"], json.loads(body)))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_webhook_channel_retries_then_delivers_once(api: Api, city: City, engine: Engine,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HOTLINE_NOTIFY_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    monkeypatch.setenv("HOTLINE_NOTIFY_WEBHOOK_SECRET", "s3cret")
    settings.get_settings.cache_clear()
    _Receiver.got, _Receiver.fail_first = [], 1
    try:
        make_board(api, city)
        sla_scan(now=NOW)
        with Session(engine) as s:
            first = deliver_webhooks(s, NOW)
            s.commit()
        assert first["retry"] == 1 and first["delivered"] >= 1
        with Session(engine) as s:
            deliver_webhooks(s, NOW)  # not yet due again
            s.commit()
            later = deliver_webhooks(s, NOW + timedelta(minutes=5))
            s.commit()
            total = len(s.exec(select(Notification)).all())
        assert later["delivered"] == 1
        keys = [k for k, _ in _Receiver.got]
        assert len(keys) == total == len(set(keys))  # every notification, once
        assert all(body["ticket"] for _, body in _Receiver.got)
    finally:
        server.shutdown()
        settings.get_settings.cache_clear()


def test_surge_and_backlog_alerts(api: Api, city: City, engine: Engine) -> None:
    base = datetime(2026, 11, 18, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(base, tick=False) as tm:
        for i in range(6):  # six noise complaints in one street within hours
            tm.move_to(base + timedelta(minutes=20 * i))
            n = api.create(category="环境保护/噪声污染")["number"]
            api.act("agent", n, "dispatch", lead_unit_id=city.unit("DC-DH"))
    now = base + timedelta(hours=3)
    with Session(engine) as s:
        yesterday = now - timedelta(days=1)
        # An earlier day's backlog for the unit, to compare today's against.
        from hotline.supervision.models import UnitDailyStat

        s.add(UnitDailyStat(unit_id=city.unit("DC-DH"), day=yesterday.astimezone(SHANGHAI).date(),
                            backlog=1, overdue=0))
        snapshot_unit_stats(s, now)
        created = detect(s, now)
        again = detect(s, now)
        s.commit()
        kinds = sorted(a.kind for a in created)
        assert kinds == ["backlog", "surge"]
        assert again == []  # each alert once a day
        surge = next(a for a in created if a.kind == "surge")
        assert surge.observed == 6 and surge.category == "环境保护/噪声污染"
        assert "东华街道办事处" in surge.detail["message"]
        assert len(s.exec(select(AnomalyAlert)).all()) == 2
        assert s.exec(select(Ticket)).first() is not None
