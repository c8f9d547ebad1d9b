"""Sensitivity (tornado) of cost and the main decisions against each varied input.

For an input X and an output Y: among the solved cases where every other varied input is at its
base value (the unmodified value when it is listed, else the first: cases.Design), take the
case with X at its lowest value and the one with X at its highest; the bar of X runs from Y at
the lowest X to Y at the highest X, drawn from the base case's Y. Values are ordered as numbers
when they all are numbers (a case that does not override a `*=` input counts as factor 1, a
`+=` input as 0), else in the order listed. Outputs that no input moves get no panel.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from optimizer.render.charts import label, svg_text
from optimizer.render.fmt import count, money
from optimizer.sweep.cases import Design

NOISE = 1e-9  # relative: a range below this is solver noise, not variation
#: Outputs shown in the tornado, with their labels.
OUTPUTS = {
    "objective_usd": "cost (objective, NPV USD)",
    "wspm_built": "total wspm built",
    "unmet_gpus": "unmet GPUs (expected)",
    "capital_usd": "capital raised (USD)",
}
COLUMNS = [
    "input",
    "output",
    "low_value",
    "high_value",
    "base_output",
    "output_at_low",
    "output_at_high",
    "swing",
    "range",
]


def sensitivity(table: pd.DataFrame, design: Design) -> pd.DataFrame:
    """One row per (varied input, output): the values at the input's extremes, `swing` =
    output_at_high - output_at_low and `range` = |swing| (NaN when an extreme case failed)."""
    text = {key: table[key].map(_text) for key in design.varied}
    at_base = {key: text[key] == _text(design.base[key]) for key in design.varied}
    everything_at_base = pd.Series(True, index=table.index)
    for key in design.varied:
        everything_at_base &= at_base[key]
    base_rows = table[everything_at_base]
    rows = []
    for key in design.varied:
        others = pd.Series(True, index=table.index)
        for other in design.varied:
            if other != key:
                others &= at_base[other]
        values = text[key][others]
        order = _order(key, list(dict.fromkeys(values)))
        if len(order) < 2:
            continue
        low, high = order[0], order[-1]
        low_row = table[others & (text[key] == low)].iloc[0]
        high_row = table[others & (text[key] == high)].iloc[0]
        for output in OUTPUTS:
            base = float(base_rows[output].iloc[0]) if len(base_rows) else math.nan
            y_low, y_high = float(low_row[output]), float(high_row[output])
            rows.append(
                {
                    "input": key,
                    "output": output,
                    "low_value": low or "(not set)",
                    "high_value": high or "(not set)",
                    "base_output": base,
                    "output_at_low": y_low,
                    "output_at_high": y_high,
                    "swing": y_high - y_low,
                    "range": abs(y_high - y_low),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def _text(value: object) -> str:
    """A table cell as the text of an override value ('' = not overridden)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _order(key: str, values: list[str]) -> list[str]:
    """Values from lowest to highest: numerically when possible, else as listed."""
    identity = {"*": "1", "+": "0"}.get(key[-1:])
    numbers = []
    for value in values:
        text = value if value or identity is None else identity
        try:
            numbers.append(float(text))
        except ValueError:
            return values
    return [v for _, v in sorted(zip(numbers, values, strict=True), key=lambda p: p[0])]


def varying(ranges: pd.DataFrame) -> pd.DataFrame:
    """The rows of the outputs that some input moves (a range above solver noise)."""
    scale = ranges[["base_output", "output_at_low", "output_at_high"]].abs().max(axis=1)
    moves = ranges["range"] > NOISE * scale.clip(lower=1.0)
    kept = set(ranges.loc[moves, "output"])
    return ranges[ranges["output"].isin(kept)]


def tornado_svg(ranges: pd.DataFrame) -> str | None:
    """The tornado chart (one panel per output, largest range on top) as standalone SVG text.
    An output that no varied input moves gets no panel (an empty panel only takes room); None
    when nothing moves at all."""
    ranges = varying(ranges.dropna(subset=["output_at_low", "output_at_high"]))
    if ranges.empty:
        return None
    outputs = [o for o in OUTPUTS if o in set(ranges["output"])]
    inputs = list(dict.fromkeys(ranges["input"]))
    fig = Figure(figsize=(8, 1.2 + len(outputs) * (0.9 + 0.45 * len(inputs))))
    axes = fig.subplots(len(outputs), 1, squeeze=False)[:, 0]
    for ax, output in zip(axes, outputs, strict=True):
        part = ranges[ranges["output"] == output].sort_values("range", ascending=True)
        base = part["base_output"].iloc[0]
        if math.isnan(base):
            base = float(part[["output_at_low", "output_at_high"]].min().min())
        y = range(len(part))
        ax.barh(y, part["output_at_low"] - base, left=base, color="#4c78a8", label="lowest value")
        ax.barh(y, part["output_at_high"] - base, left=base, color="#f58518", label="highest value")
        ax.axvline(base, color="#333333", linewidth=0.8)
        ax.set_yticks(list(y))
        ax.set_yticklabels(
            [
                label(f"{i} ({lo} → {hi})", max_len=None)
                for i, lo, hi in zip(
                    part["input"], part["low_value"], part["high_value"], strict=True
                )
            ]
        )
        fmt = money if output.endswith("_usd") else count
        ax.set_title(f"{OUTPUTS[output]}; base case {fmt(base)}", loc="left", fontsize=10)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos, f=fmt: f(x)))
        ax.use_sticky_edges = False  # keep a margin around the base line
        ax.margins(x=0.08)
    axes[0].legend(loc="lower right", fontsize=8, frameon=False)
    fig.suptitle("Sensitivity of cost and decisions to each varied input", fontsize=11)
    fig.tight_layout()
    return svg_text(fig, "fabplan-sweep")
