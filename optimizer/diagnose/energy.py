"""Screening energy: regions whose contracts cannot power their existing capacity at full output.

Energy never makes the model infeasible (a fab may make less and demand goes unmet), so this is
a warning with the numbers: the region's need at full existing output against 8760 h x
capacity_factor x max_mw summed over the region's contracts running in each year.
"""

from __future__ import annotations

import pandas as pd

from optimizer.diagnose import why
from optimizer.diagnose.text import LINE, TOL, num, problem, ref, years_text
from optimizer.errors import Problem

HOURS_PER_YEAR = 8760.0


def screen_energy(case, reach: pd.DataFrame) -> list[Problem]:
    """Regions whose contracts cannot power their existing capacity at full output."""
    if case.energy is None or case.energy.empty:
        return []
    need = reach[(reach["existing_wspm"] > 0) & (reach["energy_mwh_per_wafer"] > 0)].copy()
    need = need[need["region"].isin(case.energy["region"])]
    if need.empty:
        return []
    need["wafers"] = 12.0 * need["utilization"] * need["existing_wspm"]
    need["mwh"] = need["wafers"] * need["energy_mwh_per_wafer"]
    contracts = case.energy.merge(pd.DataFrame({"year": case.years}), how="cross")
    contracts = contracts[
        (contracts["year"] >= contracts["first_year"])
        & (contracts["year"] <= contracts["last_year"])
    ]
    contracts = contracts.assign(
        mwh=HOURS_PER_YEAR * contracts["capacity_factor"] * contracts["max_mw"]
    )
    supply = contracts.groupby(["region", "year"])["mwh"].sum()
    grid = (
        need.groupby("region", as_index=False)["mwh"]
        .sum()
        .merge(pd.DataFrame({"year": case.years}), how="cross")
    )
    grid = grid.merge(supply.rename("supply").reset_index(), on=["region", "year"], how="left")
    grid["supply"] = grid["supply"].fillna(0.0)
    grid["short"] = grid["mwh"] - grid["supply"]
    grid = grid[grid["short"] > TOL * grid["mwh"]]
    out = []
    for region, g in grid.groupby("region", sort=True):  # one warning per short region
        worst = g.loc[g["short"].idxmax()]
        sites = need[need["region"] == region]
        first = sites.iloc[0]
        used = contracts[(contracts["region"] == region) & (contracts["year"] == worst["year"])]
        terms = "; ".join(
            f"{c.contract} 8760 h x {num(c.capacity_factor)} x {num(c.max_mw)} MW"
            for c in used.itertuples()
        )
        supplied = (
            f"{ref('energy.csv', list(used[LINE]))}: {terms}"
            if len(used)
            else "no contract runs then"
        )
        detail = "; ".join(
            f"{s.site} ({ref(why.SITES, s.line)}): 12 x {num(s.utilization)} x "
            f"{num(s.existing_wspm)} wspm x {num(s.energy_mwh_per_wafer)} MWh/wafer"
            for s in sites.itertuples()
        )
        mwh_per_wafer = worst["mwh"] / sites["wafers"].sum()
        out.append(
            problem(
                why.SITES,
                int(first["line"]),
                "energy_mwh_per_wafer",
                first["energy_mwh_per_wafer"],
                f"the {region} sites need {num(worst['mwh'])} MWh a year at full existing capacity "
                f"({detail}), but the {region} contracts supply at most {num(worst['supply'])} MWh "
                f"in {worst['year']} ({supplied}): {num(worst['short'])} MWh short, so about "
                f"{num(worst['short'] / mwh_per_wafer)} wafers of existing output will be lost "
                f"(short in {years_text(g['year'])})",
                "warning",
            )
        )
    short = set(grid["region"])
    return out + _slice_shortfalls(case, need[~need["region"].isin(short)])


def _slice_shortfalls(case, need: pd.DataFrame) -> list[Problem]:
    """Regions enough for the year but short in a time slice (slices.csv): the need in the slice
    (flat load) against availability x max_mw of the contracts running in the horizon's last
    year, e.g. "US-AZ in slice winter_h20: solar 0 MW, grid 400 MW; 1,000 MW needed"."""
    if case.slices is None or need.empty:
        return []
    from optimizer.model.slices import availability, slice_table

    slices = slice_table(case)
    year = case.years[-1]
    c = case.energy[(case.energy["first_year"] <= year) & (case.energy["last_year"] >= year)]
    c = c.reset_index(drop=True)
    factor = availability(case, c, slices)  # [contract, slice]
    out = []
    for region, sites in need.groupby("region", sort=True):
        mw_needed = float(sites["mwh"].sum()) / HOURS_PER_YEAR
        own = c.index[c["region"] == region].to_numpy()
        mw = (factor[own] * c["max_mw"].to_numpy()[own, None]).sum(axis=0)
        worst = int(mw.argmin())
        if mw_needed - mw[worst] <= TOL * mw_needed:
            continue
        terms = ", ".join(
            f"{c.at[i, 'source']} {c.at[i, 'contract']} {num(mw_of)} MW"
            for i, mw_of in zip(own, factor[own, worst] * c["max_mw"].to_numpy()[own], strict=True)
        )
        first = sites.iloc[0]
        out.append(
            problem(
                why.SITES,
                int(first["line"]),
                "energy_mwh_per_wafer",
                first["energy_mwh_per_wafer"],
                f"{region} in slice {slices.at[worst, 'slice']}: {terms or 'no contract'}; the "
                f"{region} sites need {num(mw_needed)} MW at full existing capacity: "
                f"{num(mw_needed - mw[worst])} MW short in {year}",
                "warning",
            )
        )
    return out
