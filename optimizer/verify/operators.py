"""Operators (docs/model.md "Operators"), from operators.csv, operator_summary.csv,
operator_wafers.csv and the inputs operators.csv and site_operators.csv only.

Each build is split among the site's operators (operators.csv wspm sums to builds.csv wspm);
builds.csv capex_usd = sum_o capex x capex_factor_o x wspm_o; each operator's new capacity
online per year <= max_new_wspm_per_year; its partner's funding at its sites >= min_stake x the
capital of its builds; at a site with several operators the wafers each runs add up to the
site's production and stay within the capacity it operates (the first operator listed runs
the existing capacity); the operator_opex cost is (opex_factor - 1) x opex x wafers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.formatting import each, fmt
from optimizer.verify.limits import Family
from optimizer.verify.tolerance import ABS_TOL, ABS_TOL_USD, differs, exceeds

FAMILY = "operators"


def pairs(ctx: Context) -> pd.DataFrame:
    """site, operator, first, n_ops and the operator's columns (empty without operators)."""
    case = ctx.case
    p, ops = case.site_operators, case.operators
    if p is None or ops is None or p.empty or ops.empty:
        return pd.DataFrame(columns=["site", "operator", "first", "n_ops", "capex_factor"])
    p = p.sort_values("_line", kind="stable")[["site", "operator"]].reset_index(drop=True)
    p["first"] = ~p.duplicated("site")
    p["n_ops"] = p.groupby("site")["operator"].transform("size")
    return p.merge(ops.drop(columns=["_line", "source"], errors="ignore"), on="operator")


def effective_capex(ctx: Context, builds: pd.DataFrame) -> np.ndarray:
    """Per row of `builds` (site, year, wspm): capex_usd_per_wspm x wspm, plus, at sites with
    operators, capex x (capex_factor - 1) x the wspm of each operator (operators.csv)."""
    rate = builds["site"].map(ctx.sites["capex_usd_per_wspm"]).to_numpy(dtype=float)
    out = rate * builds["wspm"].to_numpy(dtype=float)
    p = pairs(ctx)
    if p.empty:
        return out
    o = ctx["operators.csv"].merge(p[["site", "operator", "capex_factor"]])
    o["extra"] = (
        o["site"].map(ctx.sites["capex_usd_per_wspm"]).astype(float)
        * (o["capex_factor"].astype(float) - 1.0)
        * o["wspm"]
    )
    extra = o.groupby(["site", "year"])["extra"].sum()
    at = pd.MultiIndex.from_frame(builds[["site", "year"]])
    return out + np.nan_to_num(at.map(extra).to_numpy(dtype=float))


def check_split(ctx: Context) -> None:
    """operators.csv names allowed pairs; per build at an operated site the wspm add up."""
    f, p = ctx.findings, pairs(ctx)
    o = ctx["operators.csv"]
    if p.empty:
        for r in each(o):
            f.violate(FAMILY, f"operators.csv line {r.csv_line}: no site_operators.csv")
        f.checked(FAMILY, len(o))
        return
    known = pd.MultiIndex.from_frame(p[["site", "operator"]])
    bad = ~pd.MultiIndex.from_frame(o[["site", "operator"]]).isin(known)
    for r in each(o[bad]):
        f.violate(FAMILY, f"operators.csv line {r.csv_line}: {r.operator} may not run {r.site}")
    b = ctx["builds.csv"]
    b = b[b["site"].isin(p["site"])]
    split = o.groupby(["site", "year"])["wspm"].sum()
    got = np.nan_to_num(pd.MultiIndex.from_frame(b[["site", "year"]]).map(split).to_numpy(float))
    for r, g in zip(each(b), got, strict=True):
        if differs([g], [r.wspm], ABS_TOL)[0]:
            f.violate(
                FAMILY,
                f"builds.csv line {r.csv_line}: {fmt(r.wspm)} wspm at {r.site} {r.year} but "
                f"operators.csv splits {fmt(g)}",
            )
    both = o.merge(b[["site", "year"]], how="left", indicator=True)
    for r in each(both[(both["_merge"] == "left_only") & (both["wspm"] > ABS_TOL)]):
        f.violate(FAMILY, f"operators.csv line {r.csv_line}: no build at {r.site} {r.year}")
    if ctx.plan.mode == "integer":  # one operator per site, the first where capacity exists
        built = o[o["wspm"] > ABS_TOL].merge(p[["site", "operator", "first"]])
        many = built.groupby("site")["operator"].nunique()
        for site in many[many > 1].index:
            f.violate(FAMILY, f"integer plan: {site} is built by {many[site]} operators")
        existing = built["site"].map(ctx.sites["existing_wspm"]).astype(float) > 0
        for r in each(built[existing & ~built["first"]]):
            f.violate(
                FAMILY,
                f"operators.csv line {r.csv_line}: {r.operator} builds at {r.site}, whose "
                "existing capacity its first operator runs (integer plan: one operator)",
            )
    f.checked(FAMILY, len(o) + len(b))


def ramp_rows(ctx: Context) -> pd.DataFrame:
    """(operator, year online) new wspm <= max_new_wspm_per_year, for finite limits."""
    p = pairs(ctx)
    cols = ["operator", "year", "lhs", "rhs"]
    if p.empty:
        return pd.DataFrame(columns=cols)
    lim = p.drop_duplicates("operator").set_index("operator")["max_new_wspm_per_year"]
    lim = lim[np.isfinite(lim.astype(float))]
    o = ctx["operators.csv"]
    o = o[o["operator"].isin(lim.index)].copy()
    o["year"] = o["year"] + o["site"].map(ctx.sites["lead_time_years"]).astype(int)
    rows = o.groupby(["operator", "year"], as_index=False)["wspm"].sum()
    rows = rows.assign(lhs=rows["wspm"], rhs=rows["operator"].map(lim).astype(float))
    return rows[cols]


def check_ramp(ctx: Context) -> None:
    rows = ramp_rows(ctx)
    for r in each(rows[exceeds(rows["lhs"], rows["rhs"], ABS_TOL)]):
        ctx.findings.violate(
            "operator ramp",
            f"{r.operator} brings {fmt(r.lhs)} wspm online in {r.year} > "
            f"max_new_wspm_per_year {fmt(r.rhs)}",
        )
    ctx.findings.checked("operator ramp", len(rows))


def stake_rows(ctx: Context) -> pd.DataFrame:
    """(operator) partner funding at its sites >= min_stake x capex x factor x its wspm."""
    p = pairs(ctx)
    cols = ["operator", "lhs", "rhs"]
    if p.empty:
        return pd.DataFrame(columns=cols)
    ops = p.drop_duplicates("operator")
    ops = ops[(ops["min_stake"] > 0) & (ops["partner"].astype(str) != "")]
    fund = ctx["funding.csv"]
    o = ctx["operators.csv"].merge(p[["site", "operator", "capex_factor"]])
    o["capital"] = (
        o["site"].map(ctx.sites["capex_usd_per_wspm"]).astype(float)
        * o["capex_factor"].astype(float)
        * o["wspm"]
    )
    capital = o.groupby("operator")["capital"].sum()
    out = []
    for r in ops.itertuples():
        sites = set(p.loc[p["operator"] == r.operator, "site"])
        own = fund[(fund["partner"] == r.partner) & fund["site"].isin(sites)]["usd"].sum()
        out.append((r.operator, float(own), float(r.min_stake) * float(capital.get(r.operator, 0))))
    return pd.DataFrame(out, columns=cols)


def check_stake(ctx: Context) -> None:
    rows = stake_rows(ctx)
    for r in each(rows[exceeds(rows["rhs"], rows["lhs"], ABS_TOL_USD)]):
        ctx.findings.violate(
            "operator stake",
            f"{r.operator}: its partner funds {fmt(r.lhs)} USD at its sites < min_stake x "
            f"capital of its builds = {fmt(r.rhs)} USD",
        )
    ctx.findings.checked("operator stake", len(rows))


def capacity_rows(ctx: Context) -> pd.DataFrame:
    """(scenario, site, operator, year) at sites with >= 2 operators: wafers <= 12 x util x
    (existing if first + ramped wspm of its builds online by the year)."""
    p = pairs(ctx)
    cols = ["scenario", "site", "operator", "year", "lhs", "rhs"]
    multi = p[p["n_ops"] > 1] if not p.empty else p
    if multi.empty:
        return pd.DataFrame(columns=cols)
    years = pd.DataFrame({"year": ctx.years})
    grid = multi[["site", "operator", "first"]].merge(years, how="cross")
    grid = grid.merge(pd.DataFrame({"scenario": list(ctx.probs.index)}), how="cross")
    o = ctx["operators.csv"]
    o = o[o["site"].isin(multi["site"])].copy()
    o["online"] = o["year"] + o["site"].map(ctx.sites["lead_time_years"]).astype(int)
    avail = []
    params = ctx.case.params
    for r in grid[["site", "operator", "year"]].drop_duplicates().itertuples():
        mine = o[(o["site"] == r.site) & (o["operator"] == r.operator) & (o["online"] <= r.year)]
        ramped = sum(
            w * params.ramp(int(r.year - t))
            for w, t in zip(mine["wspm"], mine["online"], strict=True)
        )
        avail.append((r.site, r.operator, r.year, ramped))
    av = pd.DataFrame(avail, columns=["site", "operator", "year", "ramped"])
    grid = grid.merge(av)
    util = grid["site"].map(ctx.sites["utilization"]).astype(float)
    existing = grid["site"].map(ctx.sites["existing_wspm"]).astype(float)
    grid["rhs"] = 12.0 * util * (np.where(grid["first"], existing, 0.0) + grid["ramped"])
    w = ctx["operator_wafers.csv"].groupby(["scenario", "site", "operator", "year"])["wafers"]
    grid = grid.merge(w.sum().reset_index(), how="left").fillna({"wafers": 0.0})
    grid["lhs"] = grid["wafers"]
    return grid[cols]


def check_capacity(ctx: Context) -> None:
    """Operator wafers within their capacity, and adding up to the site's production."""
    f = ctx.findings
    rows = capacity_rows(ctx)
    for r in each(rows[exceeds(rows["lhs"], rows["rhs"], ABS_TOL)]):
        f.violate(
            "operator capacity",
            f"{r.operator} runs {fmt(r.lhs)} wafers at {r.site} in {r.year} ({r.scenario}) > "
            f"its capacity {fmt(r.rhs)}",
        )
    if len(rows):
        keys = ["scenario", "site", "year"]
        ran = rows.groupby(keys)["lhs"].sum()
        prod = ctx.production.groupby(keys)["wafers"].sum()
        both = pd.concat([ran.rename("ran"), prod.rename("made")], axis=1).fillna(0.0)
        both = both[both.index.get_level_values("site").isin(rows["site"])].reset_index()
        for r in each(both[differs(both["ran"], both["made"], ABS_TOL)]):
            f.violate(
                "operator capacity",
                f"{r.site} {r.year} ({r.scenario}): operators run {fmt(r.ran)} wafers, "
                f"production.csv makes {fmt(r.made)}",
            )
    f.checked("operator capacity", len(rows))


def opex_costs(ctx: Context) -> pd.Series:
    """operator_opex per scenario (NPV USD, not probability-weighted)."""
    p = pairs(ctx)
    if p.empty:
        return pd.Series(dtype=float)
    one = p[p["n_ops"] == 1].set_index("site")["opex_factor"].astype(float)
    prod = ctx.production
    f = prod["site"].map(one).fillna(1.0).to_numpy(dtype=float)
    opex = prod["site"].map(ctx.sites["opex_usd_per_wafer"]).to_numpy(dtype=float)
    v = pd.Series(prod["wafers"].to_numpy() * opex * (f - 1.0) * ctx.df(prod["year"]))
    parts = [v.groupby(prod["scenario"].to_numpy()).sum()]
    w = ctx["operator_wafers.csv"]
    if len(w):
        fo = w["operator"].map(p.drop_duplicates("operator").set_index("operator")["opex_factor"])
        ow = w["site"].map(ctx.sites["opex_usd_per_wafer"]).to_numpy(dtype=float)
        value = w["wafers"].to_numpy() * ow * (fo.to_numpy(dtype=float) - 1.0) * ctx.df(w["year"])
        parts.append(pd.Series(value).groupby(w["scenario"].to_numpy()).sum())
    return pd.concat(parts).groupby(level=0).sum()


def marginal_opex(ctx: Context, p: pd.DataFrame) -> np.ndarray:
    """NPV per wafer the operators add to a route's marginal cost (verify/duals.py): at a
    one-operator site pdf x opex x (factor - 1); at a site with several, that of an operator
    running wafers there minus its operator_capacity shadow price (binding.csv)."""
    pr = pairs(ctx)
    out = np.zeros(len(p))
    if pr.empty:
        return out
    one = pr[pr["n_ops"] == 1].set_index("site")["opex_factor"].astype(float)
    f = p["site"].map(one).fillna(1.0).to_numpy(dtype=float)
    out += p["pdf"].to_numpy() * p["opex"].to_numpy() * (f - 1.0)
    w = ctx["operator_wafers.csv"]
    w = w[w["wafers"] > ABS_TOL]
    if w.empty:
        return out
    b = ctx.plan.derived.get("binding.csv")
    shadow = pd.Series(dtype=float)
    if b is not None:
        b = b[b["family"] == "operator_capacity"]
        shadow = b.set_index(["scenario", "site", "operator", "year"])["shadow_price"]
        shadow = shadow[~shadow.index.duplicated()]
    w = w.copy()
    fo = w["operator"].map(pr.drop_duplicates("operator").set_index("operator")["opex_factor"])
    key = pd.MultiIndex.from_frame(w[["scenario", "site", "operator", "year"]])
    w["sh"] = np.nan_to_num(key.map(shadow).to_numpy(dtype=float)) if len(shadow) else 0.0
    w["fo"] = fo.to_numpy(dtype=float)
    w = w.drop_duplicates(["scenario", "site", "year"])
    at = pd.MultiIndex.from_frame(w[["scenario", "site", "year"]])
    fo = pd.Series(w["fo"].to_numpy(), index=at)
    sh = pd.Series(w["sh"].to_numpy(), index=at)
    key = pd.MultiIndex.from_frame(p[["scenario", "site", "year"]])
    run = key.isin(at)
    fr = np.nan_to_num(key.map(fo).to_numpy(dtype=float), nan=1.0)
    sr = np.nan_to_num(key.map(sh).to_numpy(dtype=float))
    add = p["pdf"].to_numpy() * p["opex"].to_numpy() * (fr - 1.0) - sr
    return np.where(run, out + add, out)


COVERS = ("operator_split", "operator_wafers", "operator_pick", "operator_room")
COVERS += ("operator_ramp", "operator_stake", "operator_capacity")
CHECKS = {116: check_split, 117: check_ramp, 118: check_stake, 119: check_capacity}
LIMITS = {
    "operator_ramp": Family(("operator", "year"), "<=", "wspm", ABS_TOL, ramp_rows, check_ramp),
    "operator_stake": Family(("operator",), ">=", "USD", ABS_TOL_USD, stake_rows, check_stake),
    "operator_capacity": Family(
        ("scenario", "site", "operator", "year"),
        "<=",
        "wafer",
        ABS_TOL,
        capacity_rows,
        check_capacity,
    ),
}
