"""Power by time slice (issue 14), re-checked from dispatch.csv, production and the inputs.

- balance: per (scenario, region, year, slice) the contracts' MWh in dispatch.csv cover the
  region's need, energy_mwh_per_wafer x wafers made x hours/8760 (and the load row says so);
- contract supply per slice: MWh <= availability x MW x hours (availability.csv: the region's
  row, else the blank-region row, else capacity_factor; MW of contract_years.csv for contracts
  with min_mw, else contracts.csv);
- min_mw: every contract year's MW in [min_mw, max_mw];
- take-or-pay: used + unused_paid >= min_take_share x MW x sum_l hours_l x availability_l, and
  no more is paid than that minimum asks.
Without slices.csv the year is one slice of 8760 h at capacity_factor. pandas only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.formatting import each, fmt
from optimizer.verify.limits import Family
from optimizer.verify.tolerance import ABS_TOL, exceeds

HOURS_PER_YEAR = 8760.0
YEAR_SLICE = "year"


def slices(ctx: Context) -> pd.DataFrame:
    """slice, hours of the case (one 8760 h slice `year` without slices.csv)."""
    if ctx.case.slices is None:
        return pd.DataFrame({"slice": [YEAR_SLICE], "hours": [HOURS_PER_YEAR]})
    return ctx.case.slices[["slice", "hours"]].reset_index(drop=True)


def factors(ctx: Context) -> pd.DataFrame:
    """contract, slice, hours, factor for every contract and slice."""
    c = ctx.case.energy[["contract", "source", "region", "capacity_factor"]]
    grid = c.merge(slices(ctx), how="cross")
    a = ctx.case.availability
    grid["factor"] = grid["capacity_factor"].astype(float)
    if a is None or a.empty:
        return grid
    a = a[["source", "region", "slice", "factor"]].rename(columns={"factor": "f"})
    own = grid.merge(a, on=["source", "region", "slice"], how="left")["f"]
    blank = a[a["region"].fillna("") == ""].drop(columns="region")
    every = grid.merge(blank, on=["source", "slice"], how="left")["f"]
    grid["factor"] = own.fillna(every).fillna(grid["factor"]).to_numpy()
    return grid


def mw_by_year(ctx: Context) -> pd.DataFrame:
    """contract, year, mw: contract_years.csv where it has the contract, else contracts.csv."""
    c = ctx.case.energy
    rows = [(k, y) for k in c["contract"] for y in ctx.years]
    out = pd.DataFrame(rows, columns=["contract", "year"])
    out["mw"] = out["contract"].map(ctx.mw).astype(float)
    cy = ctx["contract_years.csv"]
    if len(cy):
        yearly = cy.groupby(["contract", "year"])["mw"].first()
        got = pd.MultiIndex.from_frame(out[["contract", "year"]]).map(yearly)
        out["mw"] = np.where(pd.notna(got), got, out["mw"]).astype(float)
    return out


def annual_mwh_per_mw(ctx: Context) -> pd.Series:
    """contract -> sum_l hours_l x availability_l (8760 x capacity_factor without slices)."""
    f = factors(ctx)
    return (f["hours"].astype(float) * f["factor"]).groupby(f["contract"]).sum()


def check_energy_slices(ctx: Context) -> None:
    """Slice balance, contract supply per slice, min_mw and take-or-pay."""
    if ctx.case.energy is None:
        return
    if not (Path(ctx.plan.plan_dir) / "dispatch.csv").exists():
        # a plan written before issue 14: operations.py checks its annual balance per site
        return
    d = ctx["dispatch.csv"]
    supply = d[d["source"] != "load"]
    _balance(ctx, d, supply)
    _supply(ctx, supply)
    _min_mw(ctx)
    _take_or_pay(ctx)


def _balance(ctx: Context, d: pd.DataFrame, supply: pd.DataFrame) -> None:
    f = ctx.findings
    keys = ["scenario", "region", "year", "slice"]
    prod = ctx.production.copy()
    prod["region"] = prod["site"].map(ctx.sites["region"])
    prod["mwh"] = prod["wafers"] * prod["site"].map(ctx.sites["energy_mwh_per_wafer"]).astype(float)
    need = prod.groupby(["scenario", "region", "year"], as_index=False)["mwh"].sum()
    need = need[need["mwh"] > 0].merge(slices(ctx), how="cross")
    need["need"] = need["mwh"] * need["hours"].astype(float) / HOURS_PER_YEAR
    got = supply.groupby(keys)["mwh"].sum()
    need["supplied"] = pd.MultiIndex.from_frame(need[keys]).map(got)
    need["supplied"] = need["supplied"].fillna(0.0)
    for r in each(need[exceeds(need["need"], need["supplied"])]):
        f.violate(
            "energy slices",
            f"{r.region} slice {r.slice} {r.year} scenario {r.scenario}: {fmt(r.supplied)} MWh "
            f"supplied < {fmt(r.need)} MWh needed ({fmt(r.mwh)} MWh a year x {fmt(r.hours)} h "
            f"/ 8760), short by {fmt(r.need - r.supplied)}",
        )
    load = d[d["source"] == "load"].groupby(keys)["mwh"].sum()
    need["load"] = pd.MultiIndex.from_frame(need[keys]).map(load)
    need["load"] = need["load"].fillna(0.0)
    off = exceeds(need["need"], need["load"]) | exceeds(need["load"], need["need"])
    for r in each(need[off]):
        f.violate(
            "energy slices",
            f"dispatch.csv load of {r.region} slice {r.slice} {r.year} scenario {r.scenario} is "
            f"{fmt(r.load)} MWh, the fabs need {fmt(r.need)} MWh",
        )
    f.checked("energy slices", 2 * len(need))


def _slice_supply(ctx: Context, supply: pd.DataFrame, every: bool) -> pd.DataFrame:
    """scenario, contract, year, slice, mwh, factor, hours, mw, cap (every=True: each contract
    year and slice of the horizon, also where nothing was drawn)."""
    s = supply.rename(columns={"supplier": "contract"})
    s = s.groupby(["scenario", "contract", "year", "slice"], as_index=False)["mwh"].sum()
    if every:
        c = ctx.case.energy
        grid = pd.MultiIndex.from_product(
            [ctx.probs.index, c["contract"], ctx.years, slices(ctx)["slice"]],
            names=["scenario", "contract", "year", "slice"],
        ).to_frame(index=False)
        s = grid.merge(s, how="left").fillna({"mwh": 0.0})
        s = s.merge(c[["contract", "first_year", "last_year"]], on="contract")
        s = s[(s["year"] >= s["first_year"]) & (s["year"] <= s["last_year"])]
    s = s.merge(factors(ctx)[["contract", "slice", "hours", "factor"]], on=["contract", "slice"])
    s = s.merge(mw_by_year(ctx), on=["contract", "year"], how="left")
    s["cap"] = s["factor"] * s["hours"].astype(float) * s["mw"].fillna(0.0)
    return s


def slice_supply_rows(ctx: Context) -> pd.DataFrame:
    """contract_supply rows per slice for binding.csv: lhs = MWh, rhs = availability x h x MW."""
    d = ctx["dispatch.csv"]
    s = _slice_supply(ctx, d[d["source"] != "load"], every=True)
    return s.assign(lhs=s["mwh"], rhs=s["cap"])


def take_or_pay_rows(ctx: Context) -> pd.DataFrame:
    """take_or_pay rows for binding.csv: lhs = used + unused paid MWh, rhs = the minimum."""
    cols = ["scenario", "contract", "year", "lhs", "rhs"]
    c = ctx.case.energy
    if c is None or "min_take_share" not in c.columns:
        return pd.DataFrame(columns=cols)
    t = ctx["contract_years.csv"].merge(c[["contract", "min_take_share"]], on="contract")
    t = t[t["min_take_share"].fillna(0) > 0]
    per_mw = t["contract"].map(annual_mwh_per_mw(ctx)).astype(float)
    return t.assign(
        lhs=t["used_mwh"] + t["unused_paid_mwh"], rhs=t["min_take_share"] * t["mw"] * per_mw
    )[cols]


def _supply(ctx: Context, supply: pd.DataFrame) -> None:
    f = ctx.findings
    s = _slice_supply(ctx, supply, every=False)
    for r in each(s[exceeds(s["mwh"], s["cap"])]):
        f.violate(
            "energy slices",
            f"contract {r.contract} slice {r.slice} {r.year} scenario {r.scenario}: "
            f"{fmt(r.mwh)} MWh > {fmt(r.cap)} MWh available ({fmt(r.factor)} x {fmt(r.hours)} h"
            f" x {fmt(r.mw)} MW)",
        )
    f.checked("energy slices", len(s))


def _min_mw(ctx: Context) -> None:
    c = ctx.case.energy
    if "min_mw" not in c.columns or c["min_mw"].isna().all():
        return
    f = ctx.findings
    m = mw_by_year(ctx).merge(c[["contract", "min_mw", "first_year", "last_year"]], on="contract")
    m = m[m["min_mw"].notna() & (m["year"] >= m["first_year"]) & (m["year"] <= m["last_year"])]
    for r in each(m[exceeds(m["min_mw"], m["mw"])]):
        f.violate(
            "energy slices",
            f"contract {r.contract} {r.year}: {fmt(r.mw)} MW < min_mw {fmt(r.min_mw)}",
        )
    f.checked("energy slices", len(m))


def _take_or_pay(ctx: Context) -> None:
    c = ctx.case.energy
    if "min_take_share" not in c.columns or not (c["min_take_share"].fillna(0) > 0).any():
        return
    f = ctx.findings
    t = ctx["contract_years.csv"].merge(c[["contract", "min_take_share"]], on="contract")
    t = t[t["min_take_share"].fillna(0) > 0].copy()
    t["minimum"] = (
        t["min_take_share"] * t["mw"] * t["contract"].map(annual_mwh_per_mw(ctx)).astype(float)
    )
    t["paid"] = t["used_mwh"] + t["unused_paid_mwh"]
    owed = np.maximum(t["minimum"] - t["used_mwh"], 0.0)
    for r in each(t[exceeds(t["minimum"], t["paid"])]):
        f.violate(
            "energy slices",
            f"contract {r.contract} {r.year} scenario {r.scenario}: {fmt(r.paid)} MWh paid < "
            f"take-or-pay minimum {fmt(r.minimum)} MWh",
        )
    for r in each(t[exceeds(t["unused_paid_mwh"], owed + ABS_TOL)]):
        f.violate(
            "energy slices",
            f"contract {r.contract} {r.year} scenario {r.scenario}: {fmt(r.unused_paid_mwh)} "
            f"MWh paid unused, more than the minimum {fmt(r.minimum)} less {fmt(r.used_mwh)} used",
        )
    f.checked("energy slices", 2 * len(t))


COVERS = ("take_or_pay",)
CHECKS = {82: check_energy_slices}
LIMITS = {
    "take_or_pay": Family(
        ("scenario", "contract", "year"),
        ">=",
        "MWh",
        ABS_TOL,
        take_or_pay_rows,
        check_energy_slices,
    ),
}


def energy_values(ctx: Context, prices) -> pd.DataFrame:
    """scenario, site, year, contract, value: NPV USD per MWh of a site's need that reduced
    costs of 0 on the energy columns imply (verify/duals.py). `prices(family)` maps binding.csv
    labels to shadow prices. Per contract drawn: p df (price + CO2 x carbon price) - its
    contract_supply shadow - its take_or_pay shadow; with slices, the slices' values weighted
    by hours/8760 (a flat load needs energy in every slice)."""
    c = ctx.contracts
    carbon = float(ctx.case.params.carbon_price_usd_per_t)
    supply_shadow, top_shadow = prices("contract_supply"), prices("take_or_pay")
    gen_shadow = prices("generation_limit")  # issue 14 builds: generation_limit shadow
    g = ctx.case.generation
    gen_rate = (
        pd.Series(dtype=float)
        if g is None
        else (
            g["variable_usd_per_mwh"].astype(float) + g["co2_t_per_mwh"].astype(float) * carbon
        ).set_axis(g["project"])
    )

    def value(frame: pd.DataFrame, with_slice: bool) -> np.ndarray:
        rate = (
            frame["contract"].map(c["price_usd_per_mwh"]).astype(float)
            + frame["contract"].map(c["co2_t_per_mwh"]).astype(float) * carbon
        ).fillna(frame["contract"].map(gen_rate))  # a generation build: variable + CO2
        pdf = ctx.probs.reindex(frame["scenario"]).to_numpy(dtype=float) * ctx.df(frame["year"])
        label = frame["scenario"].astype(str) + " / " + frame["contract"] + " / "
        label = label + frame["year"].astype(str)
        full = label + " / " + frame["slice"].astype(str) if with_slice else label
        s = full.map(supply_shadow).fillna(full.map(gen_shadow)).fillna(0.0).to_numpy()
        t = label.map(top_shadow).fillna(0.0).to_numpy()
        return pdf * rate.to_numpy() - s - t

    e = ctx["energy.csv"]
    e = e[e["mwh"] > ABS_TOL][["scenario", "contract", "site", "year"]].copy()
    if ctx.case.slices is None:
        e["value"] = value(e, False)
        return e
    d = ctx["dispatch.csv"]
    d = d[(d["source"] != "load") & (d["mwh"] > ABS_TOL)].rename(columns={"supplier": "contract"})
    d = d.assign(value=value(d, True))
    # every contract drawn in a slice has the slice's value: take the cheapest (the marginal)
    per = d.groupby(["scenario", "region", "year", "slice"], as_index=False)["value"].min()
    per["hours"] = per["slice"].map(ctx.case.slices.set_index("slice")["hours"]).astype(float)
    per["value"] = per["value"] * per["hours"] / HOURS_PER_YEAR
    region = per.groupby(["scenario", "region", "year"])["value"].sum()
    # storage's value lies in its state-of-charge rows (no plan table prices them): no check
    stored = d[d["source"] == "storage"].groupby(["scenario", "region", "year"]).size().index
    region[region.index.isin(stored)] = np.nan
    drawn = d.groupby(["scenario", "region", "year"])["contract"].agg(
        lambda x: "+".join(sorted(set(x)))
    )
    sites = e[["scenario", "site", "year"]].drop_duplicates()
    sites["region"] = sites["site"].map(ctx.sites["region"])
    key = pd.MultiIndex.from_frame(sites[["scenario", "region", "year"]])
    sites["value"] = key.map(region)
    sites["contract"] = key.map(drawn)
    return sites[["scenario", "contract", "site", "year", "value"]]
