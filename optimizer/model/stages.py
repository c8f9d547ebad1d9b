"""Supply-chain stages of the production concern: upstream make columns and the stage balance.

A product's recipe (recipes.csv, else one final row per product) names the processes whose units
(dies, interposers, HBM stacks) one GPU needs. The final stage assembles the GPU and ships it
(production.py); every upstream stage feeds a global pool per product and year:

    sum_{s of p} per_wafer_eff(k,p,t) make[s,k,t,w] - per_gpu(k,p) sum_{r,m} ship[r,k,m,t,w] >= 0

per (scenario w, product k, upstream process p, year t), per_wafer_eff = per_wafer x the yield
factor of (p, t). Without upstream rows (no recipes.csv) nothing here adds a row or a column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.context import ModelContext, terms_frame

ASSEMBLY = ["scenario", "product", "year"]  # GPUs assembled: the ship rows of one product-year
ROW = ["scenario", "product", "process", "year"]  # one stage-balance row


def upstream_make(sp: pd.DataFrame, stages: pd.DataFrame, flows: pd.DataFrame) -> pd.DataFrame:
    """Make rows of upstream stages: a site of process p for product k in year t, only where k is
    assembled (some ship lane exists) in (w, t) and the site can produce by t."""
    up = stages[~stages["final"]].rename(columns={"process": "node"})
    if up.empty:
        return up.iloc[:0]
    assembled = flows[ASSEMBLY].drop_duplicates()
    make = sp.merge(up, on="node").merge(assembled, on=["product", "year"])
    make = make[make["year"] >= make["first_prod"]]
    # GPUs one wafer supports: per_wafer_eff / per_gpu (production.csv gpus)
    return make.assign(gpus_per_wafer=make["per_wafer"] / make["per_gpu"], flow_row=-1)


def balance_rows(ctx: ModelContext) -> pd.DataFrame:
    """(scenario, product, process, year, per_gpu) of every stage-balance row: each upstream
    stage of a product in each (scenario, year) it is assembled, whether or not a site of the
    process can produce then (if none can, the row holds the product's shipments at zero)."""
    stages, flows = ctx.data["stages"], ctx.data["flows"]
    up = stages[~stages["final"]][["product", "process", "year", "per_gpu"]]
    rows = flows[ASSEMBLY].drop_duplicates().merge(up, on=["product", "year"])
    return rows.sort_values(ROW).reset_index(drop=True)


def add_balance(ctx: ModelContext) -> None:
    """The stage_balance family (rows in thousand units: the 'unit' scale)."""
    s = ctx.scale
    make, ship = ctx.data["make"], ctx.data["ship"]
    rows = balance_rows(ctx)
    ctx.data["stage_rows"] = rows
    if rows.empty:
        return
    key = rows[ROW].reset_index(names="row")
    up = make[~make["final"].to_numpy(dtype=bool)]
    mk = up.rename(columns={"node": "process"})[[*ROW, "col", "per_wafer"]].merge(key, on=ROW)
    sh = ship[ASSEMBLY].reset_index(names="pos").merge(key, on=ASSEMBLY)
    per_gpu = rows["per_gpu"].to_numpy(dtype=float)[sh["row"].to_numpy()]
    terms = pd.concat(
        [
            terms_frame(mk["row"], "make", mk["col"], mk["per_wafer"] * s.wafers / s.gpus),
            terms_frame(sh["row"], "ship", sh["pos"], -per_gpu),
        ]
    )
    ctx.add_constraints("stage_balance", rows[ROW], terms, ">=", 0.0)


def extract(ctx: ModelContext, sol, prod: pd.DataFrame, shipped: np.ndarray) -> pd.DataFrame:
    """stages.csv: per stage of each assembled product and year, wafers, units made and needed,
    and the stage balance's shadow price (NPV USD per unit; blank for the final stage)."""
    stages, ship = ctx.data["stages"], ctx.data["ship"]
    gpus = ship[ASSEMBLY].assign(gpus=shipped).groupby(ASSEMBLY, as_index=False)["gpus"].sum()
    table = gpus.merge(stages, on=["product", "year"])
    from optimizer.model.offers import bought  # wafers bought count as supplied (make or buy)

    buy = bought(ctx, sol)
    supplied = prod if buy.empty else pd.concat([prod[[*ROW, "wafers"]], buy], ignore_index=True)
    wafers = supplied.groupby(ROW, as_index=False)["wafers"].sum()
    table = table.merge(wafers, on=ROW, how="left").fillna({"wafers": 0.0})
    table["units_made"] = table["wafers"] * table["per_wafer"]
    table["units_needed"] = table["per_gpu"] * table["gpus"]
    rows = ctx.data["stage_rows"]
    dual = sol.dual("stage_balance")
    price = (
        rows[ROW].assign(shadow_price_usd_per_unit=dual * ctx.scale.usd / ctx.scale.gpus)
        if len(dual) == len(rows)
        else rows[ROW].assign(shadow_price_usd_per_unit=np.nan)  # duals unavailable
    )
    table = table.merge(price, on=ROW, how="left")
    groups = ctx.case.processes.drop_duplicates("process").set_index("process")["group"]
    table["group"] = table["process"].map(groups).fillna("logic")
    table["final"] = table["final"].astype(int)
    table = table[(table["units_made"] > 1e-9) | (table["units_needed"] > 1e-9)]
    cols = [
        "scenario",
        "product",
        "process",
        "group",
        "year",
        "final",
        "per_gpu",
        "per_wafer",
        "wafers",
        "units_made",
        "units_needed",
        "shadow_price_usd_per_unit",
    ]
    return table[cols].sort_values(ROW).reset_index(drop=True)
