"""Report figures that say what they mean (issue 15 §3), derived from the plan tables with pandas.

Which limits actually shape the plan, the main builds with their partners, existing capacity that
sits idle and why, LP builds too small to be real, utilisation per scenario and new capacity by
process group. No formatting here except the ready-made sentences the report quotes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.plan import statistics
from optimizer.plan.read import Plan
from optimizer.render.fmt import money

SHAPING_TOL_USD = 1.0  # a limit whose impact is below a dollar shapes nothing
IDLE_LOAD = 0.01  # a site making under 1% of its available wafers in a year is idle
IDLE_MIN_YEARS = 2  # a run of this many idle years is reported
LP_FRACTION = 0.1  # an LP build below this share of the site's module_wspm is a fraction
GROUP_ORDER = ("logic", "memory", "packaging")
# caps that can require output at a site or in a region (optimizer/model/policy.py)
REQUIRING_FAMILIES = ("min_capacity_share", "concentration")
IMPACT_MEANING = (
    "Impact: the limit's shadow price times the size of its row (its right-hand side, or half "
    "the sum of its terms when that is larger), in USD (NPV): roughly how much the limit moves "
    "the cost. Rows with no impact, or grant-rate limits on builds the plan does not make, are "
    "left out."
)


def shaping_binding(plan: Plan) -> pd.DataFrame:
    """statistics.binding rows whose limit shapes the plan: |impact_usd| above a dollar, and no
    grant-rate row on a build of zero (its full rate binds only because nothing is built)."""
    frame = statistics.binding(plan)
    if frame.empty:
        return frame
    impact = pd.to_numeric(frame["impact_usd"], errors="coerce").abs().fillna(0.0)
    keep = impact >= SHAPING_TOL_USD
    grant = frame["family"].astype(str) == "grant_rate"
    if grant.any():
        b = plan["builds"]
        built = b.groupby(["site", "year"])["wspm"].sum()
        key = pd.MultiIndex.from_arrays(
            [frame["site"].astype(str), pd.to_numeric(frame["year"], errors="coerce")]
        )
        wspm = pd.Series(key.map(built.to_dict().get), index=frame.index).astype(float)
        keep &= ~(grant & ~(wspm.fillna(0.0) > 0.5))
    return frame[keep].reset_index(drop=True)


def shaping_groups(plan: Plan) -> pd.DataFrame:
    """statistics.binding_groups over the shaping rows only."""
    return statistics.binding_groups(plan, shaping_binding(plan))


def _scenario_weighted(frame: pd.DataFrame, plan: Plan, value: str) -> pd.Series:
    """The column, weighted by scenario probability when the table has a scenario column."""
    if "scenario" not in frame.columns:
        return frame[value].astype(float)
    return frame[value].astype(float) * frame["scenario"].map(plan.scenario_weights).fillna(0.0)


def main_builds(plan: Plan, top: int = 3) -> pd.DataFrame:
    """The `top` builds by capex (a logic wspm and a packaging wspm are not the same size; their
    dollars compare): site, year, wspm, capex_usd, partners (largest funder first), text
    ("TW_N2 2026 (+30k wspm, $12B, MGX_UAE/TSMC)")."""
    b = plan["builds"].assign(
        wspm=lambda f: _scenario_weighted(f, plan, "wspm"),
        capex_usd=lambda f: _scenario_weighted(f, plan, "capex_usd"),
    )
    b = b.groupby(["site", "year"], as_index=False)[["wspm", "capex_usd"]].sum()
    b = b[b["wspm"] > 0.5].sort_values(
        ["capex_usd", "wspm", "year", "site"], ascending=[False, False, True, True]
    )
    b = b.head(top).reset_index(drop=True)
    f = plan["funding"].assign(usd=lambda x: _scenario_weighted(x, plan, "usd"))
    f = f.groupby(["site", "year", "partner"], as_index=False)["usd"].sum()
    f = f[f["usd"] > 0.5].sort_values(["usd", "partner"], ascending=[False, True])
    names = f.groupby(["site", "year"], sort=False)["partner"].agg("/".join)
    b["partners"] = [names.get((s, y), "") for s, y in zip(b["site"], b["year"], strict=True)]
    b["text"] = [
        f"{s} {int(y)} (+{_k(w)} wspm, {money(c)}" + (f", {p})" if p else ")")
        for s, y, w, c, p in zip(
            b["site"], b["year"], b["wspm"], b["capex_usd"], b["partners"], strict=True
        )
    ]
    return b


def _k(wspm: float) -> str:
    """30000 -> '30k', 2500 -> '2.5k', 800 -> '800'."""
    if wspm < 1000:
        return f"{wspm:,.0f}"
    text = f"{wspm / 1000:,.1f}".removesuffix(".0")
    return f"{text}k"


def unit_costs(plan: Plan) -> pd.DataFrame:
    """site, node, region, usd_per_wafer = opex + energy_mwh_per_wafer x the energy price the plan
    pays in the site's region (its own, else its region's average; NaN when unknown)."""
    info = plan["sites"] if plan.has("sites") else pd.DataFrame(columns=["site"])
    out = pd.DataFrame({"site": info["site"].astype(str)})
    for c in ("node", "region"):
        out[c] = info[c].fillna("").astype(str).to_numpy() if c in info.columns else ""
    opex = info.get("opex_usd_per_wafer", pd.Series(np.nan, index=info.index)).astype(float)
    mwh = info.get("energy_mwh_per_wafer", pd.Series(0.0, index=info.index)).astype(float)
    energy = plan["energy"]
    region = out.set_index("site")["region"]
    if len(energy):
        e = energy.assign(
            mwh=_scenario_weighted(energy, plan, "mwh"),
            cost_usd=_scenario_weighted(energy, plan, "cost_usd"),
            region=energy["site"].map(region),
        )
        by_site = e.groupby("site")[["mwh", "cost_usd"]].sum()
        by_region = e.groupby("region")[["mwh", "cost_usd"]].sum()
        site_price = by_site["cost_usd"] / by_site["mwh"].where(by_site["mwh"] > 0)
        region_price = by_region["cost_usd"] / by_region["mwh"].where(by_region["mwh"] > 0)
        price = out["site"].map(site_price).fillna(out["region"].map(region_price))
    else:
        price = pd.Series(np.nan, index=out.index)
    energy_usd = np.where(mwh.fillna(0.0).to_numpy() > 0, mwh.to_numpy() * price.to_numpy(), 0.0)
    out["usd_per_wafer"] = opex.to_numpy() + energy_usd
    return out


def idle_sites(plan: Plan) -> pd.DataFrame:
    """Existing capacity that sits idle: site, first, last (a run of >= IDLE_MIN_YEARS years in
    which it makes under IDLE_LOAD of its available wafers in every scenario's expectation), its
    unit cost, the cheapest producing site of the same node and its cost, whether a binding
    limit names the site or its region (required), and the sentence the report shows."""
    cols = ["site", "first", "last", "usd_per_wafer", "cheapest", "cheapest_usd", "sentence"]
    info = statistics.site_info(plan)
    existing = info.loc[info["existing_wspm"].fillna(0.0) > 0, "site"]
    if existing.empty or plan["capacity"].empty:
        return pd.DataFrame(columns=cols)
    cap = statistics.site_year_load(plan)  # a staged plan's view: its scenario's own wafers
    avail = cap["available_wspm"].astype(float)
    cap["idle"] = (avail > 0) & (cap["wafers"] <= IDLE_LOAD * 12 * avail)
    cap["producing"] = (avail > 0) & ~cap["idle"]
    costs = unit_costs(plan).set_index("site")
    bind = shaping_binding(plan)
    bind = bind[bind["family"].astype(str).isin(REQUIRING_FAMILIES)]
    named = set(bind["site"].dropna().astype(str)) | set(bind["region"].dropna().astype(str))
    rows = []
    for site in existing:
        years = sorted(int(y) for y in cap.loc[(cap["site"] == site) & cap["idle"], "year"])
        for first, last in _runs(years):
            if last - first + 1 < IDLE_MIN_YEARS:
                continue
            rows.append(
                _idle_row(
                    site, first, last, cap, costs, site in named or _region(costs, site) in named
                )
            )
    out = pd.DataFrame(rows, columns=cols)
    length = out["last"] - out["first"]
    order = out.assign(_n=length).sort_values(
        ["_n", "site", "first"], ascending=[False, True, True]
    )
    return order.drop(columns="_n").reset_index(drop=True)


def _region(costs: pd.DataFrame, site: str) -> str:
    return str(costs["region"].get(site, "")) if "region" in costs.columns else ""


def _idle_row(site, first, last, cap, costs, required) -> dict:
    """One idle run with its reason: dearer wafers than the cheapest producing same-node site."""
    own = float(costs["usd_per_wafer"].get(site, np.nan))
    node = str(costs["node"].get(site, ""))
    window = cap[(cap["year"] >= first) & (cap["year"] <= last) & cap["producing"]]
    producing = costs[(costs["node"] == node) & costs.index.isin(set(window["site"]))]
    producing = producing.drop(site, errors="ignore")
    peers = producing["usd_per_wafer"].dropna()
    span = f"{first}–{last}" if last > first else str(first)
    cheapest, best = (peers.idxmin(), float(peers.min())) if len(peers) else ("", np.nan)
    if node and producing.empty:
        reason = f"no site of its process ({node}) produces then: nothing needs these wafers yet"
    elif np.isfinite(own) and np.isfinite(best) and own > best:
        reason = (
            f"its wafers cost ${own:,.0f} against ${best:,.0f} at {cheapest} (opex and energy "
            f"per wafer)"
        )
    elif np.isfinite(own) and np.isfinite(best):
        reason = (
            f"its wafers (${own:,.0f} each) cost no more than {cheapest}'s (${best:,.0f}), so "
            "other costs (shipping, capacity elsewhere already paid for) keep it idle"
        )
    else:
        reason = "the plan makes its wafers elsewhere (this plan records no unit costs)"
    tail = "" if required else " and no cap requires its output"
    sentence = f"{site} idle {span}: {reason}{tail}."
    return {
        "site": site,
        "first": first,
        "last": last,
        "usd_per_wafer": own,
        "cheapest": cheapest,
        "cheapest_usd": best,
        "sentence": sentence,
    }


def _runs(years: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs: [2027, 2028, 2030] -> [(2027, 2028), (2030, 2030)]."""
    runs: list[tuple[int, int]] = []
    for y in years:
        if runs and y == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], y)
        else:
            runs.append((y, y))
    return runs


def lp_fractions(plan: Plan) -> pd.DataFrame:
    """site, year, wspm, module_wspm: builds of an LP plan smaller than LP_FRACTION of the site's
    module (sites.csv module_wspm); empty for an integer plan or without module sizes."""
    cols = ["site", "year", "wspm", "module_wspm"]
    if plan.integer or not plan.has("sites") or "module_wspm" not in plan["sites"].columns:
        return pd.DataFrame(columns=cols)
    module = plan["sites"].set_index("site")["module_wspm"].astype(float)
    b = plan["builds"].assign(wspm=lambda f: _scenario_weighted(f, plan, "wspm"))
    b = b.groupby(["site", "year"], as_index=False)["wspm"].sum()
    b["module_wspm"] = b["site"].map(module)
    small = (b["wspm"] > 0.5) & (b["wspm"] < LP_FRACTION * b["module_wspm"])
    return b.loc[small, cols].sort_values(["year", "site"]).reset_index(drop=True)


def utilisation_by_scenario(plan: Plan) -> pd.DataFrame:
    """Wide frame scenario x year: all wafers made / (12 x all available wspm), per scenario."""
    prod = plan["production"]
    if prod.empty:
        return pd.DataFrame()
    made = prod.groupby(["scenario", "year"])["wafers"].sum()
    cap = statistics.per_scenario(plan["capacity"], plan)  # staged: each scenario's own
    if "scenario" in cap.columns:
        avail = cap.groupby(["scenario", "year"])["available_wspm"].sum()
        load = made / (12 * avail.where(avail > 0))
    else:
        avail = cap.groupby("year")["available_wspm"].sum()
        idx = made.index.get_level_values("year")
        load = made / (12 * avail.where(avail > 0).reindex(idx).to_numpy())
    wide = load.unstack("year")
    order = [s for s in plan.scenario_weights if s in wide.index]
    return wide.reindex(order + [s for s in wide.index if s not in order])


def wspm_by_group(plan: Plan) -> pd.Series:
    """New wspm built per process group (sites.csv group: logic, memory, packaging), in that
    order then others; empty when the plan's sites carry no group."""
    if not plan.has("sites") or "group" not in plan["sites"].columns:
        return pd.Series(dtype=float)
    group = plan["sites"].set_index("site")["group"].fillna("").astype(str)
    b = plan["builds"].assign(wspm=lambda f: _scenario_weighted(f, plan, "wspm"))
    b = b.assign(group=b["site"].map(group).fillna(""))
    if (b.loc[b["wspm"] > 0.5, "group"] == "").any():
        return pd.Series(dtype=float)
    by = b.groupby("group")["wspm"].sum()
    order = [g for g in GROUP_ORDER if g in by.index] + sorted(set(by.index) - set(GROUP_ORDER))
    return by.reindex(order)
