"""The operator-loadable holiday table (CSV: ``date,kind,name``).

The State Council publishes next year's holiday notice late in the year, and districts
occasionally deviate; both must reach production without a release, so the table is data
(see DOMAIN.md "Deadlines", CQ §13). Errors name the file and line because the person
fixing them is an operator with a text editor, not a developer.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

TableKind = Literal["holiday", "workday"]
_KINDS: tuple[TableKind, ...] = ("holiday", "workday")


class CalendarTableError(ValueError):
    """A row of the holiday table is wrong; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class TableRow:
    date: date
    kind: TableKind
    name: str | None
    line: int


def _fail(source: str, line: int, problem: str) -> CalendarTableError:
    return CalendarTableError(f"{source} 第 {line} 行 / line {line}: {problem}")


def parse_table(text: str, source: str = "<table>") -> dict[date, TableRow]:
    """Parse the table strictly: a silently skipped row would be a wrong deadline later.

    Blank lines and lines starting with ``#`` are ignored; a first line ``date,kind,name``
    is taken as the header.
    """
    rows: dict[date, TableRow] = {}
    reader = csv.reader(io.StringIO(text))
    for fields in reader:
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields) or fields[0].lstrip().startswith("#"):
            continue
        cells = [f.strip() for f in fields]
        if [c.lower() for c in cells[:2]] == ["date", "kind"]:
            continue
        if len(cells) not in (2, 3):
            raise _fail(
                source, line, f"需要 3 列 date,kind,name / expected 3 columns, got {len(cells)}"
            )
        raw_date, kind, name = cells[0], cells[1].lower(), (cells[2] if len(cells) == 3 else "")
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            raise _fail(
                source, line, f"日期无效 / invalid date {raw_date!r} (expected YYYY-MM-DD)"
            ) from None
        if kind not in _KINDS:
            raise _fail(
                source, line, f"类型无效 / invalid kind {cells[1]!r} (expected holiday or workday)"
            )
        if kind == "holiday" and not name:
            raise _fail(source, line, "节假日需要名称 / a holiday needs a name")
        if day in rows:
            first = rows[day].line
            raise _fail(source, line, f"日期 {day} 与第 {first} 行重复 / duplicate of line {first}")
        rows[day] = TableRow(day, kind, name or None, line)
    return rows


def load_table(path: str | Path) -> dict[date, TableRow]:
    """Read the table as UTF-8 (with or without a BOM, as spreadsheet exports produce)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CalendarTableError(
            f"无法读取节假日表 / cannot read holiday table {p}: {exc}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise CalendarTableError(f"{p}: 不是 UTF-8 编码 / not UTF-8: {exc}") from exc
    return parse_table(text, str(p))
