"""Number formatting for people: money as $2.4B, counts with thousands separators, years as is.

The one place money and quantities are formatted: money() for prose and tables, rate() for unit
prices in columns, price() for shadow prices, exact_usd() for sums to add up, money_denoised()
and limit() where solver noise must read $0, usd() for the rough amounts a diagnosis cites,
signed_*() for differences between plans.
The report, comparison and sweep and every renderer (Markdown, HTML, terminal) use these, so a
number reads the same in every format and the tests can parse it back.
"""

from __future__ import annotations

import math

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"))
NOISE_USD = 1.0  # a dollar amount below this is solver noise


def _sig3(value: float) -> str:
    """Three significant digits, trailing zeros dropped (2.40 -> 2.4, 310.0 -> 310)."""
    if value == 0:
        return "0"
    decimals = max(0, 2 - int(math.floor(math.log10(abs(value)))))
    text = f"{round(value, decimals):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def money(usd: float | None) -> str:
    """$95.6B, $310M, $612,000, $2,126, $0.041 (three significant digits from $1M up)."""
    if usd is None or (isinstance(usd, float) and math.isnan(usd)):
        return "–"
    sign = "-" if usd < 0 else ""
    a = abs(float(usd))
    for scale, suffix in _SCALES:
        # 999.6M rounds to 1000M: show it as $1B instead
        if a >= scale * 0.9995:
            return f"{sign}${_sig3(a / scale)}{suffix}"
    if a >= 100:
        return f"{sign}${a:,.0f}"
    if a >= 1:
        return f"{sign}${a:,.2f}".rstrip("0").rstrip(".")
    if a == 0:
        return "$0"
    return f"{sign}${_sig3(a)}"


def money_denoised(usd: float) -> str:
    """money(), with solver noise below one dollar shown as $0."""
    return money(0.0 if abs(usd) < NOISE_USD else usd)


def limit(usd: float | None) -> str:
    """A dollar limit or headroom: 'none' when there is no limit, noise below $1 as $0."""
    if usd is None or not math.isfinite(usd):
        return "none"
    return money_denoised(usd)


def usd(x: float) -> str:
    """Money the way a planner says it in a diagnosis: $52B, $1.2B, $450M, $12,000."""
    if math.isinf(x):
        return "unlimited"
    ax = abs(x)
    if ax >= 1e9:
        return f"${_sig_rough(x / 1e9)}B"
    if ax >= 1e6:
        return f"${_sig_rough(x / 1e6)}M"
    return f"${x:,.0f}"


def _sig_rough(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def price(usd: float) -> str:
    """A shadow price: money() from $1M, whole dollars from $100, else four significant digits
    ($0.0413) so small prices stay distinct."""
    if not math.isfinite(usd):
        return "–"
    a = abs(usd)
    if a >= 1e6:
        return money(usd)
    if a >= 100:
        return f"{'-' if usd < 0 else ''}${a:,.0f}"
    return f"{'-' if usd < 0 else ''}${a:,.4g}"


def rate(usd: float | None, decimals: int = 2) -> str:
    """A unit price with fixed decimals so a column lines up: $71.30, $113.00."""
    if usd is None or (isinstance(usd, float) and math.isnan(usd)):
        return "–"
    sign = "-" if usd < 0 else ""
    return f"{sign}${abs(float(usd)):,.{decimals}f}"


def number(value: float | None, decimals: int = 0) -> str:
    """1,234,567 (rounded to `decimals`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{float(value):,.{decimals}f}"
    return "0" if text in ("-0", "-0.0") else text


def count(value: float | None) -> str:
    """Large counts in words for prose: 12.3 million, 1.11 billion; smaller ones in full."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    a = abs(float(value))
    if a >= 0.9995e9:
        return f"{_sig3(value / 1e9)} billion"
    if a >= 0.9995e6:
        return f"{_sig3(value / 1e6)} million"
    return number(value)


def pct(share: float | None, decimals: int = 1) -> str:
    """0.3259 -> 32.6%."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    return f"{100 * float(share):.{decimals}f}%"


def year(value: float | int) -> str:
    """Years as plain integers (no separators, no decimals)."""
    return str(int(value))


def exact_usd(usd: float) -> str:
    """Whole dollars with separators, for the figures a reader may want to add up."""
    return number(usd, 0)


def gap(share: float | None) -> str:
    """An optimality gap with two significant digits, so small gaps do not read as 0.00%:
    9.94e-05 -> 0.0099%, 1e-4 -> 0.01%, 0.0312 -> 3.12%, 0 -> 0%."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    v = 100 * abs(float(share))
    if v == 0:
        return "0%"
    if v >= 0.995:
        return f"{v:.2f}%"  # as pct(share, 2) writes it: 1.00%, 3.12%
    decimals = max(0, 1 - int(math.floor(math.log10(v))))
    text = f"{round(v, decimals):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def signed_money(usd: float) -> str:
    """+$2.4B, -$310M, $0."""
    if abs(usd) <= NOISE_USD + 1e-9 * abs(usd):  # as compare's money_differs(0, usd)
        return "$0"
    return f"{'+' if usd > 0 else '-'}{money(abs(usd))}"


def signed_pct(change: float) -> str:
    """+3.1%, -0.05% (two decimals below 0.1%), 0.0%."""
    if change is None or math.isnan(change):
        return "–"
    decimals = 1 if abs(change) >= 0.001 or change == 0 else 2
    text = pct(abs(change), decimals)
    if float(text.rstrip("%")) == 0:
        return text
    return f"{'+' if change > 0 else '-'}{text}"


def signed_number(value: float, decimals: int = 0, tol: float = 0.0) -> str:
    """+1,000, -500, 0 (within `tol`)."""
    if abs(value) <= tol:
        return "0"
    text = number(abs(value), decimals)
    if text.strip("0.,") == "":
        return text
    return f"{'+' if value > 0 else '-'}{text}"


def signed_count(value: float) -> str:
    """+1.2 million, -300,000."""
    return f"{'+' if value > 0 else '-'}{count(abs(value))}"


def mw(value: float) -> str:
    """Megawatts: one decimal below 10 MW, whole above."""
    return number(value, 1 if 0 < abs(value) < 10 else 0)
