"""Capacity: where and when to build (wspm), which sites are open, and the site-size limits.

Adds `build[s,y]` (wspm decided and funded in year y, online from y + lead_time), `open[s,t]`
(in [0,1]; binary in integer mode; existing sites are open), the site-size and stay-open
constraints, integer build modules, and the fixed site cost. Provides the prepared frames the
production and policy modules need: which builds are online in which year, at what ramp-up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_capacity
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family


def prepare(ctx: ModelContext) -> None:
    """Derive the sparse build index and the build-online-by-year table."""
    case, p = ctx.case, ctx.case.params
    sites = case.sites.reset_index(drop=True)
    years = pd.DataFrame({"year": ctx.years})
    cand = sites[["site", "first_build_year", "lead_time_years"]].merge(years, how="cross")
    cand = cand[
        (cand["year"] >= cand["first_build_year"])
        & (cand["year"] + cand["lead_time_years"] <= p.last_year)
    ]
    builds = cand[["site", "year"]].reset_index(drop=True)
    builds["online_year"] = builds["year"] + cand["lead_time_years"].to_numpy()
    ctx.data["builds"] = builds

    # every (build, year t) with the build online by t, and the ramp-up factor in t
    online = builds.reset_index(names="pos").merge(years.rename(columns={"year": "t"}), how="cross")
    online = online[online["t"] >= online["online_year"]]
    ramp = np.array(list(p.ramp_up) + [1.0])
    k = (online["t"] - online["online_year"]).to_numpy()
    online = online.assign(ramp=ramp[np.minimum(k, len(ramp) - 1)])
    ctx.data["online"] = online.reset_index(drop=True)


def add(ctx: ModelContext) -> None:
    prepare(ctx)
    case, s = ctx.case, ctx.scale
    sites = case.sites.reset_index(drop=True)
    builds = ctx.data["builds"]
    integer = ctx.options.integer

    max_build = builds.merge(sites[["site", "max_wspm", "existing_wspm"]], on="site", how="left")
    room = (max_build["max_wspm"] - max_build["existing_wspm"]).clip(lower=0) / s.wspm
    ctx.add_vars("build", builds, s.wspm, lb=0.0, ub=room.to_numpy())

    opens = sites[["site", "existing_wspm"]].merge(pd.DataFrame({"year": ctx.years}), how="cross")
    lb_open = (opens["existing_wspm"] > 0).astype(float).to_numpy()
    ctx.add_vars("open", opens[["site", "year"]], 1.0, lb=lb_open, ub=1.0, integer=integer)
    ctx.data["opens"] = opens[["site", "year"]]

    _add_site_size(ctx, sites, builds, opens)
    _add_stay_open(ctx, opens)
    if integer:
        _add_modules(ctx, sites, builds)

    fixed = opens.merge(sites[["site", "fixed_cost_usd_per_year"]], on="site", how="left")
    coef = fixed["fixed_cost_usd_per_year"].to_numpy() * ctx.df(fixed["year"]) / s.usd
    ctx.add_cost("site_fixed", "open", np.arange(len(opens)), coef)


def _add_site_size(ctx: ModelContext, sites, builds, opens) -> None:
    """existing + sum_{y<=t} build[s,y] <= max_wspm * open[s,t]."""
    s = ctx.scale
    rows = opens[["site", "year"]].reset_index(names="row")
    decided = builds.reset_index(names="pos").merge(rows.rename(columns={"year": "t"}), on="site")
    decided = decided[decided["year"] <= decided["t"]]
    meta = opens.merge(sites[["site", "max_wspm"]], on="site", how="left")
    terms = pd.concat(
        [
            terms_frame(decided["row"], "build", decided["pos"], 1.0),
            terms_frame(rows["row"], "open", rows["row"], -meta["max_wspm"].to_numpy() / s.wspm),
        ]
    )
    ctx.add_constraints(
        "site_size",
        opens[["site", "year"]],
        terms,
        "<=",
        -opens["existing_wspm"].to_numpy() / s.wspm,
    )


def _add_stay_open(ctx: ModelContext, opens) -> None:
    """open[s,t-1] <= open[s,t]: a site once open stays open."""
    idx = opens[["site", "year"]].reset_index(names="pos")
    prev = idx.assign(year=idx["year"] + 1).rename(columns={"pos": "prev"})
    pairs = idx.merge(prev, on=["site", "year"])
    rows = np.arange(len(pairs))
    terms = pd.concat(
        [
            terms_frame(rows, "open", pairs["prev"], 1.0),
            terms_frame(rows, "open", pairs["pos"], -1.0),
        ]
    )
    ctx.add_constraints("stay_open", pairs[["site", "year"]], terms, "<=", 0.0)


def _add_modules(ctx: ModelContext, sites, builds) -> None:
    """Integer mode: build[s,y] = module_wspm * n[s,y] with n integer, where module_wspm > 0."""
    s = ctx.scale
    mod = builds.reset_index(names="pos").merge(sites[["site", "module_wspm"]], on="site")
    mod = mod[mod["module_wspm"] > 0].reset_index(drop=True)
    if mod.empty:
        return
    ctx.add_vars("modules", mod[["site", "year"]], 1.0, lb=0.0, integer=True)
    rows = np.arange(len(mod))
    terms = pd.concat(
        [
            terms_frame(rows, "build", mod["pos"], 1.0),
            terms_frame(rows, "modules", rows, -mod["module_wspm"].to_numpy() / s.wspm),
        ]
    )
    ctx.add_constraints("build_modules", mod[["site", "year"]], terms, "==", 0.0)


def available_terms(ctx: ModelContext) -> pd.DataFrame:
    """(site, t, pos, ramp): build `pos` contributes ramp * wspm to available capacity in t."""
    return ctx.data["online"][["site", "t", "pos", "ramp"]]


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    """builds.csv (finance adds the capex and grant columns) and capacity.csv."""
    case = ctx.case
    sites = case.sites
    b = ctx.data["builds"].copy()
    b["wspm"] = sol.value("build")
    opens = ctx.data["opens"].copy()
    opens["open"] = sol.value("open")
    online = ctx.data["online"].copy()
    online["built_online"] = b["wspm"].to_numpy()[online["pos"].to_numpy()]
    online["ramped"] = online["built_online"] * online["ramp"]
    agg = online.groupby(["site", "t"], as_index=False)[["built_online", "ramped"]].sum()
    agg = agg.rename(columns={"t": "year"})
    cap = opens.merge(sites[["site", "existing_wspm"]], on="site", how="left").merge(
        agg, on=["site", "year"], how="left"
    )
    cap[["built_online", "ramped"]] = cap[["built_online", "ramped"]].fillna(0.0)
    cap["installed_wspm"] = cap["existing_wspm"] + cap["built_online"]
    cap["available_wspm"] = cap["existing_wspm"] + cap["ramped"]
    capacity = cap[["site", "year", "installed_wspm", "available_wspm", "open"]]
    built = b[b["wspm"] > 1e-6].reset_index(drop=True)  # one row per build decision
    return {"builds": built, "capacity": capacity}


CONCERN = Concern(
    name="capacity",
    families=(
        Family(
            name="site_size",
            kind="limit",
            elastic=True,
            source="sites.csv max_wspm, existing_wspm",
            unit="wspm",
            words="site capacity limits (sites.csv max_wspm)",
            binds="{site} is at its site limit (max_wspm) in {year}",
            infeasible=explain_capacity.site_size,
        ),
        Family(
            name="stay_open",
            kind="limit",
            elastic=True,
            source="sites.csv existing_wspm",
            unit="site-year",
            words="sites staying open once opened",
            binds=lambda r: f"{r.site} must stay open from {r.year - 1} to {r.year}",
            infeasible=explain_capacity.stay_open,
        ),
        Family(  # a definition of the integer build count, not a limit of the data
            name="build_modules",
            kind="balance",
            elastic=False,
            source="sites.csv module_wspm",
            unit="wspm",
            words="whole build modules (sites.csv module_wspm)",
            binds="{site} builds whole modules of module_wspm in {year}",
            infeasible=None,
        ),
    ),
    add=add,
    extract=extract,
)
