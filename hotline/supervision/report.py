"""The monthly unit evaluation report (CQ §24) as XLSX and HTML."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from sqlmodel import Session

from hotline.core.times import SHANGHAI
from hotline.supervision.metrics import HotlineMetrics, UnitMetrics, hotline_metrics, unit_metrics
from hotline.web import exports

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
COLUMNS: list[tuple[str, str, str]] = [
    ("unit_name", "承办单位", "text"), ("score", "综合得分", "num"), ("received", "受理量", "int"),
    ("on_time_sign_rate", "按时签收率", "pct"), ("on_time_close_rate", "按时办结率", "pct"),
    ("avg_working_days_to_close", "平均办结工作日", "num"), ("return_rate", "退单率", "pct"),
    ("improper_returns", "不当退单", "int"), ("extension_rate", "延期率", "pct"),
    ("abnormal_extensions", "异常延期", "int"), ("satisfaction_rate", "满意率", "pct"),
    ("resolution_rate", "解决率", "pct"), ("rework_rate", "重办率", "pct"),
    ("late_returns", "超时退单", "int"), ("unsigned_overdue", "超时未签收", "int"),
    ("unanswered_overdue", "超期未答复", "int"), ("kb_upkeep_rate", "知识库维护", "pct"),
]


def default_month(today: date) -> str:
    """The month a supervisor most likely wants: in the first five days the one just ended
    (its figures are complete), later the current one."""
    if today.day <= 5:
        last = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
        return last.strftime("%Y-%m")
    return today.strftime("%Y-%m")


def recent_months(today: date, count: int = 13) -> list[str]:
    """This month and the twelve before it, newest first, for the month selector."""
    out, year, mon = [], today.year, today.month
    for _ in range(count):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return out


def rows(units: list[UnitMetrics]) -> list[list[object]]:
    """The report's table as shown (percentages formatted, "—" where a figure has no base)."""
    return [[_cell(m.to_dict()[key], kind) for key, _, kind in COLUMNS] for m in units]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """'2026-11' → [2026-11-01, 2026-12-01) in Asia/Shanghai; ValueError if malformed.
    A bare year '2026' → the whole year (年度评估, CQ §24)."""
    if len(month) == 4:
        y = int(month)
        return datetime(y, 1, 1, tzinfo=SHANGHAI), datetime(y + 1, 1, 1, tzinfo=SHANGHAI)
    year, mon = (int(x) for x in month.split("-"))
    start = date(year, mon, 1)
    end = date(year + (mon == 12), mon % 12 + 1, 1)
    return (datetime(start.year, start.month, 1, tzinfo=SHANGHAI),
            datetime(end.year, end.month, 1, tzinfo=SHANGHAI))


def collect(session: Session, month: str,
            unit_ids: list[int] | None = None) -> tuple[list[UnitMetrics], HotlineMetrics]:
    start, end = month_bounds(month)
    return unit_metrics(session, start, end, unit_ids), hotline_metrics(session, start, end)


def _cell(value: object, kind: str) -> object:
    if value is None:
        return "—"
    if kind == "pct" and isinstance(value, int | float):
        return f"{float(value) * 100:.1f}%"
    return value


def to_xlsx(month: str, units: list[UnitMetrics], hotline: HotlineMetrics) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{month} 单位考评"
    exports.append_row(ws, [label for _, label, _ in COLUMNS])
    for m in units:
        d = m.to_dict()
        exports.append_row(ws, [d[key] for key, _, _ in COLUMNS])  # unit names stay text
    for row in ws.iter_rows(min_row=2):
        for cell, (_, _, kind) in zip(row, COLUMNS, strict=True):
            if kind == "pct" and isinstance(cell.value, float):
                cell.number_format = "0.0%"
    ws.freeze_panes = "B2"
    summary = wb.create_sheet("热线")
    summary.append(["登记量", "直接解答量", "直接解答率"])
    summary.append([hotline.registered, hotline.direct_answers, hotline.direct_answer_rate])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_html(month: str, units: list[UnitMetrics], hotline: HotlineMetrics) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape())
    year, mon = month.split("-")
    return env.get_template("report_monthly.html").render(
        title=f"{year}年{int(mon)}月 承办单位考评报告", headers=[c[1] for c in COLUMNS], rows=rows(units),
        hotline=hotline, rate=_cell(hotline.direct_answer_rate, "pct"))
