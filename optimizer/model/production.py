"""Production, shipping and demand: wafers made per site, GPUs shipped per lane, unmet GPUs.

Adds `make[s,k,t,w]` (wafer starts of product k at site s: only where the site runs the
product's node, can have capacity in t, and its region has a lane to a market with demand),
`ship[r,k,m,t,w]` (GPUs of product k from region r to market m: only on shipping.csv lanes with
demand, where some site of r can make k in t), `unmet[k,m,t,w]`, the region balance
sum_{s in r} gpus_per_wafer(k) make[s,k,t,w] = sum_m ship[r,k,m,t,w], demand, capacity, and the
operating (on make), shipping (on ship) and unmet-demand costs. Nothing depends jointly on a site
and a market except through the site's region, so this is exact against the site x market
formulation (proof in docs/model.md) with far fewer columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_production
from optimizer.inputs.policy_inputs import penalty_of
from optimizer.inputs.recipes import stage_table
from optimizer.model import capacity
from optimizer.model import stages as stages_module
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.offers import final_offer_flows
from optimizer.model.registry import Concern, Family

TINY = 1e-9
FLOW = ["scenario", "region", "product", "year"]  # one region-balance row


def prepare(ctx: ModelContext) -> None:
    """Sparse index sets: demand rows, ship lanes, make columns and region-balance rows."""
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
    sites_first = sites[site_cols].assign(first_prod=first_prod)
    # recipes (or one final row per product): per_wafer already carries the yield factor
    stages = stage_table(case, ctx.years)
    ctx.data["stages"] = stages
    final = stages[stages["final"].to_numpy(dtype=bool)]
    pairs = final[["product", "process"]].drop_duplicates()
    sp = sites_first.merge(pairs.rename(columns={"process": "node"}), on="node")
    # a lane carries product k in year t only if some site of its region can make k by t
    region_first = sp.groupby(["region", "product"], as_index=False)["first_prod"].min()
    lanes = case.shipping[["region", "market", "cost_usd_per_gpu"]]
    ship = lanes.merge(region_first, on="region").merge(
        dem.reset_index(names="dem_row"), on=["product", "market"]
    )
    ship = ship[ship["year"] >= ship["first_prod"]]
    # final-stage offers (offers.py): their region ships bought GPUs in the offer's window
    offered = final_offer_flows(case, final)
    if len(offered):
        extra = lanes.merge(offered, on="region").merge(
            dem.reset_index(names="dem_row"), on=["product", "market", "year"]
        )
        ship = pd.concat([ship, extra]).drop_duplicates(
            ["scenario", "region", "product", "market", "year"]
        )
    ship = ship.sort_values(["scenario", "region", "product", "market", "year"])
    ship = ship.reset_index(drop=True)
    flows = ship[FLOW].drop_duplicates().sort_values(FLOW).reset_index(drop=True)
    make = sp.merge(flows.reset_index(names="flow_row"), on=["region", "product"])
    make = make[make["year"] >= make["first_prod"]]
    # GPUs per wafer of the final stage in year t: per_wafer_eff / per_gpu
    gpw = final[["product", "year"]].assign(gpus_per_wafer=final["per_wafer"] / final["per_gpu"])
    make = make.merge(gpw, on=["product", "year"]).assign(final=True)
    upstream = stages_module.upstream_make(sites_first, stages, flows)
    if len(upstream):
        make = pd.concat([make, upstream])
    make = make.sort_values(["scenario", "site", "product", "year"]).reset_index(drop=True)
    # a flow with one site needs no make column or balance row: make = sum_m ship / g exactly
    # (it keeps the model no larger than site x market; every default-data region is one site);
    # upstream stages (flow_row -1) always have their own make column
    # a flow an offer reaches keeps its make column and balance row (bought GPUs join it)
    reached = np.zeros(len(flows), dtype=bool)
    if len(offered):
        hit = flows.reset_index(names="flow_row").merge(offered, on=["region", "product", "year"])
        reached[hit["flow_row"].to_numpy()] = True
    ctx.data["offered_flows"] = reached
    size = make.groupby("flow_row")["site"].transform("size").to_numpy()
    flow_row = make["flow_row"].to_numpy()
    direct = (size == 1) & (flow_row >= 0) & ~reached[np.maximum(flow_row, 0)]
    make["col"] = np.where(direct, -1, np.cumsum(~direct) - 1)
    ship["flow_row"] = pd.MultiIndex.from_frame(ship[FLOW]).map(_row_of(flows)).to_numpy(np.int64)
    ctx.data["ship"], ctx.data["flows"], ctx.data["make"] = ship, flows, make


def make_terms(ctx: ModelContext, make_pos, row, coef) -> pd.DataFrame:
    """Terms (row, block, pos, coef) for coef x make at rows `make_pos` of ctx.data["make"]
    (coef per model wafer): its make column, or, for a one-site flow, its ship columns / g."""
    make, ship, s = ctx.data["make"], ctx.data["ship"], ctx.scale
    make_pos = np.asarray(make_pos, dtype=np.int64)
    row = np.asarray(row, dtype=np.int64)
    coef = np.broadcast_to(np.asarray(coef, dtype=float), make_pos.shape)
    col = make["col"].to_numpy()[make_pos]
    own = col >= 0
    one = pd.DataFrame(
        {
            "row": row[~own],
            "flow_row": make["flow_row"].to_numpy()[make_pos[~own]],
            "coef": coef[~own]
            * s.gpus
            / (make["gpus_per_wafer"].to_numpy(dtype=float)[make_pos[~own]] * s.wafers),
        }
    ).merge(ship[["flow_row"]].reset_index(names="pos"), on="flow_row")
    return pd.concat(
        [
            terms_frame(row[own], "make", col[own], coef[own]),
            terms_frame(one["row"], "ship", one["pos"], one["coef"]),
        ]
    )


def add(ctx: ModelContext) -> None:
    prepare(ctx)
    s = ctx.scale
    dem, ship, flows, make = (ctx.data[k] for k in ("demand", "ship", "flows", "make"))
    own = make[make["col"] >= 0]
    if ctx.options.integer:
        _add_bounded_flows(ctx, dem, ship, flows, own)
    else:
        ctx.add_vars("make", own[["scenario", "site", "product", "year"]], s.wafers)
        ctx.add_vars("ship", ship[["scenario", "region", "product", "market", "year"]], s.gpus)
    ctx.add_vars("unmet", dem[["scenario", "product", "market", "year"]], s.gpus)

    # region balance (flows with several sites): sum_{s in r} g * make - sum_m ship = 0
    flowing = own[own["flow_row"] >= 0]  # final stage: upstream stages have no region flow
    reached = np.flatnonzero(ctx.data["offered_flows"])  # bought GPUs only, maybe no make
    balanced = np.unique(np.concatenate([flowing["flow_row"].to_numpy(np.int64), reached]))
    row_of = np.full(len(flows), -1)
    row_of[balanced] = np.arange(len(balanced))
    ctx.data["balance_row_of"] = row_of  # flow_row -> region_balance row (offers.py)
    lanes = ship[row_of[ship["flow_row"].to_numpy()] >= 0]
    gpw = flowing["gpus_per_wafer"].to_numpy(dtype=float)
    terms = pd.concat(
        [
            terms_frame(
                row_of[flowing["flow_row"].to_numpy()],
                "make",
                flowing["col"],
                gpw * s.wafers / s.gpus,
            ),
            terms_frame(row_of[lanes["flow_row"].to_numpy()], "ship", lanes.index, -1.0),
        ]
    )
    ctx.add_constraints("region_balance", flows.iloc[balanced], terms, "==", 0.0)

    # demand: sum_r ship + unmet >= demand
    terms = pd.concat(
        [
            terms_frame(ship["dem_row"], "ship", np.arange(len(ship)), 1.0),
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
    stages_module.add_balance(ctx)
    _add_capacity(ctx, make)

    w_make = ctx.prob(make["scenario"]) * ctx.df(make["year"])
    opex = make["opex_usd_per_wafer"].to_numpy()
    pos = np.arange(len(make))
    ops = make_terms(ctx, pos, pos, w_make * opex * s.wafers / s.usd)
    for block, part in ops.groupby("block", sort=False):
        ctx.add_cost("operations", block, part["pos"].to_numpy(), part["coef"].to_numpy())
    w_ship = ctx.prob(ship["scenario"]) * ctx.df(ship["year"])
    per_gpu = ship["cost_usd_per_gpu"].to_numpy()
    ctx.add_cost("shipping", "ship", np.arange(len(ship)), w_ship * per_gpu * s.gpus / s.usd)
    u_df = ctx.prob(dem["scenario"]) * ctx.df(dem["year"])
    penalty = penalty_of(ctx.case, dem["product"]).to_numpy()  # products.csv, else parameter
    ctx.add_cost("unmet_demand", "unmet", np.arange(len(dem)), u_df * penalty * s.gpus / s.usd)


def _row_of(frame: pd.DataFrame) -> pd.Series:
    """Row position of each key of `frame`, looked up by a MultiIndex of the same columns."""
    return pd.Series(np.arange(len(frame)), index=pd.MultiIndex.from_frame(frame))


def _add_bounded_flows(
    ctx: ModelContext,
    dem: pd.DataFrame,
    ship: pd.DataFrame,
    flows: pd.DataFrame,
    make: pd.DataFrame,
) -> None:
    """make and ship with the valid bounds that let HiGHS derive the facility-location cut.

    No lane ever carries more than its market's demand row, and no site makes more than the
    demand its region can reach: valid because every cost is >= 0 (surplus only costs), and
    with a one-site region (OR-Library: region = site) make <= demand / gpus_per_wafer is the
    bound that makes make <= demand * open strong (measured on capb/capc: 1.8x faster). An
    upstream stage makes at most the product's whole demand in (w, t) x per_gpu / per_wafer_eff.
    """
    s = ctx.scale
    lane_need = dem["gpus"].to_numpy()[ship["dem_row"].to_numpy()]
    reach = np.bincount(ship["flow_row"].to_numpy(), weights=lane_need, minlength=len(flows))
    flow_row = make["flow_row"].to_numpy()
    total = dem.groupby(["scenario", "product", "year"])["gpus"].sum()
    whole = pd.MultiIndex.from_frame(make[["scenario", "product", "year"]]).map(total)
    gpus = np.where(flow_row >= 0, reach[np.maximum(flow_row, 0)], whole.to_numpy(dtype=float))
    need = gpus / make["gpus_per_wafer"].to_numpy(dtype=float)
    cols = ["scenario", "site", "product", "year"]
    ctx.add_vars("make", make[cols], s.wafers, ub=need / s.wafers).tightening_ub = True
    cols = ["scenario", "region", "product", "market", "year"]
    ctx.add_vars("ship", ship[cols], s.gpus, ub=lane_need / s.gpus).tightening_ub = True


def _add_capacity(ctx: ModelContext, make: pd.DataFrame) -> None:
    """sum_k make[s,k,t,w] <= 12 * utilization * available[s,t]."""
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
            make_terms(ctx, mk["pos"], mk["row"], 1.0),
            terms_frame(av["row"], "build", av["pos"], -per_wspm * av["utilization"] * av["ramp"]),
        ]
    )
    rhs = 12.0 * rows["utilization"].to_numpy() * rows["existing_wspm"].to_numpy() / s.wafers
    ctx.add_constraints("capacity", rows[["scenario", "site", "year"]], terms, "<=", rhs)


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    s = ctx.scale
    make, ship, dem = ctx.data["make"], ctx.data["ship"], ctx.data["demand"]
    flows = ctx.data["flows"]
    shipped = sol.value("ship")
    prod = make[["scenario", "site", "node", "product", "year"]].rename(columns={"node": "process"})
    gpw = make["gpus_per_wafer"].to_numpy(dtype=float)
    col = make["col"].to_numpy()
    # a one-site flow's wafers are what its region ships
    by_flow = np.bincount(ship["flow_row"].to_numpy(), weights=shipped, minlength=len(flows))
    made = by_flow[make["flow_row"].to_numpy()] / gpw
    own = np.append(sol.value("make"), 0.0)[np.where(col >= 0, col, -1)]
    prod["wafers"] = np.where(col >= 0, own, made)
    prod["gpus"] = prod["wafers"] * gpw
    stages = stages_module.extract(ctx, sol, prod, shipped) if upstream_stages(ctx) else None
    prod = prod[prod["wafers"] > TINY].reset_index(drop=True)

    lanes = ship[["scenario", "region", "product", "market", "year"]].copy()
    lanes["gpus"] = shipped
    lanes["cost_usd"] = lanes["gpus"] * ship["cost_usd_per_gpu"].to_numpy()
    lanes = lanes[lanes["gpus"] > TINY].reset_index(drop=True)

    unmet = dem[["scenario", "product", "market", "year"]].copy()
    unmet["gpus"] = sol.value("unmet")
    unmet = unmet[unmet["gpus"] > TINY].reset_index(drop=True)

    prices = dem[["scenario", "product", "market", "year"]].copy()
    weight = ctx.prob(dem["scenario"]) * ctx.df(dem["year"])
    prices["usd_per_gpu"] = sol.dual("demand") * s.usd / s.gpus / weight
    tables = {"production": prod, "shipments": lanes, "unmet": unmet, "prices": prices}
    return tables if stages is None else {**tables, "stages": stages}


def upstream_stages(ctx: ModelContext) -> bool:
    """Whether any recipe has a stage before assembly (stages.csv is written only then)."""
    return not bool(ctx.data["stages"]["final"].all())


CONCERN = Concern(
    name="production",
    requires=("capacity",),
    families=(
        Family(  # make and ship at zero satisfy it: nothing to relax
            name="region_balance",
            kind="balance",
            elastic=False,
            source="sites.csv region; products.csv gpus_per_wafer; shipping.csv region, market",
            unit="GPU",
            words="region balance (GPUs made in a region = GPUs shipped from it)",
            binds="GPUs of {product} made in {region} are all shipped, {year} ({scenario})",
            infeasible=None,
            always_holds=True,
        ),
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
        Family(  # upstream make is free to grow within capacity, and capacity is elastic
            name="stage_balance",
            kind="balance",
            elastic=False,
            source="recipes.csv per_wafer, per_gpu; yields.csv factor",
            unit="unit",
            words="supply-chain stage balance (recipes.csv, yields.csv)",
            binds="{process} output covers the {process} units of every {product} GPU "
            "assembled, {year} ({scenario})",
            infeasible=None,
            always_holds=True,
        ),
    ),
    add=add,
    extract=extract,
)
