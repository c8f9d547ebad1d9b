"""site_costs.csv (costs by site), recomputed from the plan tables and the inputs.

The costs that belong to one site are recomputed site by site, independently of the model's
objective terms: financing (funding.csv x the annuity NPV per dollar), site_fixed (open years x
fixed cost), operations (wafers x opex), energy and carbon (energy.csv x the contract's price and
CO2). For every component, the site rows plus the unattributed row (blank site) must add up to
costs.csv, so a report that splits the cost by stage or site adds up to the total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.costs import financing_rows
from optimizer.verify.formatting import each, fmt
from optimizer.verify.tolerance import ABS_TOL_USD, COMPONENT_OBJECTIVE_REL_TOL, differs

FAMILY = "site costs"


def recompute(ctx: Context) -> pd.DataFrame:
    """site, component, npv_usd (expected) for the components paid site by site."""
    probs = ctx.probs.astype(float)

    def expected(frame: pd.DataFrame, values) -> pd.Series:
        w = ctx.df(frame["year"]) * frame["scenario"].map(probs).to_numpy(dtype=float)
        return (
            pd.Series(np.asarray(values, dtype=float) * w).groupby(frame["site"].to_numpy()).sum()
        )

    parts = {"financing": financing_rows(ctx).groupby("site")["npv_usd"].sum()}
    g = ctx.grid
    fixed = g["site"].map(ctx.sites["fixed_cost_usd_per_year"]).astype(float)
    parts["site_fixed"] = (
        pd.Series((fixed * g["open"] * ctx.df(g["year"])).to_numpy()).groupby(g["site"]).sum()
    )
    prod = ctx.production
    opex = prod["site"].map(ctx.sites["opex_usd_per_wafer"]).astype(float)
    parts["operations"] = expected(prod, prod["wafers"] * opex)
    if ctx.contracts is not None:
        c, e = ctx.contracts, ctx["energy.csv"]
        price = e["contract"].map(c["price_usd_per_mwh"]).astype(float)
        co2 = e["contract"].map(c["co2_t_per_mwh"]).astype(float)
        parts["energy"] = expected(e, e["mwh"] * price)
        parts["carbon"] = expected(e, e["mwh"] * co2 * ctx.case.params.carbon_price_usd_per_t)
    rows = [
        pd.DataFrame({"site": s.index.astype(str), "component": name, "npv_usd": s.to_numpy()})
        for name, s in parts.items()
    ]
    return pd.concat(rows, ignore_index=True)


def check_site_costs(ctx: Context) -> None:
    """Each site's own costs as recomputed; every component's rows add up to costs.csv."""
    table = ctx.plan.derived.get("site_costs.csv")
    if table is None:
        ctx.findings.warn(FAMILY, "the plan has no site_costs.csv; not checked")
        return
    costs = ctx["costs.csv"].set_index("component")["npv_usd"].astype(float)
    compare(table, recompute(ctx), costs, ctx.findings, "the plan tables and inputs give")


def compare(table: pd.DataFrame, mine: pd.DataFrame, costs: pd.Series, f, source: str) -> None:
    """site_costs.csv (`table`) against a recomputation (`mine`: site, component, npv_usd) row
    by row, and its components against costs.csv (`costs`: component -> npv_usd); `source`
    says where the recomputation comes from (a staged plan's: its scenarios, weighted)."""
    theirs = table.assign(site=table["site"].fillna("").astype(str))
    merged = mine.merge(theirs, on=["site", "component"], how="outer", suffixes=("", "_plan"))
    own = merged[merged["component"].isin(set(mine["component"])) & (merged["site"] != "")]
    own = own.fillna({"npv_usd": 0.0, "npv_usd_plan": 0.0})
    bad = differs(own["npv_usd_plan"], own["npv_usd"], ABS_TOL_USD)
    for r in each(own[bad]):
        f.violate(
            FAMILY,
            f"{r.site} {r.component}: site_costs.csv says {fmt(r.npv_usd_plan)} USD, {source} "
            f"{fmt(r.npv_usd)} USD",
        )
    totals = theirs.groupby("component")["npv_usd"].sum()
    for component, total in costs.items():
        got = float(totals.get(component, 0.0))
        if abs(got - total) > max(ABS_TOL_USD, COMPONENT_OBJECTIVE_REL_TOL * abs(total)):
            if component == "risk_adjustment":
                continue  # no site pays the risk adjustment
            f.violate(
                FAMILY,
                f"component {component}: site_costs.csv adds up to {fmt(got)} USD but "
                f"costs.csv says {fmt(total)} USD",
            )
    f.checked(FAMILY, len(own) + len(costs))


COVERS = ()
CHECKS = {145: check_site_costs}
