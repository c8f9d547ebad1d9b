"""Numbers and row labels in violation messages, written the way a planner reads them."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd


def fmt(x: float) -> str:
    """1234000 -> '1,234,000'; 111111.111 -> '111,111.11'; 0.9 -> '0.9'; inf -> 'no limit'."""
    x = float(x)
    if math.isnan(x):
        return "missing"
    if math.isinf(x):
        return "no limit" if x > 0 else "-no limit"
    if x == 0:
        return "0"
    if abs(x) >= 100:
        text = f"{x:,.2f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{x:.6g}"


def lines_of(lines: object) -> str:
    """'line 3' or 'lines 3, 7' for rows pointed at in a plan table."""
    values = sorted({int(v) for v in np.atleast_1d(np.asarray(lines))})
    return ("line " if len(values) == 1 else "lines ") + ", ".join(str(v) for v in values)


def each(frame: pd.DataFrame) -> Iterator[tuple]:
    """Rows of a (usually empty) frame of violators; skips building a namedtuple class when
    there is nothing to report, which dominates the cost of a clean check."""
    return iter(()) if frame.empty else frame.itertuples(index=False)
