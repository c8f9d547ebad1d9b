"""The capital-budget curve of a sweep (issue 13): only when the sweep varies
parameters.capital_budget_musd; any other sweep's report is unchanged.

The curve is read off sweep.csv: the solved cases whose other varied inputs are at their base
(first) value, one point per budget, sorted by budget (a case without a budget, if listed, last
in the table and not drawn).
"""

from __future__ import annotations

import math

import pandas as pd

from optimizer.render.fmt import money, number
from optimizer.sweep.cases import Design

BUDGET = "capital_budget_musd"
CHART_NAME = "charts/capital_curve.svg"
TITLE = "What each capital budget buys"
HEADER = [
    "budget",
    "GPUs delivered",
    "unmet GPUs",
    "capital raised",
    "cost excl. unmet penalty",
    "binding",
]
INTRO = (
    "One row per capital budget (every other varied input at its base value): the GPUs "
    "delivered (expected over scenarios), the demand left unmet, the capital raised, the cost "
    "of what was delivered (the objective less the unmet-demand penalty) and what limits "
    "delivery: capital_budget while money binds, else the tightest limit in the years with a "
    "shortfall (site_size, a tool, a stage's capacity), or none when demand is met."
)


def has_curve(design: Design) -> bool:
    return BUDGET in design.varied


def curve_frame(table: pd.DataFrame, design: Design) -> pd.DataFrame:
    """budget_musd, gpus_delivered, gpus_demanded, unmet_gpus, capital_raised_usd,
    cost_excl_unmet_usd, binding_stage: solved cases at base of the other inputs, by budget."""
    at_base = pd.Series(True, index=table.index)
    for key in design.varied:
        if key != BUDGET:
            at_base &= table[key].map(_text) == _text(design.base[key])
    solved = table["objective_usd"].notna()
    part = table[at_base & solved]
    frame = pd.DataFrame(
        {
            "budget_musd": pd.to_numeric(part[BUDGET], errors="coerce"),
            **{
                c: part[c]
                for c in (
                    "gpus_delivered",
                    "gpus_demanded",
                    "unmet_gpus",
                    "capital_raised_usd",
                    "cost_excl_unmet_usd",
                    "binding_stage",
                )
            },
        }
    )
    frame = frame.sort_values("budget_musd", na_position="last", kind="stable")
    return frame.drop_duplicates("budget_musd").reset_index(drop=True)


def curve_context(curve: pd.DataFrame) -> dict:
    """The section's table (header, rows, numeric flags) and its summary sentence."""
    rows = [
        [
            _budget(r.budget_musd),
            number(_num(r.gpus_delivered)),
            number(_num(r.unmet_gpus)),
            money(_num(r.capital_raised_usd)),
            money(_num(r.cost_excl_unmet_usd)),
            str(r.binding_stage),
        ]
        for r in curve.itertuples()
    ]
    numeric = [False, True, True, True, True, False]
    return {"header": HEADER, "rows": rows, "numeric": numeric, "sentence": _sentence(curve)}


def _sentence(curve: pd.DataFrame) -> str:
    drawn = curve.dropna(subset=["budget_musd"])
    if drawn.empty:
        return "No case with a capital budget was solved."
    top = drawn.iloc[-1]
    text = (
        f"The largest budget, {_budget(top.budget_musd)}, buys "
        f"{number(_num(top.gpus_delivered))} GPUs of {number(_num(top.gpus_demanded))} "
        f"demanded; what limits it: {top.binding_stage}."
    )
    money_bound = drawn[drawn["binding_stage"] == "capital_budget"]
    beyond = drawn[drawn["binding_stage"] != "capital_budget"]
    if len(money_bound) and len(beyond):
        first = beyond.iloc[0]
        text += (
            f" From {_budget(first.budget_musd)} up, money is no longer the limit: "
            f"{first.binding_stage} is."
        )
    return text


def _budget(musd: object) -> str:
    x = _num(musd)
    return "(no budget)" if x is None else money(x * 1e6)


def _num(value: object) -> float | None:
    """A cell as a float, or None when it is blank, NaN or not a number."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
