"""What every report section shares: row limits, the plan's horizon and basis in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.plan import statistics
from optimizer.plan.read import Plan
from optimizer.render.document import (
    Table,
    table,
)
from optimizer.render.fmt import (
    number,
    pct,
    year,
)

MAX_BINDING_SENTENCES = 10
MAX_BINDING_ROWS = 25
MAX_YEAR_COLUMNS = 8
MAX_ROWS = 50  # longer tables show their first rows; the rest is in the CSV files and workbook
MAX_TIMELINE = 40


def pick_years(years: list) -> list:
    """All years when few, else evenly spaced ones including the first and the last."""
    if len(years) <= MAX_YEAR_COLUMNS:
        return list(years)
    idx = np.unique(np.linspace(0, len(years) - 1, MAX_YEAR_COLUMNS).round().astype(int))
    return [years[i] for i in idx]


def year_span(years: list[int]) -> str:
    ys = sorted({int(y) for y in years})
    return statistics.year_list(ys) if ys else "no year"


def years_text(plan: Plan) -> str:
    ys = plan.years
    return f"{ys[0]}–{ys[-1]}" if ys else "the horizon"


def npv_basis(plan: Plan) -> str:
    p = plan.params
    rate = p.get("discount_rate")
    first = p.get("first_year", plan.years[0] if plan.years else "")
    return (
        f"{first} dollars, discounted at {pct(float(rate))} a year"
        if rate is not None
        else f"{first} dollars"
    )


def plan_kind(plan: Plan) -> str:
    """The subtitle's description of the run: scenario or hedge, risk, integer."""
    if plan.hedged:
        text = f"hedged over {len(plan.scenario_weights)} scenarios"
        if plan.risk is not None:
            alpha, weight = plan.risk
            text += f", risk-averse (CVaR {pct(alpha, 0)}, weight {weight:g})"
    else:
        text = f"scenario {scenario_name(plan)}"
    return text + (" · integer plan" if plan.integer else "")


def scenario_name(plan: Plan) -> str:
    s = plan.summary.get("scenario")
    if s:
        return str(s)
    return ", ".join(plan.scenario_weights) or "base"


def twh(mwh: float) -> str:
    return f"{mwh / 1e6:,.1f} TWh" if mwh >= 1e5 else f"{number(mwh)} MWh"


def tonnes(t: float) -> str:
    if t >= 1e6:
        return f"{t / 1e6:,.2f} million tonnes"
    return f"{number(t)} tonnes"


def plural(n: int) -> str:
    return "" if n == 1 else "s"


def modules_text(mods: pd.DataFrame) -> str:
    """'19 modules of 10,000 wspm' (or a list of sizes; or the wspm left continuous)."""
    sized = mods[mods["modules"].notna()]
    if not len(sized):
        return "builds of any size (no module sizes given)"
    total = sized["modules"].sum()
    sizes = sorted(set(sized["module_wspm"]))
    size = (
        f"{number(sizes[0])} wspm"
        if len(sizes) == 1
        else "sizes " + ", ".join(number(x) for x in sizes) + " wspm"
    )
    text = f"{number(total)} module{plural(round(total))} of {size}"
    rest = mods.loc[mods["modules"].isna(), "wspm"].sum()
    return text + (f" and {number(rest)} wspm in builds of any size" if rest > 0 else "")


def opened_text(opened: pd.DataFrame) -> str:
    """'KR_YONGIN in 2025 and JP_KUMAMOTO in 2031'."""
    parts = [f"{r.site} in {year(r.open_year)}" for r in opened.itertuples()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def scenario_demand(scen: pd.DataFrame, span: str, note: str = "") -> Table:
    """GPUs demanded and served in each scenario over `span` (statistics.by_scenario)."""
    return table(
        "demand-by-scenario",
        f"GPUs demanded and served by scenario, {span}",
        ("Scenario", "Probability", "Demanded", "Served", "Unmet", "Served share"),
        [
            (
                r.scenario,
                pct(r.probability),
                number(r.demanded),
                number(r.served),
                number(r.unmet),
                pct(r.served / r.demanded if r.demanded else 1.0),
            )
            for r in scen.itertuples()
        ],
        "lrrrrr",
        note=note,
    )
