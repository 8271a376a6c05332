"""Reading labelled tables (CSV or XLSX) into texts and labels.

Several text columns (subject, body) are joined with a space: the subject is often the
most telling part of a message, and keeping it first mirrors how the training data was built.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path


class DataError(Exception):
    """Input a person can fix: missing file, unknown column, empty table."""


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several unrelated types
            raise DataError(f"cannot read {path} as XLSX: {exc}") from exc
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(it, [])]
        rows = [
            {h: "" if v is None else str(v) for h, v in zip(header, r, strict=False)} for r in it
        ]
        wb.close()
        return header, rows
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            rows = [{k: v or "" for k, v in r.items() if k is not None} for r in reader]
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text: {exc}") from exc
    except csv.Error as exc:
        raise DataError(f"{path} is not a valid CSV: {exc}") from exc
    return header, rows


def read_table(
    path: Path | str, text_columns: Sequence[str], label_column: str | None
) -> tuple[list[str], list[str]]:
    """Rows with empty text or (when a label column is asked for) empty label are skipped."""
    path = Path(path)
    header, rows = _read_rows(path)
    wanted = [*text_columns, *([label_column] if label_column else [])]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise DataError(f"column(s) {missing} not in {path.name}; columns are {header}")
    texts: list[str] = []
    labels: list[str] = []
    for r in rows:
        text = " ".join((r.get(c) or "").strip() for c in text_columns).strip()
        label = (r.get(label_column) or "").strip() if label_column else ""
        if not text or (label_column and not label):
            continue
        texts.append(text)
        labels.append(label)
    if not texts:
        raise DataError(f"no usable rows in {path}")
    return texts, labels
