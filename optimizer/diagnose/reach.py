"""What the inputs allow at most, without solving: capacity by year, and who may fund where.

These are the upper bounds screening compares demand and policy against: a site can add at most
its room (max_wspm - existing_wspm), no earlier than first_build_year + lead_time_years, ramped
up by parameters.csv ramp_up; partner capital can reach a region only if some partner may fund
it and the partners' region shares add up to all of its capital.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose.subsidy_bounds import grant_bounds
from optimizer.diagnose.text import LINE

SHARE_TOL = 1e-9


def _capex_factor(case) -> np.ndarray:
    """Per site: the least capex_factor of the operators that may run it (1 without operators):
    screening needs a lower bound of the capital a build needs (operators.csv)."""
    pairs, ops = case.site_operators, case.operators
    if pairs is None or ops is None or pairs.empty or ops.empty:
        return np.ones(len(case.sites))
    f = pairs.merge(ops[["operator", "capex_factor"]], on="operator")
    least = f.groupby("site")["capex_factor"].min()
    return case.sites["site"].map(least).fillna(1.0).to_numpy(dtype=float)


def site_reach(case) -> pd.DataFrame:
    """Per site: room to build, earliest build year and year online, whether a build is possible.

    Columns: site, region, node, line, existing_wspm, max_wspm, room_wspm, utilization,
    first_build (earliest build year in the horizon), lead, online_from (earliest year a build
    is online), buildable (room > 0 and a build can be online by last_year), capex_usd_per_wspm,
    subsidy_rate, subsidy_cap_usd (inf when uncapped), energy_mwh_per_wafer.
    """
    p = case.params
    s = case.sites
    first_build = np.maximum(s["first_build_year"].to_numpy(), p.first_year)
    lead = s["lead_time_years"].to_numpy()
    room = np.clip(s["max_wspm"].to_numpy() - s["existing_wspm"].to_numpy(), 0.0, None)
    online = first_build + lead
    # with subsidies.csv: every program of the site's region too (an upper bound, subsidy_bounds)
    rate, cap = grant_bounds(
        case,
        np.clip(s["subsidy_rate"].to_numpy(dtype=float), 0.0, 1.0),
        s["subsidy_cap_musd"].to_numpy(dtype=float) * 1e6,
    )
    return pd.DataFrame(
        {
            "site": s["site"].to_numpy(),
            "region": s["region"].to_numpy(),
            "node": s["node"].to_numpy(),
            "line": s[LINE].to_numpy(),
            "existing_wspm": s["existing_wspm"].to_numpy(dtype=float),
            "max_wspm": s["max_wspm"].to_numpy(dtype=float),
            "room_wspm": room,
            "utilization": s["utilization"].to_numpy(dtype=float),
            "first_build_year": s["first_build_year"].to_numpy(),
            "first_build": first_build,
            "lead": lead,
            "online_from": online,
            "buildable": (room > 0) & (online <= p.last_year),
            "capex_usd_per_wspm": s["capex_usd_per_wspm"].to_numpy(dtype=float)
            * _capex_factor(case),
            "subsidy_rate": rate,
            "subsidy_cap_usd": cap,
            "energy_mwh_per_wafer": s["energy_mwh_per_wafer"].to_numpy(dtype=float),
        }
    )


def available_by_year(case, reach: pd.DataFrame) -> pd.DataFrame:
    """Most wspm each site can have available in each year: existing + room x best ramp-up.

    Putting all the room into the build year with the highest ramp-up factor by year t is the
    best any plan can do (a split of the room gets a weighted mean of those factors).
    Columns: site, year, available_wspm, ramped (True while that best factor is below 1).
    """
    p = case.params
    factors = np.maximum.accumulate(np.array([*p.ramp_up, 1.0], dtype=float))
    grid = reach[["site", "existing_wspm", "room_wspm", "online_from", "buildable"]].merge(
        pd.DataFrame({"year": case.years}), how="cross"
    )
    j = (grid["year"] - grid["online_from"]).to_numpy()
    on = grid["buildable"].to_numpy() & (j >= 0)
    best = np.where(on, factors[np.clip(j, 0, len(factors) - 1)], 0.0)
    grid["available_wspm"] = grid["existing_wspm"] + grid["room_wspm"] * best
    grid["ramped"] = on & (best < 1.0)
    return grid[["site", "year", "available_wspm", "ramped"]]


def region_shares(case) -> pd.DataFrame:
    """Per (partner, region of a site): the partner's cap on its share of that region's capital.

    Columns: partner, region, share (1.0 when partner_regions.csv does not list the pair; 0 bars
    the partner), line (the partner_regions.csv line, or -1).
    """
    regions = pd.DataFrame({"region": pd.unique(case.sites["region"])})
    pairs = case.partners[["partner"]].merge(regions, how="cross")
    pr = case.partner_regions[["partner", "region", "max_share", LINE]]
    pairs = pairs.merge(pr, on=["partner", "region"], how="left")
    pairs["share"] = pairs["max_share"].fillna(1.0)
    pairs["line"] = pairs[LINE].fillna(-1).astype(int)
    return pairs[["partner", "region", "share", "line"]]


def fundable_regions(case, shares: pd.DataFrame, overall: bool = True) -> pd.Series:
    """region -> True when partner capital can reach it at all.

    Per region the partners' shares of its capital must add up to at least 1 (otherwise all of
    its capital must be 0); with `overall`, also the partners' max_share must add up to at least
    1 (otherwise no capital can be raised anywhere).
    """
    total = shares.groupby("region")["share"].sum()
    ok = total >= 1.0 - SHARE_TOL
    if overall:
        ok &= capital_possible(case)
    return ok


def capital_possible(case) -> bool:
    """False when the partners' max_share add up to less than 1: no capital can be raised."""
    return float(case.partners["max_share"].sum()) >= 1.0 - SHARE_TOL


def funding_options(case, reach: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """(partner, site) pairs where the partner's money could go: a build that needs capital
    (room, capex > 0, online by last_year) in a region the partner may fund."""
    needs = reach[reach["buildable"] & (reach["capex_usd_per_wspm"] > 0)]
    allowed = shares[shares["share"] > 0][["partner", "region"]]
    return allowed.merge(needs[["site", "region"]], on="region")
