"""Supply offers (docs/model.md "Supply offers"), from purchases.csv and supply_offers.csv only.

Each purchase names an offer of the inputs, the offer's process, a product whose recipe has that
process as a stage, and a year inside the offer's window; per scenario, offer and year the wafers
bought are at most max_wafers_per_year. (Bought units in the stage balance are checked in
verify/stages.py, bought GPUs of a final stage in the region balance in verify/operations.py via
bought_gpus, their cost in verify/costs.py.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.formatting import each, fmt
from optimizer.verify.limits import Family
from optimizer.verify.tolerance import ABS_TOL, exceeds

LIMIT = ["scenario", "offer", "year"]


def purchases(ctx: Context) -> pd.DataFrame:
    """purchases.csv rows whose offer exists, with the offer's columns (unknown offers are
    reported by check_offer_use and left out here)."""
    table = ctx["purchases.csv"]
    offers = ctx.case.supply_offers.drop(columns="_line", errors="ignore")
    offers = offers.rename(columns={"process": "offer_process"})
    return table.merge(offers, on="offer", how="inner")


def offer_limit_rows(ctx: Context) -> pd.DataFrame:
    """Wafers bought per (scenario, offer, year in the window and horizon) <= max_wafers_per_year:
    every such row, 0 bought where purchases.csv has none."""
    offers = ctx.case.supply_offers
    if offers.empty:
        return pd.DataFrame(columns=[*LIMIT, "lhs", "rhs"])
    years = pd.DataFrame({"year": ctx.years})
    grid = offers[["offer", "first_year", "last_year", "max_wafers_per_year"]].merge(
        years, how="cross"
    )
    grid = grid[(grid["year"] >= grid["first_year"]) & (grid["year"] <= grid["last_year"])]
    grid = grid.merge(pd.DataFrame({"scenario": list(ctx.probs.index)}), how="cross")
    bought = purchases(ctx).groupby(LIMIT, as_index=False)["wafers"].sum()
    rows = grid.merge(bought, on=LIMIT, how="left").fillna({"wafers": 0.0})
    rows = rows.assign(lhs=rows["wafers"], rhs=rows["max_wafers_per_year"].astype(float))
    return rows[[*LIMIT, "lhs", "rhs"]].reset_index(drop=True)


def check_offer_limit(ctx: Context) -> None:
    rows = offer_limit_rows(ctx)
    for r in each(rows[exceeds(rows["lhs"], rows["rhs"], ABS_TOL)]):
        ctx.findings.violate(
            "offer limits",
            f"offer {r.offer}, {r.year} ({r.scenario}): {fmt(r.lhs)} wafers bought > "
            f"max_wafers_per_year {fmt(r.rhs)}",
        )
    ctx.findings.checked("offer limits", len(rows))


def check_offer_use(ctx: Context) -> None:
    """Each purchase: a known offer, its process, a stage of the product (upstream, or final:
    then its GPUs join the offer region's balance, verify/operations.py), a year in the
    offer's window, wafers >= 0."""
    f, table = ctx.findings, ctx["purchases.csv"]
    known = set(ctx.case.supply_offers["offer"])
    for r in each(table[~table["offer"].isin(known)]):
        f.violate(
            "offer use",
            f"purchases.csv line {r.csv_line}: offer '{r.offer}' is not in supply_offers.csv",
        )
    p = purchases(ctx)
    staged = pd.MultiIndex.from_frame(ctx.stages[["product", "process", "year"]]).unique()
    key = pd.MultiIndex.from_frame(p[["product", "process", "year"]])
    checks = [
        (p["process"] != p["offer_process"], "process {process} is not the offer's ({op})"),
        (
            (p["year"] < p["first_year"]) | (p["year"] > p["last_year"]),
            "year {year} is outside the offer's window {fy}-{ly}",
        ),
        (~key.isin(staged), "{process} is not a stage of {product}'s recipe"),
        (p["wafers"].to_numpy(dtype=float) < -ABS_TOL, "wafers {wafers} < 0"),
    ]
    for bad, text in checks:
        for r in each(p[np.asarray(bad, dtype=bool)]):
            what = text.format(
                process=r.process,
                op=r.offer_process,
                year=r.year,
                fy=r.first_year,
                ly=r.last_year,
                product=r.product,
                wafers=fmt(r.wafers),
            )
            f.violate("offer use", f"purchases.csv line {r.csv_line}: offer {r.offer}: {what}")
    f.checked("offer use", len(table))


def bought_gpus(ctx: Context) -> pd.Series:
    """GPUs bought per (scenario, region, product, year): final-stage purchases x per_wafer_eff
    / per_gpu of the final stage, in the offer's region (they are shipped from it)."""
    keys = ["scenario", "region", "product", "year"]
    final = ctx.stages[ctx.stages["final"]][["product", "process", "year", "per_wafer", "per_gpu"]]
    p = purchases(ctx).merge(final, on=["product", "process", "year"])
    gpus = p["wafers"].to_numpy(dtype=float) * (p["per_wafer"] / p["per_gpu"]).to_numpy(float)
    return pd.Series(gpus, index=pd.MultiIndex.from_frame(p[keys])).groupby(keys).sum()


def purchase_costs(ctx: Context) -> pd.Series:
    """Purchases cost per scenario (NPV USD, not probability-weighted): wafers x price x df."""
    p = purchases(ctx)
    value = p["wafers"].to_numpy(dtype=float) * p["price_usd_per_wafer"].to_numpy(dtype=float)
    cost = pd.Series(value * ctx.df(p["year"]), index=p.index)
    return cost.groupby(p["scenario"]).sum()


COVERS = ("offer_limit",)
# rank -> check: verify_plan runs the checks of every module in rank order
CHECKS = {28: check_offer_use, 29: check_offer_limit}
LIMITS = {
    "offer_limit": Family(LIMIT, "<=", "wafer", ABS_TOL, offer_limit_rows, check_offer_limit),
}
