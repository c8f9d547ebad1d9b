"""Read one CSV file of a data folder into an all-text DataFrame that remembers editor lines.

The csv module (not pandas.read_csv) is used so that every record keeps the line number a user
sees in an editor, comments and blank lines are skipped without shifting those numbers, and a
row with too many fields (usually an unquoted `1,000`) is reported instead of silently shifted.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.errors import Problem

LINE = "_line"  # editor line number of the row (-1 for rows fabplan synthesises)
BAD = "_bad"  # True for rows whose field count did not match the header (already reported)

_MAX_SHOWN = 60

# Control characters (data/README.md, reading rules): C0 controls (tab and line breaks included),
# DEL, C1 controls, the Unicode line/paragraph separators and the bidirectional embedding,
# override and isolate controls that make a terminal show text other than what is stored. No
# cell may hold them, except line breaks inside a quoted free-text cell (convert.py).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(text: object) -> str:
    """`text` with every control character written as an escape (US\\x1bAZ, a\\tb), so a
    message never sends a raw control code to the terminal or a report."""
    return CONTROL.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    if c in _ESCAPES:
        return _ESCAPES[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


@dataclass
class RawTable:
    """A CSV file as text: header names (stripped) and one str cell per header column."""

    file: str
    path: Path
    header: list[str]
    header_line: int
    frame: pd.DataFrame  # header columns (str) + LINE (int) + BAD (bool)


def read_table(path: Path, file: str) -> tuple[RawTable | None, list[Problem]]:
    """Parse `path`; return the table (None when nothing usable was found) and its problems."""
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, [Problem(file, None, None, None, f"cannot read the file: {e.strerror}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return None, [
            Problem(
                file,
                line,
                None,
                None,
                "expected UTF-8 text (in a spreadsheet, save as 'CSV UTF-8')",
            )
        ]
    problems: list[Problem] = []
    header: list[str] | None = None
    header_line = 0
    lines: list[int] = []
    rows: list[list[str]] = []
    bad: list[bool] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if _is_comment_or_blank(record):
                continue
            if header is None:
                header, header_line = [c.strip() for c in record], start
                found = _header_problems(file, header, header_line)
                if _not_comma_separated(header):
                    return None, found  # every column would be "missing": say why, once
                problems += found
                continue
            cells, row_bad = _fit(record, len(header))
            if row_bad:
                problems.append(_too_many_fields(file, start, record, len(header)))
            rows.append(cells)
            lines.append(start)
            bad.append(row_bad)
    except csv.Error as e:
        problems.append(Problem(file, reader.line_num, None, None, f"malformed CSV: {e}"))
    if header is None:
        problems.append(Problem(file, None, None, None, "expected a header row, found no data"))
        return None, problems
    frame = pd.DataFrame(rows, columns=header, dtype="str") if rows else _empty(header)
    frame = frame.loc[:, [h != "" for h in header]]  # unnamed columns (trailing commas)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame[LINE] = pd.Series(lines, dtype="int64", index=frame.index)
    frame[BAD] = pd.Series(bad, dtype="bool", index=frame.index)
    return RawTable(file, path, header, header_line, frame), problems


def _is_comment_or_blank(record: list[str]) -> bool:
    first = record[0].lstrip() if record else ""
    if first:  # the usual row: decided by its first cell, without scanning the others
        return first.startswith("#")
    return all(c.strip() == "" for c in record)


def _fit(record: list[str], width: int) -> tuple[list[str], bool]:
    """Pad short rows with empty cells; a long row is bad unless the extra cells are empty."""
    if len(record) == width:  # the usual row, as is
        return record, False
    if len(record) < width:
        return record + [""] * (width - len(record)), False
    if all(c.strip() == "" for c in record[width:]):
        return record[:width], False
    return record[:width], True


def _too_many_fields(file: str, line: int, record: list[str], width: int) -> Problem:
    shown = printable(",".join(record))
    if len(shown) > _MAX_SHOWN:
        shown = shown[: _MAX_SHOWN - 3] + "..."
    return Problem(
        file,
        line,
        None,
        shown,
        f"expected {width} fields as in the header, found {len(record)}: a number written "
        "with a thousands separator such as 1,000 splits into two cells (write 1000), and "
        'text containing a comma must be quoted ("a, b")',
    )


def _not_comma_separated(header: list[str]) -> bool:
    return len(header) == 1 and ";" in header[0]


def _header_problems(file: str, header: list[str], line: int) -> list[Problem]:
    problems = []
    if _not_comma_separated(header):
        problems.append(
            Problem(
                file,
                line,
                None,
                printable(header[0]),
                "expected comma-separated columns; this header uses ';' "
                "(in a spreadsheet, export as 'CSV UTF-8 (comma delimited)')",
            )
        )
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(
                Problem(file, line, printable(name), None, "column appears twice in the header")
            )
        seen.add(name)
    return problems


def _empty(header: list[str]) -> pd.DataFrame:
    return pd.DataFrame({h: pd.Series([], dtype="str") for h in dict.fromkeys(header)})
