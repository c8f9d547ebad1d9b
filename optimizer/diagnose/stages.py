"""Screening the supply-chain stages: per scenario, year and upstream process, demand needs more
wafers of the process than its sites could have by then.

The final stage is screened with the sites' products (demand.py); an upstream process p serves
every product whose recipe names it. Its wafers needed in (w, t) are sum_k demand(k,t,w) x
per_gpu(k,p) / per_wafer_eff(k,p,t), its wafers possible sum_{s of p} 12 x utilization x the most
wspm s can have available by t (reach.available_by_year, every buildable wspm at the best ramp).
When needed exceeds possible, no plan serves the demand: the GPUs the process supports at that
demand mix are possible / needed x demand (exact for one product), and the warning says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose.explain_offers import offered_wafers
from optimizer.diagnose.reach import available_by_year
from optimizer.diagnose.text import TOL, num
from optimizer.errors import Problem
from optimizer.inputs.csvio import LINE
from optimizer.inputs.recipes import stage_table
from optimizer.inputs.references import Noted

KEYS = ["scenario", "year", "process"]


def screen_stages(case, reach: pd.DataFrame) -> list[Problem]:
    """One warning per (scenario, year, upstream process) whose sites cannot make what demand
    needs, naming the process, the year and the GPUs it supports against the GPUs demanded."""
    stages = stage_table(case, case.years)
    up = stages[~stages["final"].to_numpy(dtype=bool)]
    planned = case.demand["scenario"].isin(list(case.scenario_probabilities))
    dem = case.demand[planned & (case.demand["gpus"] > 0)]
    if up.empty or dem.empty:
        return []
    dem = dem.groupby(["scenario", "year", "product"], as_index=False)["gpus"].sum()
    need = dem.merge(up, on=["product", "year"])
    need["wafers"] = need["gpus"] * need["per_gpu"] / need["per_wafer"]
    rows = need.groupby(KEYS).agg(
        wafers=("wafers", "sum"),
        gpus=("gpus", "sum"),
        products=("product", lambda k: ", ".join(sorted(set(k)))),
    )
    avail = available_by_year(case, reach).merge(reach[["site", "node", "utilization"]], on="site")
    avail["possible"] = 12.0 * avail["utilization"] * avail["available_wspm"]
    possible = avail.groupby(["year", "node"])["possible"].sum()
    # wafers buyable from supply offers (supply_offers.csv) count as possible too
    possible = possible.add(offered_wafers(case), fill_value=0.0)
    key = pd.MultiIndex.from_arrays(
        [rows.index.get_level_values("year"), rows.index.get_level_values("process")]
    )
    rows["possible"] = np.nan_to_num(key.map(possible).to_numpy(dtype=float), nan=0.0)
    short = rows[rows["wafers"] - rows["possible"] > np.maximum(TOL * rows["wafers"], 0.5)]
    first_line = case.recipes.groupby("process")[LINE].min()  # -1: a derived recipe
    short = short.reset_index()
    short["supports"] = short["gpus"] * short["possible"] / short["wafers"]
    # consecutive short years of one stage and scenario make one warning, not one a year
    run = (short.groupby(["scenario", "process"])["year"].diff() != 1).cumsum()
    out: list[Problem] = []
    for _, g in short.groupby(run, sort=False):
        first, last = g.iloc[0], g.iloc[-1]
        line = int(first_line.get(first.process, -1))
        out.append(
            Noted(
                "recipes.csv",
                line if line >= 0 else None,
                "process",
                first.process,
                _shortfall_text(first, last, float((g["gpus"] - g["supports"]).sum())),
                "warning",
                "limits: sites.csv existing_wspm, max_wspm, first_build_year, lead_time_years "
                f"of the {first.process} sites; recipes.csv per_wafer; yields.csv factor",
            )
        )
    return out


def _shortfall_text(first, last, unmet: float) -> str:
    """One year: that year's figures; several: the last year's and the total over the run."""
    if first.year == last.year:
        return (
            f"{first.process} capacity buildable by {first.year} ({num(first.possible)} wafers) "
            f"supports at most {num(first.supports)} GPUs of {first.products}; demand needs "
            f"{num(first.gpus)} ({num(first.wafers)} wafers, scenario {first.scenario}): at "
            f"least {num(unmet)} GPUs will be unmet"
        )
    return (
        f"{first.process} capacity falls short of scenario {first.scenario}'s demand in "
        f"{first.year}–{last.year}: by {last.year} it supports at most {num(last.supports)} of "
        f"{num(last.gpus)} GPUs of {first.products}; at least {num(unmet)} GPUs will be unmet "
        f"over {first.year}–{last.year}"
    )
