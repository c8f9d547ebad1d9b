"""Turn a solution into the plan tables of docs/plan-tables.md (optimizer.plan.schema): the one
place where plan tables meet the solved model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model import COST_COMPONENTS
from optimizer.model import risk as risk_module
from optimizer.model.context import ModelContext, paused_gc
from optimizer.model.registry import concerns
from optimizer.plan.schema import BINDING_KEYS, SCHEMA
from optimizer.solve import Solution

BINDING_TOL = 1e-9  # model money units per model unit (1e-3 USD per unit)


def extract_plan(ctx: ModelContext, sol: Solution) -> dict[str, pd.DataFrame]:
    # a full garbage collection would walk every Pyomo object still alive, if the Pyomo model
    # was built (measured: L 4.1 s -> 0.8 s CPU with the collector paused)
    with paused_gc():
        return _extract_plan(ctx, sol)


def _extract_plan(ctx: ModelContext, sol: Solution) -> dict[str, pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {}
    for concern in concerns():
        if concern.extract is not None:
            for name, frame in concern.extract(ctx, sol).items():
                tables[name] = _contribute(name, tables.get(name), frame)
    tables["costs"] = cost_table(ctx, sol)
    tables["scenario_costs"] = scenario_cost_table(ctx, sol)
    tables["site_costs"] = site_cost_table(ctx, sol)
    tables["binding"] = binding_table(ctx, sol)
    tables["sites"] = site_table(ctx)
    # inputs the report needs beside the decisions, so it never reads the data folder
    tables["demand"] = ctx.data["demand"][["scenario", "product", "market", "year", "gpus"]]
    tables["partner_regions"] = ctx.case.partner_regions[["partner", "region", "max_share"]]
    # the lanes GPUs may travel: a market short while capacity idles where no lane leads
    # (optimizer/plan/unmet_lanes.py)
    tables["lanes"] = ctx.case.shipping[["region", "market", "cost_usd_per_gpu"]]
    return tables


def _contribute(name: str, table: pd.DataFrame | None, columns: pd.DataFrame) -> pd.DataFrame:
    """A concern may add columns to a table another concern owns (finance adds the money of
    builds.csv): they join on the table's key (optimizer.plan.schema), rows of the owner kept."""
    if table is None:
        return columns
    return table.merge(columns, on=list(SCHEMA[name].key), how="left")


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


def site_cost_table(ctx: ModelContext, sol: Solution) -> pd.DataFrame:
    """Expected NPV by site and component, from the objective's own terms (so, per component,
    the sites plus the unattributed row "" add up to costs.csv).

    A term belongs to a site when its variable is indexed by one (make, build, open, fund,
    grant, use, ...), or when it is a ship column of a one-site flow (production substitutes
    make = shipments / gpus_per_wafer there, so that site made them). Shipping (a lane's cost),
    unmet demand and contract-level terms have no site.
    """
    site_of_flow = _one_site_flow_sites(ctx)
    parts = []
    for component, block, pos, coef in ctx.costs:
        if component not in COST_COMPONENTS:
            continue  # the risk terms are no cost of any site
        index = ctx.blocks[block].index
        split = ctx.data.get("site_split", {}).get(block)
        if split is not None:  # a region's block shared by its sites (energy, issue 14)
            share = split(ctx, sol).merge(pd.DataFrame({"pos": pos, "coef": coef}), on="pos")
            value = share["coef"] * share["share"] * sol.x[block][share["pos"]] * ctx.scale.usd
            parts.append(
                pd.DataFrame({"site": share["site"], "component": component, "npv_usd": value})
            )
            continue
        if component == "shipping":  # a lane's cost, from a region: no one site's
            site = np.full(len(pos), "", dtype=object)
        elif "site" in index.columns:
            site = index["site"].to_numpy()[pos]
        elif block == "ship" and "flow_row" in ctx.data.get("ship", pd.DataFrame()).columns:
            flow = ctx.data["ship"]["flow_row"].to_numpy()[pos]
            site = site_of_flow.reindex(flow).fillna("").to_numpy()
        else:
            site = np.full(len(pos), "", dtype=object)
        value = coef * sol.x[block][pos] * ctx.scale.usd
        parts.append(pd.DataFrame({"site": site, "component": component, "npv_usd": value}))
    if not parts:
        return pd.DataFrame({"site": [], "component": [], "npv_usd": []})
    frame = pd.concat(parts).groupby(["site", "component"], as_index=False)["npv_usd"].sum()
    return frame[frame["npv_usd"] != 0.0].reset_index(drop=True)


def _one_site_flow_sites(ctx: ModelContext) -> pd.Series:
    """flow_row -> site for the flows that keep no make column (one site makes them)."""
    make = ctx.data.get("make")
    if make is None or "col" not in make.columns:
        return pd.Series(dtype=object)
    direct = make[make["col"] < 0]
    return direct.drop_duplicates("flow_row").set_index("flow_row")["site"]


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
    """Binding constraints with shadow prices in plain units, ranked by impact; each row names
    its constraint by the family's key columns (the other key columns stay blank)."""
    columns = SCHEMA["binding"].names
    frames = []
    for name, fam in ctx.families.items():
        if not fam.limit:
            continue
        dual = sol.dual(name)
        hit = np.flatnonzero(np.abs(dual) > BINDING_TOL)
        if hit.size == 0:
            continue
        rows = fam.index.iloc[hit].reset_index(drop=True)
        undeclared = [c for c in rows.columns if c not in BINDING_KEYS]
        if undeclared:
            raise ValueError(
                f"limit family {name} is indexed by {undeclared}, which binding.csv has no key "
                f"column for: add it to BINDING_KEYS in optimizer/plan/schema.py"
            )
        price = dual[hit] * ctx.scale.usd / fam.rhs_unit  # NPV USD per domain unit of rhs
        size = np.maximum(np.abs(fam.rhs[hit]), sol.sizes[name][hit] / 2.0) * fam.rhs_unit
        meaning = [
            _meaning(fam.describe(r), fam.sense, fam.unit_label, p)
            for r, p in zip(rows.itertuples(index=False), price, strict=True)
        ]
        frames.append(
            rows.assign(
                family=name,
                shadow_price=price,
                unit="USD (NPV) per " + fam.unit_label,
                impact_usd=np.abs(price) * size,
                meaning=meaning,
            )
        )
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True).reindex(columns=columns)
    out["year"] = out["year"].astype("Int64")  # blank where the family has no year
    return out.sort_values("impact_usd", ascending=False, kind="stable").reset_index(drop=True)


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
        "opex_usd_per_wafer",  # the report compares sites' unit costs (idle capacity)
        "energy_mwh_per_wafer",
    ]
    sites = ctx.case.sites
    table = sites[[c for c in cols if c in sites.columns]].reset_index(drop=True)
    group = ctx.case.processes.set_index("process")["group"]
    table.insert(table.columns.get_loc("node") + 1, "group", table["node"].map(group).fillna(""))
    return table
