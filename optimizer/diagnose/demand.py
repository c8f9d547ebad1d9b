"""Screening demand: per scenario and year, demand above the most GPUs the sites could deliver.

Unmet demand is allowed at a penalty, so this is a warning, never an error. What can be served
in a year is the optimum of a small LP (site wafers -> product/market rows, gpus_per_wafer GPUs
per wafer, only where node and shipping lane fit); screening uses upper bounds on it instead of a
solver, each one a feasible point of that LP's dual, and keeps the smallest:

- per row: a row gets at most min(demand, gpus_per_wafer x the full output of its sites);
- per site: each site's full output x the best gpus_per_wafer it could serve;
- one price u per wafer for all sites: u x all wafers + sum over rows of demand x max(0, 1 -
  u / gpus_per_wafer), for u = 0 and every gpus_per_wafer of the year.

When every serving site can serve every row it is linked to the year's problem is one pool of
wafers and the last bound is exact, so the message says how much will be unmet; otherwise it
says "at least".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import why
from optimizer.diagnose.reach import available_by_year
from optimizer.diagnose.text import LINE, TOL, listing, num, ref, val
from optimizer.errors import Problem
from optimizer.inputs.references import Noted

KEYS = ["scenario", "year"]


def screen_demand(case, reach: pd.DataFrame) -> list[Problem]:
    """One warning per (scenario, year) whose demand exceeds the most that can be delivered."""
    planned = case.demand["scenario"].isin(list(case.scenario_probabilities))
    dem = case.demand[planned & (case.demand["gpus"] > 0)]
    if dem.empty:
        return []
    dem = dem[[*KEYS, "product", "market", "gpus", LINE]].rename(columns={LINE: "line"})
    dem = dem.reset_index(drop=True)
    dem["row"] = np.arange(len(dem))
    links = _links(case, dem, reach)
    year = _most_served(dem, links)
    year["short"] = (year["gpus"] - year["served_max"]).clip(lower=0.0)
    short = year[year["short"] > np.maximum(TOL * year["gpus"], 0.5)].reset_index()
    if short.empty:
        return []

    # the row to point at: the one its own sites fall shortest of, else the year's largest
    reach_row = links.groupby("row")["gpus_max"].sum().reindex(dem["row"], fill_value=0.0)
    dem["pick"] = (dem["gpus"] - reach_row.to_numpy()).clip(lower=0.0) + TOL * dem["gpus"]
    point = dem.sort_values("pick", ascending=False).drop_duplicates(KEYS).set_index(KEYS)
    last = case.params.last_year
    out = []
    for r in short.itertuples():  # one warning per short (scenario, year): few
        row = point.loc[(r.scenario, r.year)]
        limits = _limits(links, dem, reach, r.scenario, r.year, last)
        unmet = f"{num(r.short)}" if r.exact else f"at least {num(r.short)}"
        out.append(  # one line; which sites limit it (often long) is printed with -v
            Noted(
                "demand.csv",
                int(row["line"]),
                "gpus",
                val(row["gpus"]),
                f"demand of {num(r.gpus)} GPUs in {r.year} (scenario {r.scenario}) exceeds the "
                f"most that can be made by then ({num(r.served_max)}): {unmet} GPUs will be "
                "unmet",
                "warning",
                f"limits: {limits}",
            )
        )
    return out


def _links(case, dem: pd.DataFrame, reach: pd.DataFrame) -> pd.DataFrame:
    """(demand row, site) pairs that fit (node, lane), with the site's most wafers that year."""
    avail = available_by_year(case, reach).merge(
        reach[["site", "region", "node", "utilization"]], on="site"
    )
    avail["wafers"] = 12.0 * avail["utilization"] * avail["available_wspm"]
    links = (
        dem.merge(case.products[["product", "node", "gpus_per_wafer"]], on="product")
        .merge(case.shipping[["region", "market"]], on="market")
        .merge(avail, on=["region", "node", "year"])
    )
    links["gpus_max"] = links["gpus_per_wafer"] * links["wafers"]
    return links


def _most_served(dem: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Per (scenario, year): demand, the least of the three bounds on GPUs served, exactness."""
    year = dem.groupby(KEYS).agg(gpus=("gpus", "sum"))
    idx = year.index

    # per row: min(demand, g x wafers of its sites)
    per_row = links.groupby("row")["gpus_max"].sum()
    served = np.minimum(dem["gpus"].to_numpy(), per_row.reindex(dem["row"], fill_value=0.0))
    by_row = dem.assign(served=served).groupby(KEYS)["served"].sum()

    # per site: wafers x the best g it could serve
    sites = links.groupby([*KEYS, "site"]).agg(
        wafers=("wafers", "first"), g=("gpus_per_wafer", "max")
    )
    by_site = (sites["wafers"] * sites["g"]).groupby(KEYS).sum()

    # one wafer price u for every site: u x all wafers + sum_k D_k max(0, 1 - u / g_k)
    wafers = sites["wafers"].groupby(KEYS).sum().rename("wafers")
    rows = links.drop_duplicates("row")[[*KEYS, "row", "gpus", "gpus_per_wafer"]]
    prices = pd.concat(
        [
            rows[KEYS].drop_duplicates().assign(u=0.0),
            rows[[*KEYS, "gpus_per_wafer"]].rename(columns={"gpus_per_wafer": "u"}),
        ]
    )
    prices = prices.drop_duplicates().merge(wafers.reset_index(), on=KEYS)
    terms = prices.merge(rows, on=KEYS)
    terms["value"] = terms["gpus"] * np.clip(1.0 - terms["u"] / terms["gpus_per_wafer"], 0, None)
    bound = terms.groupby([*KEYS, "u", "wafers"])["value"].sum().reset_index()
    bound["value"] += bound["u"] * bound["wafers"]
    by_price = bound.groupby(KEYS)["value"].min()

    candidates = pd.concat(
        [
            by_row.reindex(idx, fill_value=0.0),
            by_site.reindex(idx, fill_value=0.0),
            by_price.reindex(idx, fill_value=np.inf),
        ],
        axis=1,
    )
    year["served_max"] = np.minimum(candidates.min(axis=1), year["gpus"])

    # exact when the linked sites and rows of the year form one pool (complete bipartite)
    shape = links.groupby(KEYS).agg(
        n=("row", "size"), rows=("row", "nunique"), sites=("site", "nunique")
    )
    pool = (shape["n"] == shape["rows"] * shape["sites"]).reindex(idx, fill_value=True)
    year["exact"] = pool.to_numpy()
    return year


def _limits(links, dem, reach, scenario, year, last_year) -> str:
    """The binding inputs of one short year: rows no site can serve, the serving sites' limits."""
    here = links[(links["scenario"] == scenario) & (links["year"] == year)]
    rows = dem[(dem["scenario"] == scenario) & (dem["year"] == year)]
    texts = [
        f"no site can make {u.product} for {u.market} ({ref('demand.csv', u.line)}: no site on "
        "its node with a shipping lane to that market)"
        for u in rows[~rows["row"].isin(here["row"])].itertuples()
    ]
    ramped = set(here.loc[here["ramped"], "site"])
    sites = reach[reach["site"].isin(here["site"])].sort_values("line")
    for _, s in sites.iterrows():
        text = why.site_limit(s, year, last_year)
        if s["site"] in ramped:
            text += " (still ramping up: parameters.csv ramp_up)"
        texts.append(text)
    return listing(texts, 6)
