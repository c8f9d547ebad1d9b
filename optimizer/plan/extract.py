"""Turn a solution into the plan tables of docs/plan-tables.md (pandas only from here on)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyomo.common.gc_manager import PauseGC

from optimizer.model import COST_COMPONENTS, MODULES
from optimizer.model import risk as risk_module
from optimizer.model.context import ModelContext
from optimizer.solve import Solution

BINDING_TOL = 1e-9  # model money units per model unit (1e-3 USD per unit)


def extract_plan(ctx: ModelContext, sol: Solution) -> dict[str, pd.DataFrame]:
    # a full garbage collection would walk every Pyomo object still alive (measured: L 4.1 s ->
    # 0.8 s CPU with the collector paused)
    with PauseGC():
        return _extract_plan(ctx, sol)


def _extract_plan(ctx: ModelContext, sol: Solution) -> dict[str, pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {}
    for module in MODULES:
        extract = getattr(module, "extract", None)
        if extract is not None:
            tables.update(extract(ctx, sol))
    money = tables.pop("build_money")
    builds = tables["builds"].merge(money, on=["site", "year"], how="left")
    builds = builds[builds["wspm"] > 1e-6].reset_index(drop=True)
    tables["builds"] = builds[["site", "year", "online_year", "wspm", "capex_usd", "grant_usd"]]
    tables["costs"] = cost_table(ctx, sol)
    tables["scenario_costs"] = scenario_cost_table(ctx, sol)
    tables["binding"] = binding_table(ctx, sol)
    tables["sites"] = site_table(ctx)
    # inputs the report needs beside the decisions, so it never reads the data folder
    tables["demand"] = ctx.data["demand"][["scenario", "product", "market", "year", "gpus"]]
    tables["partner_regions"] = ctx.case.partner_regions[["partner", "region", "max_share"]]
    return tables


def cost_table(ctx: ModelContext, sol: Solution) -> pd.DataFrame:
    """Expected NPV by component, from the same coefficients as the objective (so they add up).

    With CVaR in the objective, a last row `risk_adjustment` = objective - expected cost
    (= LAMBDA x (CVaR - E[cost])) makes the rows sum to the objective.
    """
    totals = dict.fromkeys(COST_COMPONENTS, 0.0)
    risk = 0.0
    for component, block, pos, coef in ctx.costs:
        value = float(coef @ sol.x[block][pos]) * ctx.scale.usd
        if component in totals:
            totals[component] += value
        else:
            risk += value * ctx.cost_weight(component)
    if risk_module.active(ctx):
        expected = sum(totals.values())
        weighted = sum(v * ctx.cost_weight(c) for c, v in totals.items())
        totals["risk_adjustment"] = weighted + risk - expected
    return pd.DataFrame({"component": list(totals), "npv_usd": list(totals.values())})


def scenario_cost_table(ctx: ModelContext, sol: Solution) -> pd.DataFrame:
    """NPV cost of each scenario by component (first-stage costs count in every scenario)."""
    t = risk_module.scenario_cost_terms(ctx)
    value = np.zeros(len(t))
    for block, g in t.groupby("block", sort=False):
        value[g.index] = g["coef"].to_numpy() * sol.x[block][g["pos"].to_numpy()]
    t = t.assign(npv_usd=value * ctx.scale.usd)
    table = t.pivot_table(index="scenario", columns="component", values="npv_usd", aggfunc="sum")
    table = table.reindex(columns=list(COST_COMPONENTS), fill_value=0.0).fillna(0.0)
    table["total_usd"] = table.sum(axis=1)
    table.columns = [c if c == "total_usd" else f"{c}_usd" for c in table.columns]
    table.insert(0, "probability", table.index.map(ctx.scenarios))
    return table.reset_index()


def binding_table(ctx: ModelContext, sol: Solution) -> pd.DataFrame:
    """Binding constraints with shadow prices in plain units, ranked by impact."""
    frames = []
    for name, fam in ctx.families.items():
        if not fam.limit:
            continue
        dual = sol.dual(name)
        hit = np.flatnonzero(np.abs(dual) > BINDING_TOL)
        if hit.size == 0:
            continue
        rows = fam.index.iloc[hit].reset_index(drop=True)
        price = dual[hit] * ctx.scale.usd / fam.rhs_unit  # NPV USD per domain unit of rhs
        size = np.maximum(np.abs(fam.rhs[hit]), sol.sizes[name][hit] / 2.0) * fam.rhs_unit
        index = rows.astype(str).agg(" / ".join, axis=1) if len(rows.columns) else ""
        meaning = [
            _meaning(fam.describe(r) if fam.describe else name, fam.sense, fam.unit_label, p)
            for r, p in zip(rows.itertuples(index=False), price, strict=True)
        ]
        frames.append(
            pd.DataFrame(
                {
                    "family": name,
                    "index": index,
                    "shadow_price": price,
                    "unit": "USD (NPV) per " + fam.unit_label,
                    "impact_usd": np.abs(price) * size,
                    "meaning": meaning,
                }
            )
        )
    cols = ["family", "index", "shadow_price", "unit", "impact_usd", "meaning"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("impact_usd", ascending=False, kind="stable").reset_index(drop=True)[
        cols
    ]


def _meaning(what: str, sense: str, unit: str, price: float) -> str:
    amount = _usd(abs(price))
    if sense == "<=":
        return f"{what}: one more {unit} of room would save {amount}"
    if sense == ">=":
        return f"{what}: each extra {unit} required costs {amount}"
    verb = "costs" if price > 0 else "saves"
    return f"{what}: one more {unit} on the right-hand side {verb} {amount}"


def _usd(x: float) -> str:
    if x >= 1e9:
        return f"${x / 1e9:,.2f}B"
    if x >= 1e6:
        return f"${x / 1e6:,.2f}M"
    if x >= 1:
        return f"${x:,.2f}"
    return f"${x:.4f}"


def site_table(ctx: ModelContext) -> pd.DataFrame:
    """The site attributes a report needs, so it never has to read the input folder."""
    cols = [
        "site",
        "name",
        "region",
        "country",
        "operator",
        "node",
        "existing_wspm",
        "max_wspm",
        "utilization",
        "capex_usd_per_wspm",
        "lead_time_years",
        "first_build_year",
        "fixed_cost_usd_per_year",
        "module_wspm",
    ]
    sites = ctx.case.sites
    return sites[[c for c in cols if c in sites.columns]].reset_index(drop=True)
