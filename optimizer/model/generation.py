"""Generation builds (issue 14, generation.csv): new plants partners build for their region's fabs.

`gen_build[g,y]` MW decided in y (from first_build_year, only if it comes online inside the
horizon), online from y + lead_time_years for life_years. Per (scenario, project, year, slice l)
of the region's energy balance rows while some build can be online, `gen_out` MWh with

    generation_limit: gen_out - factor(source, region, l) x hours_l x sum_{y online} gen_build <= 0
    generation_max_mw: sum_y gen_build[g,y] <= max_mw
    energy_balance:   + gen_out (slices.supply_terms; output may be curtailed)

factor comes from availability.csv only (power_checks.py requires the rows), so generation needs
slices.csv. Costs: fixed_usd_per_kw_year x 1000 x MW online each year -> `energy_capacity`,
variable_usd_per_mwh x MWh -> `energy`, co2_t_per_mwh x carbon price -> `carbon` (the
components contracts use, so costs.csv keeps its rows); capex is funded in power_finance.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_power
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family
from optimizer.model.slices import supply_terms
from optimizer.model.storage import build_years, online_terms, operating_rows

TINY = 1e-9


def _factor(ctx: ModelContext, op: pd.DataFrame) -> np.ndarray:
    """availability.csv factor of each operating row: its region's row, else the blank one."""
    a = ctx.case.availability[["source", "region", "slice", "factor"]].copy()
    a["region"] = a["region"].fillna("")
    own = op[["source", "region", "slice"]].merge(a, how="left")["factor"]
    blank = a[a["region"] == ""].drop(columns="region")
    every = op[["source", "slice"]].merge(blank, how="left")["factor"]
    return own.fillna(every).fillna(0.0).to_numpy(dtype=float)


def add(ctx: ModelContext) -> None:
    gen = ctx.case.generation
    if gen is None or gen.empty or ctx.data.get("energy_rows") is None:
        return
    s, p = ctx.scale, ctx.case.params
    projects = gen.reset_index(drop=True)
    builds = build_years(ctx, projects)
    ctx.data["gen_projects"], ctx.data["gen_builds"] = projects, builds
    ub = projects["max_mw"].to_numpy(dtype=float)[builds["ppos"]] / s.mw
    ctx.add_vars("gen_build", builds[["project", "year"]], s.mw, ub=ub)
    nb = np.arange(len(builds))
    ctx.add_constraints(
        "generation_max_mw",
        projects[["project"]],
        terms_frame(builds["ppos"], "gen_build", nb, 1.0),
        "<=",
        projects["max_mw"].to_numpy(dtype=float) / s.mw,
    )
    op = operating_rows(ctx, projects, builds)
    op["source"] = projects["source"].to_numpy()[op["ppos"].to_numpy(dtype=int)]
    op["factor"] = _factor(ctx, op) if len(op) else np.zeros(0)
    ctx.data["gen_ops"] = op
    ctx.add_vars("gen_out", op[["scenario", "project", "year", "slice"]], s.mwh)
    pos = np.arange(len(op))
    if len(op):
        cap = op["factor"].to_numpy() * op["hours"].to_numpy(dtype=float) * s.mw / s.mwh
        ctx.add_constraints(
            "generation_limit",
            op[["scenario", "project", "year", "slice"]],
            pd.concat(
                [
                    terms_frame(pos, "gen_out", pos, 1.0),
                    online_terms(builds, op, "gen_build", -cap),
                ]
            ),
            "<=",
            0.0,
        )
        bal = op[["scenario", "region", "year", "slice"]]
        ctx.extend_constraints("energy_balance", supply_terms(ctx, "gen_out", pos, bal, 1.0))
    # fixed O&M of each build over its online years inside the horizon
    df_all = ctx.df(ctx.years)
    cum = np.concatenate([[0.0], np.cumsum(df_all)])
    i0 = np.clip(builds["online"].to_numpy() - p.first_year, 0, len(df_all))
    i1 = np.clip(builds["offline"].to_numpy() - p.first_year + 1, 0, len(df_all))
    fixed = projects["fixed_usd_per_kw_year"].to_numpy(dtype=float)[builds["ppos"]] * 1000.0
    ctx.add_cost("energy_capacity", "gen_build", nb, fixed * (cum[i1] - cum[i0]) * s.mw / s.usd)
    w = ctx.prob(op["scenario"]) * ctx.df(op["year"]) if len(op) else np.zeros(0)
    pp = op["ppos"].to_numpy(dtype=int)
    var = projects["variable_usd_per_mwh"].to_numpy(dtype=float)[pp]
    co2 = projects["co2_t_per_mwh"].to_numpy(dtype=float)[pp] * p.carbon_price_usd_per_t
    ctx.add_cost("energy", "gen_out", pos, w * var * s.mwh / s.usd)
    ctx.add_cost("carbon", "gen_out", pos, w * co2 * s.mwh / s.usd)
    ctx.data.setdefault("dispatch_parts", []).append(dispatch)
    ctx.data.setdefault("power_capex", []).append(_capex)


def _capex(ctx: ModelContext) -> pd.DataFrame:
    """(project, year, region, life, block, pos, usd_per_unit): capex per model unit of build."""
    pr, b, s = ctx.data["gen_projects"], ctx.data["gen_builds"], ctx.scale
    return b[["project", "year"]].assign(
        region=pr["region"].to_numpy()[b["ppos"]],
        life=pr["life_years"].to_numpy(dtype=float)[b["ppos"]],
        pos=np.arange(len(b)),
        block="gen_build",
        usd_per_unit=pr["capex_usd_per_kw"].to_numpy(dtype=float)[b["ppos"]] * 1000.0 * s.mw,
    )


def dispatch(ctx: ModelContext, sol) -> pd.DataFrame:
    """dispatch.csv rows: generation output (supplier = project)."""
    op = ctx.data["gen_ops"]
    out = op[["scenario", "year", "region", "slice", "project", "source"]].rename(
        columns={"project": "supplier"}
    )
    out["mwh"] = sol.value("gen_out")
    return out[out["mwh"] > TINY]


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    """power_builds.csv (generation rows here, storage rows from storage.py's extract)."""
    cols = ["project", "kind", "region", "source", "year", "mw", "mwh", "capex_usd"]
    parts = []
    if "gen_builds" in ctx.data:
        b, pr = ctx.data["gen_builds"], ctx.data["gen_projects"]
        t = b[["project", "year"]].copy()
        t["kind"], t["region"] = "generation", pr["region"].to_numpy()[b["ppos"]]
        t["source"] = pr["source"].to_numpy()[b["ppos"]]
        t["mw"] = sol.value("gen_build")
        t["mwh"] = 0.0
        t["capex_usd"] = t["mw"] * pr["capex_usd_per_kw"].to_numpy(dtype=float)[b["ppos"]] * 1e3
        parts.append(t[t["mw"] > TINY])
    if "storage_table" in ctx.data:
        parts.append(ctx.data["storage_table"])
    if not parts:
        return {}
    table = pd.concat(parts, ignore_index=True)[cols]
    out = {"power_builds": table.sort_values(["project", "year"]).reset_index(drop=True)}
    if "gen_ops" in ctx.data:
        out["generation_output"] = output_table(ctx, sol)
    return out


def output_table(ctx: ModelContext, sol) -> pd.DataFrame:
    """generation_output.csv: MWh per scenario, project and year, its variable cost (USD, in the
    `energy` component) and CO2 (t): the energy and emissions of built generation, which the
    plan's headline energy and CO2 add to energy.csv's contracts."""
    op, pr = ctx.data["gen_ops"], ctx.data["gen_projects"]
    keys = ["scenario", "project", "region", "source", "year"]
    t = op[["scenario", "project", "region", "source", "year"]].assign(mwh=sol.value("gen_out"))
    t = t.groupby(keys, as_index=False)["mwh"].sum()
    per = pr.set_index("project")
    t["cost_usd"] = t["mwh"] * t["project"].map(per["variable_usd_per_mwh"]).astype(float)
    t["co2_t"] = t["mwh"] * t["project"].map(per["co2_t_per_mwh"]).astype(float)
    return t[t["mwh"] > TINY].reset_index(drop=True)


CONCERN = Concern(
    name="generation",
    requires=("energy", "storage"),  # storage's extract fills its rows of power_builds.csv
    families=(
        Family(
            name="generation_limit",
            kind="limit",
            elastic=False,
            source="generation.csv (MW built); availability.csv factor",
            unit="MWh",
            words="output of built generation (availability x MW online x hours)",
            binds=explain_power.generation_limit_binds,
            infeasible=None,
        ),
        Family(
            name="generation_max_mw",
            kind="limit",
            elastic=False,
            source="generation.csv max_mw",
            unit="MW",
            words="generation build limits (generation.csv max_mw)",
            binds="generation {project} is built to its max_mw",
            infeasible=None,
        ),
    ),
    add=add,
    extract=extract,
)
