"""Operating constraints per scenario and year: demand, production, shipments, capacity, energy.

Each check builds one frame with a row per constraint instance (both sides as columns),
finds violators with the shared tolerance, and words a message only for those rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.energy_slices import annual_mwh_per_mw, mw_by_year, slice_supply_rows
from optimizer.verify.formatting import each, fmt
from optimizer.verify.limits import Family
from optimizer.verify.offers import bought_gpus
from optimizer.verify.tolerance import ABS_TOL, ABS_TOL_USD, differs, exceeds

HOURS_PER_YEAR = 8760


def check_demand(ctx: Context) -> None:
    """GPUs shipped to the market + unmet >= demand, per scenario/product/market/year."""
    keys = ["scenario", "product", "market", "year"]
    d = ctx.case.demand
    d = d[d["scenario"].isin(ctx.probs.index) & d["year"].isin(ctx.years)]
    rows = d.groupby(keys)["gpus"].sum().rename("demand").to_frame()
    rows["made"] = ctx.shipments.groupby(keys)["gpus"].sum()
    rows["unmet"] = ctx["unmet.csv"].groupby(keys)["gpus"].sum()
    rows = rows.fillna(0.0).reset_index()
    served = rows["made"] + rows["unmet"]
    bad = exceeds(rows["demand"], served)
    for r, s in zip(each(rows[bad]), served[bad], strict=True):
        ctx.findings.violate(
            "demand",
            f"scenario {r.scenario}, product {r.product}, market {r.market}, {r.year}: "
            f"{fmt(r.made)} GPUs shipped + {fmt(r.unmet)} unmet = {fmt(s)} < {fmt(r.demand)} "
            f"demanded, short by {fmt(r.demand - s)}",
        )
    ctx.findings.checked("demand", len(rows))


def check_production(ctx: Context) -> None:
    """gpus = wafers x per_wafer / per_gpu of the stage; the site's process is a stage of the
    product (recipes.csv, else the product's node) and is the row's process column."""
    p = ctx.production
    f = ctx.findings
    where = (
        "production.csv line {0.csv_line}: scenario {0.scenario}, site {0.site}, product "
        "{0.product}, {0.year}"
    )
    bad = differs(p["gpus"], p["gpus_made"]) & p["per_wafer"].notna()
    for r in each(p[bad]):
        f.violate(
            "production",
            f"{where.format(r)}: {fmt(r.gpus)} GPUs listed but {fmt(r.wafers)} wafers x "
            f"{fmt(r.gpus_per_wafer)} GPUs per wafer = {fmt(r.gpus_made)}",
        )
    active = p["wafers"].abs() > ABS_TOL
    stages = ctx.stages.groupby("product")["process"].unique().map(", ".join)
    wrong = active & p["per_wafer"].isna()
    for r in each(p[wrong]):
        f.violate(
            "production",
            f"{where.format(r)}: product {r.product} is made on {stages.get(r.product, '-')} "
            f"(recipes.csv, else products.csv node) but site {r.site} runs {r.site_process}",
        )
    if "process" in p.columns:
        listed = p["process"].fillna("").astype(str)
        for r in each(p[listed != p["site_process"]]):
            f.violate(
                "production",
                f"{where.format(r)}: process {r.process} but site {r.site} runs "
                f"{r.site_process} (sites.csv node)",
            )
    f.checked("production", len(p))


def check_shipments(ctx: Context) -> None:
    """Every shipment is on a shipping.csv lane with cost_usd = gpus x the lane's USD/GPU, and
    the GPUs a region makes equal the GPUs it ships (per scenario/region/product/year)."""
    s = ctx.shipments
    f = ctx.findings
    where = (
        "shipments.csv line {0.csv_line}: scenario {0.scenario}, region {0.region}, product "
        "{0.product}, market {0.market}, {0.year}"
    )
    active = s["gpus"].abs() > ABS_TOL
    for r in each(s[active & s["ship_usd_per_gpu"].isna()]):
        f.violate(
            "shipments",
            f"{where.format(r)}: no shipping lane from region {r.region} to market {r.market} "
            f"in shipping.csv",
        )
    expected = s["gpus"] * s["ship_usd_per_gpu"]
    bad = differs(s["cost_usd"], expected, ABS_TOL_USD) & s["ship_usd_per_gpu"].notna()
    for r, x in zip(each(s[bad]), expected[bad], strict=True):
        f.violate(
            "shipments",
            f"{where.format(r)}: cost_usd {fmt(r.cost_usd)} but {fmt(r.gpus)} GPUs x "
            f"{fmt(r.ship_usd_per_gpu)} USD/GPU = {fmt(x)}",
        )
    f.checked("shipments", len(s))

    keys = ["scenario", "region", "product", "year"]
    final = ctx.production[ctx.production["final"]]  # upstream stages feed the stage balance
    made = final.groupby(keys)["gpus_made"].sum().rename("made")
    shipped = s.groupby(keys)["gpus"].sum().rename("shipped")
    rows = pd.concat([made, shipped, bought_gpus(ctx).rename("bought")], axis=1)
    rows = rows.fillna(0.0).reset_index()
    rows["made"] = rows["made"] + rows["bought"]  # final-stage offers (verify/offers.py)
    bad = differs(rows["made"], rows["shipped"])
    for r in each(rows[bad]):
        f.violate(
            "region balance",
            f"scenario {r.scenario}, region {r.region}, product {r.product}, {r.year}: "
            f"{fmt(r.made)} GPUs made at the region's sites or bought there but "
            f"{fmt(r.shipped)} shipped from it, off by {fmt(r.made - r.shipped)}",
        )
    f.checked("region balance", len(rows))


def capacity_rows(ctx: Context) -> pd.DataFrame:
    """wafers made <= 12 x utilization x available wspm (scenario, site, year)."""
    w = ctx.wafers.merge(ctx.grid[["site", "year", "available"]], on=["site", "year"])
    util = w["site"].map(ctx.sites["utilization"]).astype(float)
    return w.assign(utilization=util, lhs=w["wafers"], rhs=12 * util * w["available"])


def check_capacity(ctx: Context) -> None:
    """Wafers made <= 12 x utilization x available wspm, per scenario/site/year."""
    w = capacity_rows(ctx)
    for r in each(w[exceeds(w["lhs"], w["rhs"])]):
        ctx.findings.violate(
            "capacity",
            f"site {r.site} {r.year} scenario {r.scenario}: {fmt(r.lhs)} wafers made > "
            f"{fmt(r.rhs)} available (12 x {fmt(r.utilization)} x {fmt(r.available)} wspm), "
            f"over by {fmt(r.lhs - r.rhs)}",
        )
    ctx.findings.checked("capacity", len(w))


def _deliverable(ctx: Context) -> pd.DataFrame:
    """MWh drawn from a contract and 8760 x capacity_factor x MW, per scenario x contract x
    year of the horizon (also outside the contract's years)."""
    contracts = ctx.contracts
    index = pd.MultiIndex.from_product(
        [ctx.probs.index, contracts.index, ctx.years], names=["scenario", "contract", "year"]
    )
    drawn = ctx["energy.csv"].groupby(["scenario", "contract", "year"])["mwh"].sum()
    d = drawn.reindex(index, fill_value=0.0).rename("lhs").reset_index()
    d["mw"] = d["contract"].map(ctx.mw).astype(float)
    d["cf"] = d["contract"].map(contracts["capacity_factor"]).astype(float)
    d["rhs"] = HOURS_PER_YEAR * d["cf"] * d["mw"]
    if ctx.case.slices is not None or len(ctx["contract_years.csv"]):
        # issue 14: sum_l hours x availability per MW, and MW per year (energy_slices.py)
        d = d.drop(columns="mw").merge(mw_by_year(ctx), on=["contract", "year"], how="left")
        d["cf"] = d["contract"].map(annual_mwh_per_mw(ctx)).astype(float) / HOURS_PER_YEAR
        d["rhs"] = HOURS_PER_YEAR * d["cf"] * d["mw"]
    return d


def contract_supply_rows(ctx: Context) -> pd.DataFrame:
    """MWh drawn from a contract <= 8760 x capacity_factor x MW (scenario, contract, year of
    the contract)."""
    if ctx.contracts is None:
        return pd.DataFrame(columns=["scenario", "contract", "year", "slice", "lhs", "rhs"])
    if ctx.case.slices is not None:  # issue 14: one row per time slice
        return slice_supply_rows(ctx)
    d = _deliverable(ctx).assign(slice="")
    first = d["contract"].map(ctx.contracts["first_year"]).astype(int)
    last = d["contract"].map(ctx.contracts["last_year"]).astype(int)
    return d[(d["year"] >= first) & (d["year"] <= last)]


def check_energy(ctx: Context) -> None:
    """Energy drawn covers the wafers made; contracts deliver no more than their MW allow."""
    if ctx.contracts is None:
        return
    e = ctx["energy.csv"].copy()
    contracts = ctx.contracts
    e["contract_region"] = e["contract"].map(contracts["region"])
    e["site_region"] = e["site"].map(ctx.sites["region"])
    e["first"] = e["contract"].map(contracts["first_year"])
    e["last"] = e["contract"].map(contracts["last_year"])
    f = ctx.findings
    where = (
        "energy.csv line {0.csv_line}: scenario {0.scenario}, contract {0.contract}, site "
        "{0.site}, {0.year}"
    )
    active = e["mwh"].abs() > ABS_TOL
    wrong_region = active & (e["contract_region"] != e["site_region"])
    for r in each(e[wrong_region]):
        f.violate(
            "energy use",
            f"{where.format(r)}: contract {r.contract} serves region {r.contract_region} but "
            f"site {r.site} is in {r.site_region}",
        )
    outside = active & ((e["year"] < e["first"]) | (e["year"] > e["last"]))
    for r in each(e[outside]):
        f.violate(
            "energy use",
            f"{where.format(r)}: contract {r.contract} delivers only in {r.first}-{r.last}",
        )

    # sum_e mwh >= energy_mwh_per_wafer x wafers, per scenario/site/year
    need = ctx.wafers.copy()
    need["mwh_per_wafer"] = need["site"].map(ctx.sites["energy_mwh_per_wafer"]).astype(float)
    need["needed"] = need["mwh_per_wafer"] * need["wafers"]
    drawn = e.groupby(["scenario", "site", "year"])["mwh"].sum()
    need["drawn"] = pd.MultiIndex.from_frame(need[["scenario", "site", "year"]]).map(drawn)
    need["drawn"] = need["drawn"].fillna(0.0)
    bad = exceeds(need["needed"], need["drawn"])
    if ctx.case.generation is not None or ctx.case.storage is not None:
        # issue 14: power builds supply the region, not a site; energy_slices.py checks the
        # region's balance per slice with their dispatch.csv rows
        bad &= False
    for r in each(need[bad]):
        f.violate(
            "energy use",
            f"site {r.site} {r.year} scenario {r.scenario}: {fmt(r.drawn)} MWh drawn < "
            f"{fmt(r.needed)} MWh needed ({fmt(r.wafers)} wafers x {fmt(r.mwh_per_wafer)} MWh "
            f"per wafer), short by {fmt(r.needed - r.drawn)}",
        )
    f.checked("energy use", len(need) + len(e))

    # sum_s mwh <= 8760 x capacity_factor x mw, per scenario/contract/year
    d = _deliverable(ctx)
    for r in each(d[exceeds(d["lhs"], d["rhs"])]):
        f.violate(
            "energy contract",
            f"contract {r.contract} {r.year} scenario {r.scenario}: {fmt(r.lhs)} MWh drawn > "
            f"{fmt(r.rhs)} MWh deliverable (8760 h x {fmt(r.cf)} x {fmt(r.mw)} MW), "
            f"over by {fmt(r.lhs - r.rhs)}",
        )
    f.checked("energy contract", len(d))
    _check_contracts_table(ctx)
    _check_energy_table(ctx, e)


def _check_contracts_table(ctx: Context) -> None:
    """contracts.csv: mw <= max_mw, every contract listed, static columns as in energy.csv."""
    f = ctx.findings
    contracts = ctx.contracts
    table = ctx["contracts.csv"]
    for c in contracts.index.difference(pd.Index(table["contract"])):
        f.violate("contracts table", f"contract {c} of energy.csv has no row in contracts.csv")
    t = table.copy()
    t["max_mw_input"] = t["contract"].map(contracts["max_mw"]).astype(float)
    for r in each(t[exceeds(t["mw"], t["max_mw_input"])]):
        f.violate(
            "energy contract",
            f"contract {r.contract}: {fmt(r.mw)} MW contracted > max_mw {fmt(r.max_mw_input)} "
            f"(contracts.csv line {r.csv_line})",
        )
    if "max_mw" in t.columns:
        for r in each(t[differs(t["max_mw"], t["max_mw_input"])]):
            f.violate(
                "contracts table",
                f"contracts.csv line {r.csv_line}: contract {r.contract} max_mw {fmt(r.max_mw)} "
                f"but energy.csv says {fmt(r.max_mw_input)}",
            )
    for col in ("region", "source"):
        if col in t.columns:
            expected = t["contract"].map(contracts[col]).astype(str)
            for r, x in zip(
                each(t[t[col] != expected]),
                expected[t[col] != expected],
                strict=True,
            ):
                f.violate(
                    "contracts table",
                    f"contracts.csv line {r.csv_line}: contract {r.contract} {col} "
                    f"'{getattr(r, col)}' but energy.csv says '{x}'",
                )
    f.checked("energy contract", len(t))
    f.checked("contracts table", len(contracts))


def _check_energy_table(ctx: Context, e: pd.DataFrame) -> None:
    """energy.csv cost_usd = mwh x price_usd_per_mwh and co2_t = mwh x co2_t_per_mwh."""
    f = ctx.findings
    price = e["contract"].map(ctx.contracts["price_usd_per_mwh"]).astype(float)
    co2 = e["contract"].map(ctx.contracts["co2_t_per_mwh"]).astype(float)
    for col, rate, unit, floor in (
        ("cost_usd", price, "USD/MWh", ABS_TOL_USD),
        ("co2_t", co2, "t/MWh", ABS_TOL),
    ):
        expected = e["mwh"] * rate
        bad = differs(e[col], expected, floor)
        for r, x, q in zip(each(e[bad]), expected[bad], np.asarray(rate)[bad], strict=True):
            f.violate(
                "energy table",
                f"energy.csv line {r.csv_line}: {col} {fmt(getattr(r, col))} but "
                f"{fmt(r.mwh)} MWh x {fmt(q)} {unit} = {fmt(x)}",
            )
    f.checked("energy table", len(e))


# the model families (optimizer/model/registry.py) whose rows these checks re-implement
COVERS = ("demand", "region_balance", "capacity", "energy_balance", "contract_supply")
# rank -> check: verify_plan runs the checks of every module in rank order
CHECKS = {
    10: check_demand,
    20: check_production,
    25: check_shipments,
    30: check_capacity,
    80: check_energy,
}
# limit family -> its rows, which binding.csv may name (limits.py)
LIMITS = {
    "capacity": Family(
        ("scenario", "site", "year"), "<=", "wafer", ABS_TOL, capacity_rows, check_capacity
    ),
    "contract_supply": Family(
        ("scenario", "contract", "year", "slice"),
        "<=",
        "MWh",
        ABS_TOL,
        contract_supply_rows,
        check_energy,
    ),
}
