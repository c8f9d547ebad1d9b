"""Wording shared by screening and explanations: numbers, money, years and input-row references.

Every message points a user at the row to change, so references to rows are built here in one
style: "sites.csv line 3" or "partner_regions.csv lines 2, 4".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

from optimizer.errors import Problem

LINE = "_line"  # editor line of a row in its CSV file; -1 for rows fabplan synthesises
TOL = 1e-6  # relative tolerance for "exceeds" in screening


def num(x: float) -> str:
    """1,234 for large or whole numbers, 3 significant digits for small ones."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "?"
    if math.isinf(x):
        return "unlimited"
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.3g}"


def val(x: object) -> object:
    """A cell value the way it reads in a CSV file: 100 rather than 100.0."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return x
    x = float(x)
    if math.isinf(x) or math.isnan(x):
        return ""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.10g}"


def cell(x: float) -> str:
    """A column value cited in a sentence, as in the CSV file (an empty limit is unlimited)."""
    if isinstance(x, int | float) and math.isinf(x):
        return "unlimited"
    return str(val(x))


def share(x: float) -> str:
    """A share as written in the inputs, at least two decimals: 0.40, 0.49, 0.333 (0 and 1 bare)."""
    if x in (0.0, 1.0):
        return f"{x:.0f}"
    return f"{x:.2f}" if round(x, 2) == round(x, 10) else f"{x:.4g}"


def share_up(x: float) -> str:
    """A share rounded up to 3 decimals, so a suggested cap is enough: 0.71429 -> 0.715."""
    return share(math.ceil(x * 1000 - 1e-9) / 1000)


def years_text(years: Iterable[int]) -> str:
    """2026, 2026-2028, or 2026, 2028-2029 for runs of consecutive years."""
    ys = sorted({int(y) for y in years})
    if not ys:
        return ""
    runs: list[list[int]] = [[ys[0], ys[0]]]
    for y in ys[1:]:
        if y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def line_or_none(line: object) -> int | None:
    """The editor line of a row, None for rows fabplan synthesised (no file to edit)."""
    if line is None or pd.isna(line):
        return None
    line = int(line)
    return line if line > 0 else None


def ref(file: str, lines: Sequence[object] | object) -> str:
    """'sites.csv line 3' / 'sites.csv lines 3, 5' (synthesised rows are left out)."""
    if not isinstance(lines, list | tuple | pd.Series | pd.Index):
        lines = [lines]
    known = sorted({n for n in (line_or_none(v) for v in lines) if n is not None})
    if not known:
        return f"{file} (implicit default)" if file else ""
    word = "line" if len(known) == 1 else "lines"
    return f"{file} {word} {', '.join(str(n) for n in known)}"


def listing(items: Sequence[str], limit: int = 4) -> str:
    """'a; b; c' or 'a; b; c; d and 3 more'."""
    items = list(items)
    if len(items) <= limit:
        return "; ".join(items)
    return "; ".join(items[:limit]) + f" and {len(items) - limit} more"


def problem(file, line, column, value, expected, severity="error") -> Problem:
    """A screening finding whose value is shown as it reads in the CSV file."""
    return Problem(file, line, column, val(value), expected, severity)
