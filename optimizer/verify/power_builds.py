"""Power builds (docs/model.md "Generation and storage builds"), from power_builds.csv,
power_funding.csv, storage_operation.csv, dispatch.csv and generation.csv / storage.csv only.

- builds: a project's builds are decided in first_build_year..last_year - lead_time_years; one
  decided in y is online y+lead .. y+lead+life-1; sum of MW <= max_mw; storage MWh <= max_hours
  x MW of the same build; capex_usd = capex_usd_per_kw x 1000 x MW (+ per kWh x 1000 x MWh);
- funding: per (project, year) partner funds = capex; no funder barred from the region
  (partner_regions.csv max_share 0); partners of kind `energy` fund no fab (funding.csv);
- generation per slice: MWh <= availability factor x hours x MW online;
- storage per slice: charge + discharge <= hours x MW online; state of charge <= MWh online;
  soc_l = soc_prev(l) + eff x charge_l / n_d - discharge_l / n_d, cyclic within the day, n_d =
  sum of the day's hours / 24; dispatch.csv's storage row = discharge - charge;
- costs (for costs.py): financing of power funds at the funder's rate over the project's life,
  fixed O&M (energy_capacity), variable cost (energy) and CO2 (carbon) of generation output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.formatting import each, fmt
from optimizer.verify.limits import Family
from optimizer.verify.tolerance import ABS_TOL, ABS_TOL_USD, differs, exceeds

OP = ["scenario", "project", "year", "slice"]


def projects(ctx: Context) -> pd.DataFrame:
    """Both input files as one table (kind generation | storage), missing columns 0."""
    parts = []
    for kind, t in (("generation", ctx.case.generation), ("storage", ctx.case.storage)):
        if t is not None and not t.empty:
            parts.append(t.assign(kind=kind))
    if not parts:
        return pd.DataFrame(columns=["project", "kind", "region"])
    p = pd.concat(parts, ignore_index=True)
    for col in ("max_hours", "efficiency", "source"):
        if col not in p:
            p[col] = np.nan
    p["source"] = p["source"].fillna("storage")
    for col in ("capex_usd_per_kwh", "fixed_usd_per_kw_year", "variable_usd_per_mwh"):
        p[col] = p[col].astype(float).fillna(0.0) if col in p else 0.0
    p["co2_t_per_mwh"] = (
        p["co2_t_per_mwh"].astype(float).fillna(0.0) if "co2_t_per_mwh" in p else 0.0
    )
    return p.drop(columns="_line", errors="ignore")


def _builds(ctx: Context) -> pd.DataFrame:
    b = ctx["power_builds.csv"]
    p = projects(ctx)
    cols = ["project", "lead_time_years", "life_years", "first_build_year", "max_mw"]
    b = b.merge(p[cols], on="project", how="left")
    b["online"] = b["year"] + b["lead_time_years"]
    b["offline"] = b["online"] + b["life_years"] - 1
    return b


def online(ctx: Context) -> pd.DataFrame:
    """project, year, mw, mwh online (every horizon year a build of it is online)."""
    b = _builds(ctx)
    pairs = b.merge(pd.DataFrame({"t": ctx.years}), how="cross")
    pairs = pairs[(pairs["t"] >= pairs["online"]) & (pairs["t"] <= pairs["offline"])]
    out = pairs.groupby(["project", "t"])[["mw", "mwh"]].sum().reset_index()
    return out.rename(columns={"t": "year"})


def _grid(ctx: Context, kind: str) -> pd.DataFrame:
    """(scenario, project, region, year, slice, hours, day, order): the region's slices while a
    build of the project can be online (first_build_year + lead .. last_year)."""
    d = ctx["dispatch.csv"]
    p = projects(ctx)
    p = p[p["kind"] == kind]
    if p.empty or d.empty:
        return pd.DataFrame(columns=[*OP, "region", "hours", "day", "order", "mw", "mwh"])
    load = d[d["source"] == "load"][
        ["scenario", "region", "year", "slice", "hours", "day", "order"]
    ]
    g = load.merge(p, on="region")
    first = np.maximum(g["first_build_year"].astype(int), ctx.case.params.first_year)
    g = g[g["year"] >= first + g["lead_time_years"].astype(int)]
    g = g.merge(online(ctx), on=["project", "year"], how="left")
    g[["mw", "mwh"]] = g[["mw", "mwh"]].fillna(0.0)
    return g.reset_index(drop=True)


def _factor(ctx: Context, g: pd.DataFrame) -> np.ndarray:
    a = ctx.case.availability[["source", "region", "slice", "factor"]].copy()
    a["region"] = a["region"].fillna("")
    own = g[["source", "region", "slice"]].merge(a, how="left")["factor"]
    blank = a[a["region"] == ""].drop(columns="region")
    every = g[["source", "slice"]].merge(blank, how="left")["factor"]
    return own.fillna(every).fillna(0.0).to_numpy(dtype=float)


def generation_limit_rows(ctx: Context) -> pd.DataFrame:
    """MWh generated <= factor x hours x MW online, per (scenario, project, year, slice)."""
    g = _grid(ctx, "generation")
    if g.empty:
        return g.assign(lhs=[], rhs=[])
    d = ctx["dispatch.csv"].groupby(["scenario", "supplier", "year", "slice"])["mwh"].sum()
    got = pd.MultiIndex.from_frame(g[["scenario", "project", "year", "slice"]]).map(d)
    g["lhs"] = np.nan_to_num(np.asarray(got, dtype=float), nan=0.0)
    g["rhs"] = _factor(ctx, g) * g["hours"].astype(float) * g["mw"]
    return g


def _storage_ops(ctx: Context) -> pd.DataFrame:
    g = _grid(ctx, "storage")
    if g.empty:
        return g.assign(charge_mwh=[], discharge_mwh=[], soc_mwh=[])
    o = ctx["storage_operation.csv"][[*OP, "charge_mwh", "discharge_mwh", "soc_mwh"]]
    g = g.merge(o, on=OP, how="left")
    g[["charge_mwh", "discharge_mwh", "soc_mwh"]] = g[
        ["charge_mwh", "discharge_mwh", "soc_mwh"]
    ].fillna(0.0)
    return g


def storage_power_rows(ctx: Context) -> pd.DataFrame:
    """charge + discharge <= hours x MW online, per (scenario, project, year, slice)."""
    g = _storage_ops(ctx)
    return g.assign(
        lhs=g["charge_mwh"] + g["discharge_mwh"], rhs=g["hours"].astype(float) * g["mw"]
    )


def storage_energy_rows(ctx: Context) -> pd.DataFrame:
    """state of charge <= MWh online, per (scenario, project, year, slice)."""
    g = _storage_ops(ctx)
    return g.assign(lhs=g["soc_mwh"], rhs=g["mwh"])


def storage_duration_rows(ctx: Context) -> pd.DataFrame:
    """MWh built <= max_hours x MW built, per possible storage build (project, year in
    first_build_year..last_year - lead_time_years; 0 where power_builds.csv has none)."""
    p = projects(ctx)
    p = p[p["kind"] == "storage"]
    par = ctx.case.params
    grid = pd.DataFrame(
        [
            (r.project, y, float(r.max_hours))
            for r in p.itertuples(index=False)
            for y in range(
                max(int(r.first_build_year), par.first_year),
                par.last_year - int(r.lead_time_years) + 1,
            )
        ],
        columns=["project", "year", "max_hours"],
    )
    b = ctx["power_builds.csv"][["project", "year", "mw", "mwh"]]
    grid = grid.merge(b, on=["project", "year"], how="left").fillna({"mw": 0.0, "mwh": 0.0})
    return grid.assign(lhs=grid["mwh"], rhs=grid["max_hours"] * grid["mw"])


def max_mw_rows(kind: str):
    def rows(ctx: Context) -> pd.DataFrame:
        p = projects(ctx)
        p = p[p["kind"] == kind][["project", "max_mw"]].copy()
        built = ctx["power_builds.csv"].groupby("project")["mw"].sum()
        p["lhs"] = p["project"].map(built).fillna(0.0).astype(float)
        return p.assign(rhs=p["max_mw"].astype(float))

    rows.__name__ = f"{kind}_max_mw_rows"
    return rows


def power_financing_rows(ctx: Context) -> pd.DataFrame:
    """power_funding.csv with each row's NPV: usd x A(r, life) x sum of df(y+1..y+life) inside
    the horizon (the annuity of finance, over the project's life_years)."""
    from optimizer.verify.costs import df_sum
    from optimizer.verify.finance import annuity_factor

    f = ctx["power_funding.csv"].copy()
    if f.empty:
        return f.assign(rate=[], npv_usd=[], region=[])
    p = projects(ctx).set_index("project")
    f["rate"] = f["partner"].map(ctx.partners["cost_of_capital"]).astype(float)
    life = f["project"].map(p["life_years"]).astype(int)
    f["region"] = f["project"].map(p["region"])
    window = [df_sum(ctx, y + 1, y + n) for y, n in zip(f["year"], life, strict=True)]
    pv = [float(annuity_factor(r, n)) for r, n in zip(f["rate"], life, strict=True)]
    f["npv_usd"] = f["usd"] * np.asarray(pv) * np.asarray(window)
    return f


def power_costs(ctx: Context, out: pd.DataFrame) -> None:
    """Add fixed O&M (energy_capacity), variable cost (energy) and CO2 (carbon) of power builds
    to the recomputed cost by scenario `out` (financing comes with costs.financing_rows)."""
    if projects(ctx).empty:
        return
    p = projects(ctx).set_index("project")
    on = online(ctx)
    fixed = on["project"].map(p["fixed_usd_per_kw_year"]).astype(float) * 1000.0 * on["mw"]
    out["energy_capacity"] += float((fixed * ctx.df(on["year"])).sum())
    d = ctx["dispatch.csv"]
    d = d[d["supplier"].isin(p.index[p["kind"] == "generation"])]
    w = d["mwh"].to_numpy(dtype=float) * ctx.df(d["year"])
    var = d["supplier"].map(p["variable_usd_per_mwh"]).to_numpy(dtype=float)
    co2 = d["supplier"].map(p["co2_t_per_mwh"]).to_numpy(dtype=float)
    carbon = float(ctx.case.params.carbon_price_usd_per_t)
    scen = out.index
    out["energy"] += (
        pd.Series(w * var).groupby(d["scenario"].to_numpy()).sum().reindex(scen, fill_value=0.0)
    )
    out["carbon"] += (
        pd.Series(w * co2 * carbon)
        .groupby(d["scenario"].to_numpy())
        .sum()
        .reindex(scen, fill_value=0.0)
    )


def check_power_builds(ctx: Context) -> None:
    """Build years, capex and funding of every power build; no energy partner funds a fab."""
    f = ctx.findings
    kind = ctx["funding.csv"]["partner"].map(ctx.partners["kind"]).astype(str)
    for r in each(ctx["funding.csv"][(kind == "energy").to_numpy()]):
        f.violate(
            "power funding",
            f"funding.csv line {r.csv_line}: {r.partner} is of kind energy and funds a fab",
        )
    if projects(ctx).empty:
        f.checked("power builds", len(kind))
        return
    b = _builds(ctx)
    p = projects(ctx).set_index("project")
    unknown = b[b["lead_time_years"].isna()]
    for r in each(unknown):
        f.violate("power builds", f"power_builds.csv line {r.csv_line}: {r.project} is in no input")
    b = b[b["lead_time_years"].notna()]
    first = np.maximum(b["first_build_year"].astype(int), ctx.case.params.first_year)
    late = (b["year"] < first) | (b["year"] + b["lead_time_years"] > ctx.case.params.last_year)
    for r in each(b[late]):
        f.violate(
            "power builds",
            f"power_builds.csv line {r.csv_line}: {r.project} built in {r.year}, outside "
            f"first_build_year..last_year - lead_time_years",
        )
    kw = b["project"].map(p["capex_usd_per_kw"]).astype(float)
    kwh = b["project"].map(p["capex_usd_per_kwh"]).astype(float).fillna(0.0)
    b["capex"] = kw * 1000.0 * b["mw"] + kwh * 1000.0 * b["mwh"]
    for r in each(b[differs(b["capex_usd"], b["capex"], ABS_TOL_USD)]):
        f.violate(
            "power builds",
            f"power_builds.csv line {r.csv_line}: {r.project} {r.year} capex_usd "
            f"{fmt(r.capex_usd)}, expected {fmt(r.capex)}",
        )
    funds = ctx["power_funding.csv"]
    funded = funds.groupby(["project", "year"])["usd"].sum()
    capex = b.groupby(["project", "year"])["capex"].sum()
    every = funded.index.union(capex.index)
    both = pd.DataFrame({"funded": funded.reindex(every), "capex": capex.reindex(every)})
    both = both.fillna(0.0).reset_index()
    for r in each(both[differs(both["funded"], both["capex"], ABS_TOL_USD)]):
        f.violate(
            "power funding",
            f"power build {r.project} {r.year}: partners fund {fmt(r.funded)} USD, capex "
            f"{fmt(r.capex)} USD",
        )
    pr = ctx.case.partner_regions
    fr = funds.assign(region=funds["project"].map(p["region"]))
    barred = fr.merge(pr[pr["max_share"] <= 0][["partner", "region"]], on=["partner", "region"])
    for r in each(barred[barred["usd"] > ABS_TOL_USD]):
        f.violate(
            "power funding",
            f"power_funding.csv line {r.csv_line}: {r.partner} is barred from {r.region} "
            f"(partner_regions.csv max_share 0)",
        )
    n = _check_power_sources(ctx)
    f.checked("power builds", len(kind) + len(b) + len(both) + len(funds) + n)


def _check_power_sources(ctx: Context) -> int:
    """capital_sources.csv `power` rows = power_funding.csv per partner and year, in USD and in
    financing NPV (the annuity over each project's life_years)."""
    s = ctx.plan.derived.get("capital_sources.csv")
    if s is None:
        return 0
    keys = ["partner", "year"]
    listed = s[s["source"] == "power"].groupby(keys)[["usd", "financing_cost_npv_usd"]].sum()
    fin = power_financing_rows(ctx)
    ours = fin.groupby(keys)[["usd", "npv_usd"]].sum() if len(fin) else listed.iloc[:0]
    every = listed.index.union(ours.index)
    both = pd.DataFrame(
        {
            "listed": listed["usd"].reindex(every),
            "funded": ours["usd"].reindex(every),
            "npv": listed["financing_cost_npv_usd"].reindex(every),
            "expected": ours["npv_usd"].reindex(every) if len(fin) else np.nan,
        },
        index=every,
    ).fillna(0.0)
    both = both.reset_index()
    bad = differs(both["listed"], both["funded"], ABS_TOL_USD)
    bad |= differs(both["npv"], both["expected"], ABS_TOL_USD)
    for r in each(both[bad]):
        ctx.findings.violate(
            "power funding",
            f"capital_sources.csv power {r.partner} {r.year}: {fmt(r.listed)} USD, financing "
            f"{fmt(r.npv)}; power_funding.csv has {fmt(r.funded)} USD, financing {fmt(r.expected)}",
        )
    return len(both)


def check_power_operation(ctx: Context) -> None:
    """Generation and storage limits per slice, storage chronology and dispatch rows."""
    if projects(ctx).empty:
        return
    f = ctx.findings
    n = 0
    for name, rows, floor in (
        ("generation_limit", generation_limit_rows, ABS_TOL),
        ("storage_power", storage_power_rows, ABS_TOL),
        ("storage_energy", storage_energy_rows, ABS_TOL),
        ("storage_duration", storage_duration_rows, ABS_TOL),
        ("generation_max_mw", max_mw_rows("generation"), ABS_TOL),
        ("storage_max_mw", max_mw_rows("storage"), ABS_TOL),
    ):
        r = rows(ctx)
        n += len(r)
        for row in each(r[exceeds(r["lhs"], r["rhs"], floor)]):
            f.violate(
                "power operation",
                f"{name} {row.project}{_at(row)}: {fmt(row.lhs)} > {fmt(row.rhs)}",
            )
    g = _storage_ops(ctx)
    if not g.empty:
        g = g.sort_values(["scenario", "project", "year", "day", "order"]).reset_index(drop=True)
        key = ["scenario", "project", "year", "day"]
        g["prev"] = g.groupby(key)["soc_mwh"].shift(1)
        g["prev"] = g["prev"].fillna(g.groupby(key)["soc_mwh"].transform("last"))
        ndays = g.groupby(key)["hours"].transform("sum").astype(float) / 24.0
        eff = g["project"].map(projects(ctx).set_index("project")["efficiency"]).astype(float)
        g["expected"] = g["prev"] + (eff * g["charge_mwh"] - g["discharge_mwh"]) / ndays
        for row in each(g[differs(g["soc_mwh"], g["expected"], ABS_TOL)]):
            f.violate(
                "power operation",
                f"storage {row.project}{_at(row)}: state of charge {fmt(row.soc_mwh)} MWh, "
                f"expected {fmt(row.expected)} (previous slice + eff x charge / days - "
                f"discharge / days)",
            )
        d = ctx["dispatch.csv"].groupby(["scenario", "supplier", "year", "slice"])["mwh"].sum()
        got = pd.MultiIndex.from_frame(g[OP]).map(d)
        g["dispatch"] = np.nan_to_num(np.asarray(got, dtype=float), nan=0.0)
        g["net"] = g["discharge_mwh"] - g["charge_mwh"]
        for row in each(g[differs(g["dispatch"], g["net"], ABS_TOL)]):
            f.violate(
                "power operation",
                f"dispatch.csv storage {row.project}{_at(row)}: {fmt(row.dispatch)} MWh, "
                f"storage_operation.csv discharge - charge {fmt(row.net)}",
            )
        n += 2 * len(g)
    f.checked("power operation", n)


def check_generation_output(ctx: Context) -> None:
    """generation_output.csv: MWh = the project's dispatch.csv rows of that scenario and year;
    cost_usd = MWh x variable_usd_per_mwh; co2_t = MWh x co2_t_per_mwh (generation.csv)."""
    if "generation_output.csv" not in ctx.tables:
        return
    out = ctx["generation_output.csv"]
    if out.empty:
        return
    keys = ["scenario", "supplier", "year"]
    d = ctx["dispatch.csv"].groupby(keys)["mwh"].sum()
    got = pd.MultiIndex.from_frame(out[["scenario", "project", "year"]]).map(d)
    pr = projects(ctx).set_index("project")
    rows = out.assign(
        dispatched=np.nan_to_num(np.asarray(got, dtype=float), nan=0.0),
        cost=out["mwh"] * out["project"].map(pr["variable_usd_per_mwh"]).astype(float),
        co2=out["mwh"] * out["project"].map(pr["co2_t_per_mwh"]).astype(float),
    )
    f = ctx.findings
    for col, want, tol in (
        ("mwh", "dispatched", ABS_TOL),
        ("cost_usd", "cost", ABS_TOL_USD),
        ("co2_t", "co2", ABS_TOL),
    ):
        for r in each(rows[differs(rows[col], rows[want], tol)]):
            f.violate(
                "generation output",
                f"generation_output.csv {r.project} ({r.scenario} / {r.year}): {col} "
                f"{fmt(getattr(r, col))}, recomputed {fmt(getattr(r, want))}",
            )
    f.checked("generation output", 3 * len(rows))


def _at(row) -> str:
    parts = [str(getattr(row, k)) for k in ("scenario", "year", "slice") if hasattr(row, k)]
    return f" ({' / '.join(parts)})" if parts else ""


COVERS = (
    "power_funding",
    "generation_limit",
    "generation_max_mw",
    "storage_duration",
    "storage_max_mw",
    "storage_soc",
    "storage_power",
    "storage_energy",
)
CHECKS = {83: check_power_builds, 84: check_power_operation, 85: check_generation_output}
_OP = ("scenario", "project", "year", "slice")
LIMITS = {
    "generation_limit": Family(
        _OP, "<=", "MWh", ABS_TOL, generation_limit_rows, check_power_operation
    ),
    "storage_power": Family(_OP, "<=", "MWh", ABS_TOL, storage_power_rows, check_power_operation),
    "storage_energy": Family(_OP, "<=", "MWh", ABS_TOL, storage_energy_rows, check_power_operation),
    "storage_duration": Family(
        ("project", "year"), "<=", "MWh", ABS_TOL, storage_duration_rows, check_power_operation
    ),
    "generation_max_mw": Family(
        ("project",), "<=", "MW", ABS_TOL, max_mw_rows("generation"), check_power_operation
    ),
    "storage_max_mw": Family(
        ("project",), "<=", "MW", ABS_TOL, max_mw_rows("storage"), check_power_operation
    ),
}
