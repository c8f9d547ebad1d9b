"""Power statistics for the report (issue 14): builds and their funders, the dispatch of one
representative day per region, firm share, CO2 by source and take-or-pay paid but unused.

Read from plan tables only. Every table is optional: a plan without it gives an empty frame and
the report skips that part. Tables a plan schema does not (yet) declare are read from the folder
directly, so the report works with plans written before or after the schema knows them.
"""

from __future__ import annotations

import pandas as pd

from optimizer.plan.read import Plan, read_table
from optimizer.plan.staged_view import scenario_rows
from optimizer.plan.statistics import expected, supplied_energy

# Sources whose output depends on the weather: everything else (grid, nuclear, gas, storage
# discharge, ...) is available in every slice and counts as firm.
VARIABLE_SOURCES = ("solar", "wind")
LOAD = "load"  # dispatch.csv's source for the fab load rows
MAX_PANELS = 8


def table(plan: Plan, name: str) -> pd.DataFrame:
    """A plan table if the plan has it (declared or just present as a CSV), else empty."""
    if name in plan.present:
        return plan.tables[name]
    path = plan.folder / f"{name}.csv"
    if name not in plan.tables and path.is_file():
        frame = read_table(path)
        shown = plan.summary.get("view_scenario")  # a staged plan's view: that scenario's rows
        return frame if shown is None else scenario_rows(frame, shown)
    return pd.DataFrame()


def is_variable(source: pd.Series) -> pd.Series:
    """True for weather-dependent sources (solar, wind, offshore wind, ...)."""
    s = source.astype(str).str.lower()
    return s.apply(lambda v: any(k in v for k in VARIABLE_SOURCES))


def supply(plan: Plan) -> pd.DataFrame:
    """Dispatch supply rows (not the load), expected over scenarios: year, region, slice, day,
    order, hours, supplier, source, mwh (storage charge negative)."""
    d = table(plan, "dispatch")
    if d.empty:
        return pd.DataFrame()
    d = d[d["source"].astype(str) != LOAD].copy()
    d["supplier"] = d["supplier"].fillna("").astype(str)
    keys = ["year", "region", "slice", "day", "order", "hours", "supplier", "source"]
    return expected(d, keys, ["mwh"], plan)


def firm_share(plan: Plan) -> float | None:
    """Firm share: MWh delivered by sources available in every slice (not solar or wind; storage
    discharge counts) / all MWh delivered. Positive dispatch rows if the plan has a dispatch,
    else energy.csv by contract source. None when no energy is delivered."""
    s = supply(plan)
    if s.empty:
        e = plan["energy"].merge(plan["contracts"][["contract", "source"]], on="contract")
        s = expected(e, ["source"], ["mwh"], plan)
    s = s[s["mwh"] > 0]
    total = float(s["mwh"].sum())
    if total <= 0:
        return None
    return float(s.loc[~is_variable(s["source"]), "mwh"].sum()) / total


def co2_by_source(plan: Plan) -> pd.DataFrame:
    """source, mwh, co2_t over the horizon (expected), largest emitter first: contracts and
    built generation (statistics.supplied_energy)."""
    frame = expected(supplied_energy(plan), ["source"], ["mwh", "co2_t"], plan)
    return frame.sort_values(["co2_t", "mwh"], ascending=False).reset_index(drop=True)


def builds_and_funders(plan: Plan) -> pd.DataFrame:
    """project, kind, region, source, year (first), mw, mwh, capex_usd, funders (text:
    "PARTNER 60%, ..." by share of the project's funding)."""
    b = table(plan, "power_builds")
    if b.empty:
        return pd.DataFrame()
    b = b.copy()
    b["source"] = b["source"].fillna("").astype(str)
    out = b.groupby(["project", "kind", "region", "source"], as_index=False).agg(
        year=("year", "min"), mw=("mw", "sum"), mwh=("mwh", "sum"), capex_usd=("capex_usd", "sum")
    )
    f = table(plan, "power_funding")
    funders: dict[str, str] = {}
    if not f.empty:
        by = f.groupby(["project", "partner"], as_index=False)["usd"].sum()
        by = by[by["usd"] > 0]
        by["share"] = by["usd"] / by.groupby("project")["usd"].transform("sum")
        by = by.sort_values(["project", "share", "partner"], ascending=[True, False, True])
        for project, rows in by.groupby("project"):
            funders[str(project)] = ", ".join(
                f"{r.partner} {r.share:.0%}" for r in rows.itertuples()
            )
    out["funders"] = out["project"].astype(str).map(funders).fillna("")
    return out.sort_values(["region", "kind", "project"]).reset_index(drop=True)


def take_or_pay(plan: Plan) -> pd.DataFrame:
    """contract, paid_mwh, unused_paid_mwh, unused_paid_usd for contracts paid but not fully
    used (contracts.csv's take-or-pay columns; else contract_years.csv expected over scenarios)."""
    c = plan["contracts"]
    cols = ["unused_paid_mwh", "unused_paid_usd"]
    if all(k in c.columns for k in cols):
        frame = c[["contract", "paid_mwh", *cols]].copy() if "paid_mwh" in c else c.copy()
    else:
        y = table(plan, "contract_years")
        if y.empty:
            return pd.DataFrame()
        frame = expected(y, ["contract"], ["used_mwh", *cols], plan)
        frame["paid_mwh"] = frame["used_mwh"] + frame["unused_paid_mwh"]
    frame = frame.fillna(0.0)
    frame = frame[frame["unused_paid_mwh"] > 1e-6]
    return frame[["contract", "paid_mwh", *cols]].sort_values("contract").reset_index(drop=True)


def representative_days(plan: Plan) -> pd.DataFrame:
    """One day per region with load (at most MAX_PANELS regions, largest load first): the
    latest year with load in that region, and its day with the most solar/wind output (the
    first day when none). Columns: region, year, day, slice, order, hours, source, mw (average
    over the slice, storage charge negative), load_mw."""
    d = table(plan, "dispatch")
    if d.empty:
        return pd.DataFrame()
    weights = plan.scenario_weights
    scenario = max(sorted(set(d["scenario"])), key=lambda s: weights.get(s, 0.0))
    d = d[d["scenario"] == scenario]
    load = d[d["source"].astype(str) == LOAD]
    load = load[load["mwh"] > 1e-9]
    if load.empty:
        return pd.DataFrame()
    year = load.groupby("region")["year"].max()
    size = load[load["year"] == load["region"].map(year)].groupby("region")["mwh"].sum()
    regions = size.sort_values(ascending=False).index[:MAX_PANELS]
    frames = []
    for region in sorted(regions):
        rows = d[(d["region"] == region) & (d["year"] == year[region])]
        sup = rows[rows["source"].astype(str) != LOAD]
        var = sup[is_variable(sup["source"])].groupby("day")["mwh"].sum()
        days = sorted(rows["day"].astype(str).unique())
        day = str(var.idxmax()) if len(var) and var.max() > 0 else days[0]
        rows = rows[rows["day"].astype(str) == day].copy()
        rows["mw"] = rows["mwh"] / rows["hours"]
        part = rows.pivot_table(
            index=["slice", "order", "hours"], columns="source", values="mw", aggfunc="sum"
        ).fillna(0.0)
        part = part.reset_index().sort_values("order")
        part = part.melt(id_vars=["slice", "order", "hours"], var_name="source", value_name="mw")
        load_mw = part[part["source"] == LOAD].set_index("slice")["mw"]
        part = part[part["source"] != LOAD].copy()
        part["load_mw"] = part["slice"].map(load_mw).fillna(0.0)
        part["region"], part["year"], part["day"] = region, int(year[region]), day
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    return out[["region", "year", "day", "slice", "order", "hours", "source", "mw", "load_mw"]]
