"""Reading the admin-editable CSV files (gazetteer, dispatch catalogue) with line-numbered errors.

Admins edit these files by hand, so a bad row must be reported as `file:line: what is wrong`
rather than as a stack trace deep inside the router. Lines starting with `#` are comments.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path


class DataFileError(ValueError):
    """A row of a data file is invalid; names the file and the 1-based line."""

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.source = source
        self.line = line
        self.message = message


def read_rows(
    path_or_text: Path | str, required: tuple[str, ...], *, source: str | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield `(line_number, row)` for each data row; cells are stripped, missing cells are "".

    `path_or_text` is a path, or the CSV text itself when it contains a newline (handy in tests).
    """
    if isinstance(path_or_text, Path) or "\n" not in path_or_text:
        path = Path(path_or_text)
        text = path.read_text(encoding="utf-8-sig")
        source = source or str(path)
    else:
        text = path_or_text
        source = source or "<text>"
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise DataFileError(source, 1, "empty file: expected a header row")
    header_line, header = lines[0]
    columns = [c.strip() for c in next(csv.reader([header]))]
    missing = [c for c in required if c not in columns]
    if missing:
        raise DataFileError(source, header_line, f"missing column(s) {', '.join(missing)}; "
                                                 f"header is {', '.join(columns)}")
    for number, line in lines[1:]:
        cells = next(csv.reader(io.StringIO(line)))
        if len(cells) > len(columns):
            raise DataFileError(source, number, f"{len(cells)} cells but the header has {len(columns)}")
        row = {c: (cells[i].strip() if i < len(cells) else "") for i, c in enumerate(columns)}
        yield number, row
