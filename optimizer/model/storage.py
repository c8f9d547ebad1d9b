"""Storage builds (issue 14, storage.csv): batteries that shift energy between the slices of a
representative day.

Builds are two decisions per (project, build year y): `sto_mw` (power) and `sto_mwh` (energy),
both online from y + lead_time_years for life_years; `storage_duration`: sto_mwh <= max_hours x
sto_mw (a free duration up to max_hours, so the LP prices power and energy apart, as capex does).
Per (scenario, project, year, slice l) of the region's energy balance rows while some build can
be online: `charge`, `discharge` (MWh over the year in l) and `soc` (MWh stored at the end of l
on one represented day). With n_d = sum_{l in d} hours_l / 24 days represented by day d:

    storage_soc:    soc_l - soc_prev(l) - eff x charge_l / n_d + discharge_l / n_d = 0
                    (prev cyclic within the day: the day ends where it starts)
    storage_power:  charge_l + discharge_l <= hours_l x MW online
    storage_energy: soc_l <= MWh online
    energy_balance: + discharge_l - charge_l (slices.supply_terms)

Round-trip efficiency applies on charging (100 MWh charged, eff 0.85: 85 MWh can come out).
Capex is funded in power_finance.py; storage has no O&M column (none is charged).
Without slices.csv the one 8760 h slice is its own day: soc cyclic forces discharge = eff x
charge, so storage is never used (and never built).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_power
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family
from optimizer.model.slices import supply_terms

TINY = 1e-9


def build_years(ctx: ModelContext, projects: pd.DataFrame) -> pd.DataFrame:
    """(ppos, project, year, online, offline): one build per project and decision year whose
    capacity comes online inside the horizon (online..offline inclusive)."""
    p = ctx.case.params
    out = []
    for i, r in enumerate(projects.itertuples(index=False)):
        lead, life = int(r.lead_time_years), int(r.life_years)
        for y in range(max(int(r.first_build_year), p.first_year), p.last_year - lead + 1):
            out.append((i, r.project, y, y + lead, y + lead + life - 1))
    cols = ["ppos", "project", "year", "online", "offline"]
    return pd.DataFrame(out, columns=cols).astype({"ppos": np.int64, "year": np.int64})


def online_terms(builds: pd.DataFrame, at: pd.DataFrame, block: str, coef) -> pd.DataFrame:
    """coef x every build of `block` online at each row of `at` (project, year, _row)."""
    m = at[["project", "year"]].assign(_row=np.arange(len(at)), _coef=np.asarray(coef))
    m = m.merge(builds[["project", "online", "offline"]].reset_index(names="bpos"), on="project")
    m = m[(m["year"] >= m["online"]) & (m["year"] <= m["offline"])]
    return terms_frame(m["_row"], block, m["bpos"], m["_coef"])


def operating_rows(ctx: ModelContext, projects: pd.DataFrame, builds) -> pd.DataFrame:
    """(scenario, project, region, year, slice, hours, ppos): balance rows of the project's
    region in years some build of it can be online."""
    rows = ctx.data.get("energy_rows")
    if rows is None or builds.empty:
        return pd.DataFrame(columns=["scenario", "project", "region", "year", "slice", "ppos"])
    span = builds.groupby("project").agg(lo=("online", "min"), hi=("offline", "max"))
    pr = projects[["project", "region"]].reset_index(names="ppos").merge(span, on="project")
    op = rows[["scenario", "region", "year", "slice", "hours"]].merge(pr, on="region")
    op = op[(op["year"] >= op["lo"]) & (op["year"] <= op["hi"])]
    keys = ["scenario", "project", "year", "slice"]
    return op.drop(columns=["lo", "hi"]).sort_values(keys).reset_index(drop=True)


def add(ctx: ModelContext) -> None:
    st = ctx.case.storage
    if st is None or st.empty or ctx.data.get("energy_rows") is None:
        return
    s = ctx.scale
    projects = st.reset_index(drop=True)
    builds = build_years(ctx, projects)
    ctx.data["storage_projects"], ctx.data["storage_builds"] = projects, builds
    ub_mw = projects["max_mw"].to_numpy(dtype=float)[builds["ppos"]] / s.mw
    ctx.add_vars("sto_mw", builds[["project", "year"]], s.mw, ub=ub_mw)
    hours = projects["max_hours"].to_numpy(dtype=float)[builds["ppos"]]
    ctx.add_vars("sto_mwh", builds[["project", "year"]], s.mwh, ub=ub_mw * hours * s.mw / s.mwh)
    nb = np.arange(len(builds))
    ctx.add_constraints(
        "storage_duration",
        builds[["project", "year"]],
        pd.concat(
            [
                terms_frame(nb, "sto_mwh", nb, 1.0),
                terms_frame(nb, "sto_mw", nb, -hours * s.mw / s.mwh),
            ]
        ),
        "<=",
        0.0,
    )
    ctx.add_constraints(
        "storage_max_mw",
        projects[["project"]],
        terms_frame(builds["ppos"], "sto_mw", nb, 1.0),
        "<=",
        projects["max_mw"].to_numpy(dtype=float) / s.mw,
    )

    op = operating_rows(ctx, projects, builds)
    sl = ctx.data["slices"]
    ndays = sl.groupby("day")["hours"].sum() / 24.0
    op = op.merge(sl[["slice", "day", "order"]], on="slice")
    op = op.sort_values(["scenario", "project", "year", "day", "order"]).reset_index(drop=True)
    op["n_days"] = op["day"].map(ndays).to_numpy(dtype=float)
    ctx.data["storage_ops"] = op
    keys = op[["scenario", "project", "year", "slice"]]
    for block in ("charge", "discharge", "soc"):
        ctx.add_vars(block, keys, s.mwh)
    n = len(op)
    if n == 0:
        return
    pos = np.arange(n)
    eff = op["ppos"].map(projects["efficiency"]).to_numpy(dtype=float)
    # previous slice of the same (scenario, project, year, day), cyclic
    grp = op.groupby(["scenario", "project", "year", "day"], sort=False).ngroup().to_numpy()
    first = np.r_[True, grp[1:] != grp[:-1]]
    start = np.maximum.accumulate(np.where(first, pos, 0))
    last = np.r_[grp[1:] != grp[:-1], True]
    end_of = pd.Series(pos[last], index=grp[last])
    prev = np.where(first, end_of.reindex(grp).to_numpy(), pos - 1)
    del start
    nd = op["n_days"].to_numpy()
    soc_terms = [
        terms_frame(pos, "soc", pos, 1.0),
        terms_frame(pos, "soc", prev, -1.0),
        terms_frame(pos, "charge", pos, -eff / nd),
        terms_frame(pos, "discharge", pos, 1.0 / nd),
    ]
    ctx.add_constraints("storage_soc", keys, pd.concat(soc_terms), "==", 0.0)
    h = op["hours"].to_numpy(dtype=float)
    power = [
        terms_frame(pos, "charge", pos, 1.0),
        terms_frame(pos, "discharge", pos, 1.0),
        online_terms(builds, op, "sto_mw", -h * s.mw / s.mwh),
    ]
    ctx.add_constraints("storage_power", keys, pd.concat(power), "<=", 0.0)
    energy = [terms_frame(pos, "soc", pos, 1.0), online_terms(builds, op, "sto_mwh", -np.ones(n))]
    ctx.add_constraints("storage_energy", keys, pd.concat(energy), "<=", 0.0)
    bal = op[["scenario", "region", "year", "slice"]]
    ctx.extend_constraints(
        "energy_balance",
        pd.concat(
            [
                supply_terms(ctx, "discharge", pos, bal, 1.0),
                supply_terms(ctx, "charge", pos, bal, -1.0),
            ]
        ),
    )
    ctx.data.setdefault("dispatch_parts", []).append(dispatch)
    ctx.data.setdefault("power_capex", []).append(_capex)


def _capex(ctx: ModelContext) -> pd.DataFrame:
    """(project, year, region, life, block, pos, usd_per_unit): capex per model unit of build."""
    pr, b, s = ctx.data["storage_projects"], ctx.data["storage_builds"], ctx.scale
    base = b[["project", "year"]].assign(
        region=pr["region"].to_numpy()[b["ppos"]],
        life=pr["life_years"].to_numpy(dtype=float)[b["ppos"]],
        pos=np.arange(len(b)),
    )
    kw = pr["capex_usd_per_kw"].to_numpy(dtype=float)[b["ppos"]] * 1000.0 * s.mw
    kwh = pr["capex_usd_per_kwh"].to_numpy(dtype=float)[b["ppos"]] * 1000.0 * s.mwh
    return pd.concat(
        [
            base.assign(block="sto_mw", usd_per_unit=kw),
            base.assign(block="sto_mwh", usd_per_unit=kwh),
        ]
    )


def dispatch(ctx: ModelContext, sol) -> pd.DataFrame:
    """dispatch.csv rows: storage net discharge (positive) or charge (negative MWh), one row per
    slice and project (the table's key)."""
    op = ctx.data["storage_ops"]
    base = op[["scenario", "year", "region", "slice", "project"]].rename(
        columns={"project": "supplier"}
    )
    out = base.assign(source="storage", mwh=sol.value("discharge") - sol.value("charge"))
    return out[out["mwh"].abs() > TINY]


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    if "storage_builds" not in ctx.data:
        return {}
    b, pr = ctx.data["storage_builds"], ctx.data["storage_projects"]
    t = b[["project", "year"]].copy()
    t["kind"], t["region"], t["source"] = "storage", pr["region"].to_numpy()[b["ppos"]], "storage"
    t["mw"], t["mwh"] = sol.value("sto_mw"), sol.value("sto_mwh")
    t["capex_usd"] = (
        t["mw"] * pr["capex_usd_per_kw"].to_numpy(dtype=float)[b["ppos"]] * 1000.0
        + t["mwh"] * pr["capex_usd_per_kwh"].to_numpy(dtype=float)[b["ppos"]] * 1000.0
    )
    ctx.data["storage_table"] = t[t["mw"] + t["mwh"] > TINY]
    op = ctx.data["storage_ops"]
    o = op[["scenario", "project", "region", "year", "slice"]].copy()
    o["charge_mwh"], o["discharge_mwh"] = sol.value("charge"), sol.value("discharge")
    o["soc_mwh"] = sol.value("soc")
    busy = o[["charge_mwh", "discharge_mwh", "soc_mwh"]].abs().sum(axis=1) > TINY
    return {"storage_operation": o[busy].reset_index(drop=True)}


CONCERN = Concern(
    name="storage",
    requires=("energy",),
    families=(
        Family(
            name="storage_duration",
            kind="limit",
            elastic=False,
            source="storage.csv max_hours",
            unit="MWh",
            words="storage duration (storage.csv max_hours)",
            binds="storage {project} built in {year} at its longest duration",
            infeasible=None,
        ),
        Family(
            name="storage_max_mw",
            kind="limit",
            elastic=False,
            source="storage.csv max_mw",
            unit="MW",
            words="storage build limits (storage.csv max_mw)",
            binds="storage {project} is built to its max_mw",
            infeasible=None,
        ),
        Family(
            name="storage_soc",
            kind="balance",
            elastic=False,
            source="storage.csv efficiency; slices.csv day, order, hours",
            unit="MWh",
            words="storage state of charge through the day",
            binds="storage {project} carries energy into slice {slice} in {year} ({scenario})",
            infeasible=None,
        ),
        Family(
            name="storage_power",
            kind="limit",
            elastic=False,
            source="storage.csv (MW built)",
            unit="MWh",
            words="storage power (MW built x hours)",
            binds=explain_power.storage_power_binds,
            infeasible=None,
        ),
        Family(
            name="storage_energy",
            kind="limit",
            elastic=False,
            source="storage.csv (MWh built)",
            unit="MWh",
            words="storage energy capacity (MWh built)",
            binds="storage {project} is full at the end of slice {slice} in {year} ({scenario})",
            infeasible=None,
        ),
    ),
    add=add,
    extract=extract,
)
