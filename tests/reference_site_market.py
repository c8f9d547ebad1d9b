"""Test-only reference: the site x market production formulation that region flows replaced.

Kept verbatim from optimizer/model/production.py before issue 11 as an independent statement of
the same model: `make[s,k,m,t,w]` (only where the site runs the product's node, the lane
region(s) -> m exists, there is demand, and the site can have capacity in t), `unmet[k,m,t,w]`,
demand and capacity, operating, shipping and unmet-demand costs. `swap_in` puts it in place of
the production concern, so the new formulation's optimum can be checked against it. Its plan
tables are the aggregation of the proof in docs/model.md (production summed over markets,
shipments summed over the sites of a region), so the plan and verify still read them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_production
from optimizer.model import capacity
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family, concerns

TINY = 1e-9


def prepare(ctx: ModelContext) -> None:
    case, p = ctx.case, ctx.case.params
    dem = case.demand[case.demand["scenario"].isin(list(ctx.scenarios))]
    dem = dem[dem["gpus"] > 0][["scenario", "product", "market", "year", "gpus"]]
    dem = dem.sort_values(["scenario", "product", "market", "year"]).reset_index(drop=True)
    ctx.data["demand"] = dem

    sites = case.sites
    # first year a site can produce: now if it has capacity, else its earliest build online
    earliest = np.maximum(sites["first_build_year"], p.first_year) + sites["lead_time_years"]
    first_prod = np.where(sites["existing_wspm"] > 0, p.first_year, earliest)
    site_cols = ["site", "region", "node", "utilization", "opex_usd_per_wafer"]
    sp = sites[site_cols].assign(first_prod=first_prod)
    sp = sp.merge(case.products[["product", "node", "gpus_per_wafer"]], on="node")
    sp = sp.merge(case.shipping[["region", "market", "cost_usd_per_gpu"]], on="region")
    make = sp.merge(dem.reset_index(names="dem_row"), on=["product", "market"])
    make = make[make["year"] >= make["first_prod"]]
    make = make.sort_values(["scenario", "site", "product", "market", "year"])
    # the interface energy.py reads through production.make_terms: each make row is its own
    # column (col), none is a one-site flow carried by ship columns
    make = make.reset_index(drop=True)
    ctx.data["make"] = make.assign(col=np.arange(len(make)), flow_row=-1)
    ctx.data["ship"] = pd.DataFrame({"flow_row": pd.Series(dtype=np.int64)})


def add(ctx: ModelContext) -> None:
    prepare(ctx)
    s, p = ctx.scale, ctx.case.params
    dem, make = ctx.data["demand"], ctx.data["make"]
    keys = ["scenario", "site", "product", "market", "year"]
    if ctx.options.integer:
        # No site ever makes more for a demand row than the whole row: valid because every cost is
        # >= 0, and it lets HiGHS derive the strong facility-location cut make <= demand * open
        # (measured on OR-Library capb/capc: 1.8x faster, capc 5000 solved to optimality).
        need = dem["gpus"].to_numpy()[make["dem_row"].to_numpy()] / make["gpus_per_wafer"]
        block = ctx.add_vars("make", make[keys], s.wafers, ub=need.to_numpy() / s.wafers)
        block.tightening_ub = True
    else:
        ctx.add_vars("make", make[keys], s.wafers)
    ctx.add_vars("unmet", dem[["scenario", "product", "market", "year"]], s.gpus)

    # demand: sum_s gpus_per_wafer * make + unmet >= demand
    gpus_per_unit = make["gpus_per_wafer"].to_numpy() * s.wafers / s.gpus
    terms = pd.concat(
        [
            terms_frame(make["dem_row"], "make", np.arange(len(make)), gpus_per_unit),
            terms_frame(np.arange(len(dem)), "unmet", np.arange(len(dem)), 1.0),
        ]
    )
    ctx.add_constraints(
        "demand",
        dem[["scenario", "product", "market", "year"]],
        terms,
        ">=",
        dem["gpus"].to_numpy() / s.gpus,
    )
    _add_capacity(ctx, make)

    w_df = ctx.prob(make["scenario"]) * ctx.df(make["year"])
    pos = np.arange(len(make))
    ctx.add_cost(
        "operations", "make", pos, w_df * make["opex_usd_per_wafer"].to_numpy() * s.wafers / s.usd
    )
    ship = make["cost_usd_per_gpu"].to_numpy() * make["gpus_per_wafer"].to_numpy()
    ctx.add_cost("shipping", "make", pos, w_df * ship * s.wafers / s.usd)
    u_df = ctx.prob(dem["scenario"]) * ctx.df(dem["year"])
    ctx.add_cost(
        "unmet_demand",
        "unmet",
        np.arange(len(dem)),
        u_df * p.unmet_penalty_usd_per_gpu * s.gpus / s.usd,
    )


def _add_capacity(ctx: ModelContext, make: pd.DataFrame) -> None:
    """sum_{k,m} make[s,k,m,t,w] <= 12 * utilization * available[s,t]."""
    s = ctx.scale
    rows = make[["scenario", "site", "year"]].drop_duplicates().reset_index(drop=True)
    rows = rows.merge(
        ctx.case.sites[["site", "utilization", "existing_wspm"]], on="site", how="left"
    )
    key = rows[["scenario", "site", "year"]].reset_index(names="row")
    mk = (
        make[["scenario", "site", "year"]]
        .reset_index(names="pos")
        .merge(key, on=["scenario", "site", "year"])
    )
    av = (
        capacity.available_terms(ctx)
        .rename(columns={"t": "year"})
        .merge(
            key.merge(
                rows[["scenario", "site", "year", "utilization"]], on=["scenario", "site", "year"]
            ),
            on=["site", "year"],
        )
    )
    per_wspm = 12.0 * s.wspm / s.wafers  # model wafers per model wspm per year
    terms = pd.concat(
        [
            terms_frame(mk["row"], "make", mk["pos"], 1.0),
            terms_frame(av["row"], "build", av["pos"], -per_wspm * av["utilization"] * av["ramp"]),
        ]
    )
    rhs = 12.0 * rows["utilization"].to_numpy() * rows["existing_wspm"].to_numpy() / s.wafers
    ctx.add_constraints("capacity", rows[["scenario", "site", "year"]], terms, "<=", rhs)


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    s = ctx.scale
    make, dem = ctx.data["make"], ctx.data["demand"]
    flows = make[["scenario", "site", "region", "product", "market", "year"]].copy()
    flows["wafers"] = sol.value("make")
    flows["gpus"] = flows["wafers"] * make["gpus_per_wafer"].to_numpy()
    flows["cost_usd"] = flows["gpus"] * make["cost_usd_per_gpu"].to_numpy()
    keys = ["scenario", "site", "product", "year"]
    prod = flows.groupby(keys, as_index=False)[["wafers", "gpus"]].sum()
    prod = prod[prod["wafers"] > TINY].reset_index(drop=True)
    keys = ["scenario", "region", "product", "market", "year"]
    lanes = flows.groupby(keys, as_index=False)[["gpus", "cost_usd"]].sum()
    lanes = lanes[lanes["gpus"] > TINY].reset_index(drop=True)

    unmet = dem[["scenario", "product", "market", "year"]].copy()
    unmet["gpus"] = sol.value("unmet")
    unmet = unmet[unmet["gpus"] > TINY].reset_index(drop=True)

    prices = dem[["scenario", "product", "market", "year"]].copy()
    weight = ctx.prob(dem["scenario"]) * ctx.df(dem["year"])
    prices["usd_per_gpu"] = sol.dual("demand") * s.usd / s.gpus / weight
    return {"production": prod, "shipments": lanes, "unmet": unmet, "prices": prices}


CONCERN = Concern(
    name="production",
    requires=("capacity",),
    families=(
        Family(  # unmet demand at a penalty always satisfies it: nothing to relax
            name="demand",
            kind="balance",
            elastic=False,
            source="demand.csv gpus",
            unit="GPU",
            words="demand (demand.csv)",
            binds="demand for {product} in {market}, {year} ({scenario})",
            infeasible=None,
            always_holds=True,
        ),
        Family(
            name="capacity",
            kind="limit",
            elastic=True,
            source="sites.csv utilization, existing_wspm, lead_time_years",
            unit="wafer",
            words="fab capacity (sites.csv utilization, existing_wspm, lead_time_years)",
            binds="{site} runs at full capacity in {year} ({scenario})",
            infeasible=explain_production.capacity,
        ),
    ),
    add=add,
    extract=extract,
)


def swap_in(monkeypatch) -> None:
    """Build and extract with this concern in place of optimizer/model/production.py."""
    import optimizer.model
    import optimizer.solve.extract

    swapped = tuple(CONCERN if c.name == "production" else c for c in concerns())
    monkeypatch.setattr(optimizer.model, "concerns", lambda: swapped)
    monkeypatch.setattr(optimizer.solve.extract, "concerns", lambda: swapped)
