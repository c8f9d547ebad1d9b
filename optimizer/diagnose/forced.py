"""Builds that a concentration cap forces elsewhere, and whether they can be built and paid for.

The only constraint that forces any build is a concentration cap that existing capacity already
exceeds: from year T = max(from_year, first_year) region r may hold at most share c of all
installed capacity, so with E_r of the E existing wspm in r the other regions need

    X = (E_r - c E) / c  wspm online by T      (region r's own builds only make it worse).

Everything else that can make the model infeasible follows from X: the other regions' room and
lead times, then the partner capital those builds need beyond grants, which partners may provide
it, their commitments and shares. `Forced` collects these numbers for one cap; screening turns
the definite impossibilities into errors, explanations use all of them as context.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.diagnose.reach import (
    fundable_regions,
    funding_options,
    region_shares,
    site_reach,
)
from optimizer.diagnose.text import LINE, TOL
from optimizer.inputs.recipes import processes_of


@dataclass
class Forced:
    """One concentration cap whose existing capacity forces builds in other regions."""

    region: str
    share: float
    from_year: int
    year: int  # T: the first year the cap applies in the horizon
    line: int  # regions.csv line
    existing_region_wspm: float  # E_r
    existing_total_wspm: float  # E
    region_sites: pd.DataFrame  # the capped region's sites with existing capacity
    needed_wspm: float  # X
    others: pd.DataFrame  # site_reach of other regions + eligible, fundable, usable_wspm
    room_wspm: float  # R: room at other-region sites online by T
    usable_wspm: float  # U <= R: the part partner capital or grants can pay for
    capital_usd: float  # K: least partner capital that builds X (nan when U < X)
    partners: pd.DataFrame  # partners who may fund some eligible site
    shares: pd.DataFrame  # region_shares of the case
    first_year_enough: int | None  # first year >= T in which the room online would suffice

    @property
    def buildable(self) -> bool:
        return self.room_wspm >= self.needed_wspm * (1 - TOL)

    @property
    def payable(self) -> bool:
        return self.usable_wspm >= self.needed_wspm * (1 - TOL)

    @property
    def share_needed(self) -> float:
        """The cap that would hold in T if the others built all they can (and r nothing)."""
        extra = min(self.room_wspm, self.usable_wspm)
        return self.existing_region_wspm / (self.existing_total_wspm + extra)

    @property
    def blocked_regions(self) -> list[str]:
        """Regions of eligible sites whose partner_regions shares keep all capital out."""
        e = self.others[self.others["eligible"] & ~self.others["region_open"]]
        return list(dict.fromkeys(e["region"]))


def forced_builds(case) -> list[Forced]:
    """One `Forced` per concentration cap that existing capacity exceeds in its first year."""
    regions = case.regions
    if regions.empty:
        return []
    p = case.params
    reach = site_reach(case)
    shares = region_shares(case)
    fundable = fundable_regions(case, shares)
    reach["fundable"] = reach["region"].map(fundable).fillna(False).astype(bool)
    open_regions = fundable_regions(case, shares, overall=False)
    reach["region_open"] = reach["region"].map(open_regions).fillna(False).astype(bool)
    out = []
    caps = regions.rename(columns={LINE: "line"})
    for row in caps.itertuples(index=False):  # one iteration per cap: regions.csv rows
        counted = reach[reach["node"].isin(processes_of(case, row.process))]  # its processes
        existing = counted.groupby("region")["existing_wspm"].sum()
        e_total = float(counted["existing_wspm"].sum())
        year = max(int(row.from_year), p.first_year)
        e_r = float(existing.get(row.region, 0.0))
        c = float(row.max_capacity_share)
        if year > p.last_year or e_r <= 0:
            continue
        needed = math.inf if c <= 0 else (e_r - c * e_total) / c
        if needed <= TOL * max(e_total, 1.0):
            continue
        out.append(_analyse(case, row, year, e_r, e_total, needed, counted, shares))
    return out


def _analyse(case, row, year, e_r, e_total, needed, reach, shares) -> Forced:
    others = reach[reach["region"] != row.region].copy()
    others["eligible"] = others["buildable"] & (others["online_from"] <= year)
    eligible = others[others["eligible"]]
    room = float(eligible["room_wspm"].sum())
    usable, capital, used = _least_capital(eligible, needed)
    others["usable_wspm"] = others.index.map(used).fillna(0.0).to_numpy()

    later = others[others["buildable"]].groupby("online_from")["room_wspm"].sum().cumsum()
    enough = later[(later.index >= year) & (later >= needed * (1 - TOL))]
    first_enough = int(enough.index[0]) if len(enough) else None
    if first_enough is not None:
        first_enough = max(first_enough, year)

    options = funding_options(case, eligible[eligible["fundable"]], shares)
    partners = case.partners[case.partners["partner"].isin(options["partner"])]
    sites = case.sites
    region_sites = sites[
        (sites["region"] == row.region)
        & (sites["existing_wspm"] > 0)
        & sites["site"].isin(reach["site"])  # the sites of the processes the cap counts
    ]
    return Forced(
        region=row.region,
        share=float(row.max_capacity_share),
        from_year=int(row.from_year),
        year=year,
        line=int(row.line),
        existing_region_wspm=e_r,
        existing_total_wspm=e_total,
        region_sites=region_sites,
        needed_wspm=needed,
        others=others,
        room_wspm=room,
        usable_wspm=usable,
        capital_usd=capital,
        partners=partners,
        shares=shares,
        first_year_enough=first_enough,
    )


def _least_capital(eligible: pd.DataFrame, needed: float) -> tuple[float, float, pd.Series]:
    """Least partner capital that builds `needed` wspm at the eligible sites.

    Partner capital for b wspm at a site is capex x b minus its grant, min(rate x capex x b, cap):
    convex and piecewise linear in b, so filling the cheapest segments first is optimal. Sites
    whose region no partner can fund take only the part grants pay for in full.
    Returns (usable wspm, capital in USD or nan when usable < needed, wspm used per site).
    """
    capex = eligible["capex_usd_per_wspm"].to_numpy()
    rate = eligible["subsidy_rate"].to_numpy()
    cap = eligible["subsidy_cap_usd"].to_numpy()
    room = eligible["room_wspm"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        granted = np.where(rate * capex > 0, cap / (rate * capex), 0.0)
    first = np.where(capex <= 0, room, np.minimum(room, granted))
    seg = pd.DataFrame(
        {
            "site": np.concatenate([eligible.index, eligible.index]),
            "length": np.concatenate([first, room - first]),
            "cost": np.concatenate([np.where(capex <= 0, 0.0, (1 - rate) * capex), capex]),
            "fundable": np.concatenate([eligible["fundable"], eligible["fundable"]]),
        }
    )
    seg = seg[(seg["length"] > 0) & (seg["fundable"] | (seg["cost"] <= 0))]
    seg = seg.sort_values("cost", kind="stable")
    before = seg["length"].cumsum() - seg["length"]
    take = np.clip(min(needed, 1e300) - before, 0.0, seg["length"])
    usable = float(seg["length"].sum())
    capital = float((take * seg["cost"]).sum()) if usable >= needed * (1 - TOL) else math.nan
    used = take.groupby(seg["site"]).sum()
    return usable, capital, used


@dataclass
class CapsTooTight:
    """A year in which the regions that can hold capacity may together hold less than all of it."""

    year: int
    regions: pd.DataFrame  # region, share (1.0 uncapped), line (regions.csv, -1 uncapped)
    total: float


def caps_too_tight(case) -> CapsTooTight | None:
    """The first year whose caps over the regions able to hold capacity sum to less than 1.

    Installed capacity is positive once anything exists, and every region r holds at most
    cap(r, t) of it, so sum_r cap(r, t) >= 1 over the regions that can hold capacity in t is
    necessary (uncapped regions count 1). Regions able to hold capacity in t: existing capacity,
    or a build online by t.
    """
    regions = case.regions
    if regions.empty or float(case.sites["existing_wspm"].sum()) <= 0:
        return None
    reach = site_reach(case)
    years = pd.DataFrame({"year": case.years})
    present = reach[["region", "existing_wspm", "buildable", "online_from"]].merge(
        years, how="cross"
    )
    present = present[
        (present["existing_wspm"] > 0)
        | (present["buildable"] & (present["online_from"] <= present["year"]))
    ][["region", "year"]].drop_duplicates()
    caps = regions[["region", "max_capacity_share", "from_year", LINE]]
    grid = present.merge(caps, on="region", how="left")
    applies = grid["max_capacity_share"].notna() & (grid["year"] >= grid["from_year"])
    grid["share"] = np.where(applies, grid["max_capacity_share"], 1.0)
    grid["line"] = np.where(applies, grid[LINE].fillna(-1), -1).astype(int)
    total = grid.groupby("year")["share"].sum()
    tight = total[total < 1.0 - TOL]
    if tight.empty:
        return None
    year = int(tight.index[0])
    rows = grid[grid["year"] == year][["region", "share", "line"]].sort_values("region")
    return CapsTooTight(year, rows.reset_index(drop=True), float(tight.iloc[0]))
