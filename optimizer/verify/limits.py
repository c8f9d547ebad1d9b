"""The limit rows binding.csv may name, recomputed from the plan tables and the inputs.

One function per family of docs/model.md that `binding.csv` lists (the rows users could relax):
each returns the rows that exist for this case with their key columns and both sides of the
row (lhs `sense` rhs) in the units of binding.csv. verify knows these families the way it
knows every constraint: from the documented formulation, never from the model code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.operations import HOURS_PER_YEAR
from optimizer.verify.tolerance import ABS_TOL, ABS_TOL_FRACTION, ABS_TOL_USD


@dataclass(frozen=True)
class Family:
    keys: tuple[str, ...]
    sense: str  # "<=" or ">="
    unit: str  # binding.csv unit: "USD (NPV) per <unit>"
    floor: float  # absolute tolerance of the row's unit
    rows: Callable[[Context], pd.DataFrame]  # key columns + lhs + rhs


def _capacity(ctx: Context) -> pd.DataFrame:
    """wafers made <= 12 x utilization x available wspm (scenario, site, year)."""
    w = ctx.wafers.merge(ctx.grid[["site", "year", "available"]], on=["site", "year"])
    util = w["site"].map(ctx.sites["utilization"]).astype(float)
    return w.assign(lhs=w["wafers"], rhs=12 * util * w["available"])


def _site_size(ctx: Context) -> pd.DataFrame:
    """existing + builds decided by t <= max_wspm x open (site, year)."""
    g = ctx.grid
    top = g["site"].map(ctx.sites["max_wspm"]).astype(float)
    return g.assign(lhs=g["existing"] + g["built"], rhs=top * g["open"])


def _stay_open(ctx: Context) -> pd.DataFrame:
    """open(t-1) <= open(t) (site, year after the first)."""
    g = ctx.grid.assign(lhs=ctx.grid.groupby("site")["open"].shift(1), rhs=ctx.grid["open"])
    return g[g["lhs"].notna()]


def _contract_supply(ctx: Context) -> pd.DataFrame:
    """MWh drawn from a contract <= 8760 x capacity_factor x MW (scenario, contract, year)."""
    if ctx.contracts is None:
        return pd.DataFrame(columns=["scenario", "contract", "year", "lhs", "rhs"])
    index = pd.MultiIndex.from_product(
        [ctx.probs.index, ctx.contracts.index, ctx.years], names=["scenario", "contract", "year"]
    )
    drawn = ctx["energy.csv"].groupby(["scenario", "contract", "year"])["mwh"].sum()
    d = drawn.reindex(index, fill_value=0.0).rename("lhs").reset_index()
    cf = d["contract"].map(ctx.contracts["capacity_factor"]).astype(float)
    first = d["contract"].map(ctx.contracts["first_year"]).astype(int)
    last = d["contract"].map(ctx.contracts["last_year"]).astype(int)
    d["rhs"] = HOURS_PER_YEAR * cf * d["contract"].map(ctx.mw).astype(float)
    return d[(d["year"] >= first) & (d["year"] <= last)]


def _builds_money(ctx: Context) -> pd.DataFrame:
    """Per site x year: capex of the builds decided then and the grants for them."""
    g = ctx.grid[["site", "year"]].copy()
    wspm = ctx.builds.groupby(["site", "year"])["wspm"].sum()
    grants = ctx["grants.csv"].groupby(["site", "year"])["usd"].sum()
    at = pd.MultiIndex.from_frame(g)
    rate = g["site"].map(ctx.sites["capex_usd_per_wspm"]).astype(float)
    g["capex"] = rate * at.map(wspm).to_numpy(dtype=float)
    g["grant"] = at.map(grants).to_numpy(dtype=float)
    return g.fillna({"capex": 0.0, "grant": 0.0})


def _grant_rate(ctx: Context) -> pd.DataFrame:
    """grant <= subsidy_rate x capex (site, year)."""
    g = _builds_money(ctx)
    rate = g["site"].map(ctx.sites["subsidy_rate"]).astype(float)
    return g.assign(lhs=g["grant"], rhs=rate * g["capex"])


def _grant_cap(ctx: Context) -> pd.DataFrame:
    """grants over the horizon <= subsidy_cap_musd x 1e6 (site with a finite cap)."""
    cap = ctx.sites["subsidy_cap_musd"].astype(float) * 1e6
    granted = ctx["grants.csv"].groupby("site")["usd"].sum().reindex(cap.index, fill_value=0.0)
    rows = pd.DataFrame({"site": cap.index, "lhs": granted.to_numpy(), "rhs": cap.to_numpy()})
    return rows[np.isfinite(rows["rhs"])]


def _partner_usd(ctx: Context) -> tuple[pd.DataFrame, float]:
    p = ctx.partners[["max_commitment_musd", "min_share", "max_share"]].astype(float).copy()
    p["usd"] = ctx["funding.csv"].groupby("partner")["usd"].sum().reindex(p.index)
    p = p.fillna({"usd": 0.0}).rename_axis("partner").reset_index()
    return p, float(ctx["funding.csv"]["usd"].sum())


def _commitment(ctx: Context) -> pd.DataFrame:
    """partner capital <= max_commitment_musd x 1e6 (partner with a finite commitment)."""
    p, _ = _partner_usd(ctx)
    p = p.assign(lhs=p["usd"], rhs=p["max_commitment_musd"] * 1e6)
    return p[np.isfinite(p["rhs"])]


def _max_share(ctx: Context) -> pd.DataFrame:
    """partner capital <= max_share x all partner capital (partner with max_share < 1)."""
    p, total = _partner_usd(ctx)
    return p.assign(lhs=p["usd"], rhs=p["max_share"] * total)[p["max_share"] < 1.0]


def _min_share(ctx: Context) -> pd.DataFrame:
    """partner capital >= min_share x all partner capital (partner with min_share > 0)."""
    p, total = _partner_usd(ctx)
    return p.assign(lhs=p["usd"], rhs=p["min_share"] * total)[p["min_share"] > 0.0]


def _region_share(ctx: Context) -> pd.DataFrame:
    """capital of a partner for a region's sites <= max_share x all partner capital for them
    (partner_regions.csv rows with 0 < max_share < 1)."""
    fund = ctx["funding.csv"].assign(region=lambda d: d["site"].map(ctx.sites["region"]))
    pr = ctx.case.partner_regions
    lim = pr[(pr["max_share"] > 0) & (pr["max_share"] < 1)][["partner", "region", "max_share"]]
    own = fund.groupby(["partner", "region"])["usd"].sum()
    region = fund.groupby("region")["usd"].sum()
    lim = lim.reset_index(drop=True)
    lhs = pd.MultiIndex.from_frame(lim[["partner", "region"]]).map(own).to_numpy(dtype=float)
    rhs = lim["max_share"] * lim["region"].map(region).astype(float).fillna(0.0)
    return lim.assign(lhs=np.nan_to_num(lhs, nan=0.0), rhs=rhs)


def _concentration(ctx: Context) -> pd.DataFrame:
    """installed wspm of a region <= max_capacity_share x all installed (region, year >=
    from_year)."""
    regions = ctx.case.regions
    if regions.empty:
        return pd.DataFrame(columns=["region", "year", "lhs", "rhs"])
    g = ctx.grid
    total = g.groupby("year")["installed"].sum()
    by_region = g.groupby(["region", "year"])["installed"].sum()
    rows = regions[["region", "max_capacity_share", "from_year"]].merge(
        pd.DataFrame({"year": ctx.years}), how="cross"
    )
    rows = rows[rows["year"] >= rows["from_year"]].reset_index(drop=True)
    lhs = pd.MultiIndex.from_frame(rows[["region", "year"]]).map(by_region).to_numpy(dtype=float)
    rhs = rows["max_capacity_share"] * rows["year"].map(total).astype(float)
    return rows.assign(lhs=np.nan_to_num(lhs, nan=0.0), rhs=rhs)


FAMILIES: dict[str, Family] = {
    "capacity": Family(("scenario", "site", "year"), "<=", "wafer", ABS_TOL, _capacity),
    "site_size": Family(("site", "year"), "<=", "wspm", ABS_TOL, _site_size),
    "stay_open": Family(("site", "year"), "<=", "site-year", ABS_TOL_FRACTION, _stay_open),
    "contract_supply": Family(
        ("scenario", "contract", "year"), "<=", "MWh", ABS_TOL, _contract_supply
    ),
    "grant_rate": Family(("site", "year"), "<=", "USD", ABS_TOL_USD, _grant_rate),
    "grant_cap": Family(("site",), "<=", "USD", ABS_TOL_USD, _grant_cap),
    "commitment": Family(("partner",), "<=", "USD", ABS_TOL_USD, _commitment),
    "max_share": Family(("partner",), "<=", "USD", ABS_TOL_USD, _max_share),
    "min_share": Family(("partner",), ">=", "USD", ABS_TOL_USD, _min_share),
    "region_share": Family(("partner", "region"), "<=", "USD", ABS_TOL_USD, _region_share),
    "concentration": Family(("region", "year"), "<=", "wspm", ABS_TOL, _concentration),
}


def labelled_rows(ctx: Context, name: str) -> pd.DataFrame:
    """The family's rows indexed by their binding.csv label ('base / TW_A / 2027')."""
    fam = FAMILIES[name]
    rows = fam.rows(ctx).reset_index(drop=True)
    if rows.empty:
        return rows.assign(label=[]).set_index("label")
    label = rows[list(fam.keys)].astype(str).agg(" / ".join, axis=1)
    return rows.assign(label=label.to_numpy()).set_index("label")
