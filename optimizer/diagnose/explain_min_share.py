"""Minimum regional shares (regions.csv min_capacity_share): what they force, and when they
cannot be met.

The floor counts installed capacity (existing + nameplate of builds online) of the row's
processes. The most a region can hold in year t is its counted sites' existing capacity plus all
their room where a build can be online by t (first_build_year + lead_time_years <= t); the least
the others hold is their existing capacity. If even that best share is below the floor the case
is infeasible (a screening error); if today's share is below it, builds in the region are forced.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import why
from optimizer.diagnose.reach import site_reach
from optimizer.diagnose.rows import generic_text, groups, lookup
from optimizer.diagnose.text import LINE, TOL, num, problem, ref, share, years_text
from optimizer.errors import Problem
from optimizer.inputs.recipes import processes_of
from optimizer.model.registry import Sentence


def floor_reach(case) -> pd.DataFrame:
    """Per min_capacity_share row and year from its from_year: the share needed and the most the
    region can reach. Columns: floor, region, process, share, from_year, line, year, own_existing,
    own_most (wspm the region can hold), others (existing elsewhere), best (own_most / (own_most
    + others)), forced_wspm (least the region must add: (m E - E_r) / (1 - m), >= 0), sites."""
    floors = case.min_shares.reset_index(drop=True)
    if floors.empty:
        return pd.DataFrame()
    reach = site_reach(case)
    counted = pd.DataFrame(
        [(i, p) for i, spec in enumerate(floors["process"]) for p in processes_of(case, spec)],
        columns=["floor", "node"],
    ).merge(reach, on="node")
    grid = floors.reset_index(names="floor").merge(pd.DataFrame({"year": case.years}), how="cross")
    grid = grid[grid["year"] >= grid["from_year"]]
    g = counted.merge(grid[["floor", "year", "region"]], on="floor", suffixes=("", "_floor"))
    mine = (g["region"] == g["region_floor"]).to_numpy()
    online = (g["buildable"] & (g["online_from"] <= g["year"])).to_numpy()
    g["own_existing"] = np.where(mine, g["existing_wspm"], 0.0)
    g["own_most"] = np.where(mine, g["existing_wspm"] + np.where(online, g["room_wspm"], 0.0), 0.0)
    g["others"] = np.where(mine, 0.0, g["existing_wspm"])
    g["site_text"] = np.where(mine & online, g["site"], "")
    sums = g.groupby(["floor", "year"]).agg(
        own_existing=("own_existing", "sum"),
        own_most=("own_most", "sum"),
        others=("others", "sum"),
        sites=("site_text", lambda s: ", ".join(sorted(x for x in s if x))),
    )
    out = grid.merge(sums.reset_index(), on=["floor", "year"], how="left")
    for c in ("own_existing", "own_most", "others"):
        out[c] = out[c].fillna(0.0)
    out["sites"] = out["sites"].fillna("")
    m = out["min_capacity_share"].to_numpy(dtype=float)
    total = out["own_most"] + out["others"]
    out["best"] = np.where(total > 0, out["own_most"] / total.where(total > 0, 1.0), 1.0)
    need = m * (out["own_existing"] + out["others"]) - out["own_existing"]
    out["forced_wspm"] = np.clip(need / np.maximum(1.0 - m, 1e-12), 0.0, None)
    return out.rename(columns={"min_capacity_share": "share", LINE: "line"}).reset_index(drop=True)


def screen_min_shares(case) -> list[Problem]:
    """An error per floor no plan can meet (first year it fails); a warning per floor that forces
    builds (the least wspm, where, by when)."""
    if case.min_shares.empty:
        return []
    grid = floor_reach(case)
    out = []
    for _, g in grid.groupby("floor", sort=True):
        r = g.iloc[0]
        counted = f" of {r.process}" if r.process else ""
        short = g[g["best"] < g["share"] - TOL]
        if len(short):
            s = short.iloc[0]
            out.append(
                problem(
                    why.REGIONS,
                    r.line,
                    "min_capacity_share",
                    r.share,
                    f"{r.region} can hold at most {num(s.own_most)} wspm{counted} in {s.year} "
                    f"(its sites' max_wspm, first_build_year and lead_time_years) against "
                    f"{num(s.others)} wspm existing elsewhere: at most {share(s.best)} of the "
                    f"total, so no plan can meet the minimum share in "
                    f"{years_text(short['year'])}",
                )
            )
            continue
        first = g.iloc[0]
        if first.forced_wspm > TOL:
            out.append(
                problem(
                    why.REGIONS,
                    r.line,
                    "min_capacity_share",
                    r.share,
                    f"forces builds in {r.region}: at least {num(first.forced_wspm)} wspm"
                    f"{counted} online by {first.year} ({first.sites or 'its sites'}), more if "
                    "other regions build",
                    severity="warning",
                )
            )
    return out


def min_share(case, family, rows) -> list[Sentence]:
    """A violated floor: how far short, and what the region's sites can reach by then."""
    grid = floor_reach(case)
    out = []
    for key, g, size in groups(rows, ["region", "process"]):
        floor = lookup(case.min_shares, region=key["region"], process=key["process"])
        if floor is None or grid.empty:
            out.append((size, generic_text(family, key, g)))
            continue
        head = (
            f"{ref(why.REGIONS, floor[LINE])}: {key['region']} min_capacity_share "
            f"{share(floor['min_capacity_share'])} from {floor['from_year']} falls short by "
            f"{num(g['amount'].max())} wspm in {years_text(g['year'])}"
        )
        mine = grid[(grid["region"] == key["region"]) & (grid["process"] == key["process"])]
        mine = mine[mine["year"].isin(g["year"])]
        if mine.empty:
            out.append((size, head))
            continue
        worst = mine.sort_values("best").iloc[0]
        out.append(
            (
                size,
                f"{head}: its sites can hold at most {num(worst.own_most)} wspm by {worst.year} "
                f"({worst.sites or 'no build can be online by then'}; max_wspm and "
                f"lead_time_years) against {num(worst.others)} wspm elsewhere, at most "
                f"{share(worst.best)}; lower min_capacity_share or move from_year later",
            )
        )
    return out
