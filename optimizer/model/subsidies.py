"""Subsidies: grants and tax credits of programs with time windows, up to a cap per program.

Adds `grant[s,prog,y]` for every build (site s, decision year y) that program prog covers: a
subsidies.csv program covers the builds at sites of its region decided in [first_year,
last_year]; the flat sites.csv subsidy_rate of a site is a program of its own, named after the
site, covering all its builds. Rows: grant_rate[s,prog,y]: grant <= rate x capex x build, and
grant_cap[prog]: the program's grants over all its builds <= cap_musd (finite caps only).
Programs stack: the grants of one build add up in the funding balance (finance.py reads them
from ctx.data["grant_terms"]), where partner funds >= 0 keep their sum at most the capex.
A tax credit is counted like a grant received in the build year: that assumes the partnership
has the tax base to use it at once (docs/model.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_subsidies
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family

TINY = 1e-6  # USD
FLAT_KIND = "grant"  # the kind of a sites.csv subsidy


def eligible(case, builds: pd.DataFrame) -> pd.DataFrame:
    """Per (build, program) that may pay: build_pos, site, program, year, kind, rate, cap_musd
    (inf: none). Flat site subsidies first, in build order, then subsidies.csv programs."""
    sites = case.sites.set_index("site")
    b = builds[["site", "year"]].reset_index(names="build_pos")
    b["region"] = b["site"].map(sites["region"])
    rate = b["site"].map(sites["subsidy_rate"]).to_numpy(dtype=float)
    flat = b[rate > 0].assign(
        program=lambda d: d["site"],
        kind=FLAT_KIND,
        rate=rate[rate > 0],
        cap_musd=lambda d: d["site"].map(sites["subsidy_cap_musd"]).astype(float),
    )
    prog = case.subsidies[["program", "region", "kind", "rate", "first_year", "last_year"]]
    prog = prog.assign(cap_musd=case.subsidies["cap_musd"].astype(float))
    inside = b.merge(prog, on="region")
    inside = inside[
        (inside["year"] >= inside["first_year"])
        & (inside["year"] <= inside["last_year"])
        & (inside["rate"] > 0)
    ]
    inside = inside.sort_values(["build_pos", "program"], kind="stable")
    columns = ["build_pos", "site", "program", "year", "kind", "rate", "cap_musd"]
    return pd.concat([flat[columns], inside[columns]], ignore_index=True)


def add(ctx: ModelContext) -> None:
    case, s = ctx.case, ctx.scale
    builds = ctx.data["builds"]
    grants = eligible(case, builds)
    ctx.data["grants"] = grants
    ctx.add_vars("grant", grants[["site", "program", "year"]], s.usd)
    g = np.arange(len(grants))
    # the funding balance of each build (finance.py) adds its grants: + grant
    ctx.data["grant_terms"] = pd.DataFrame({"build_pos": grants["build_pos"], "pos": g})

    # grant <= rate x capex x build
    capex = grants["site"].map(case.sites.set_index("site")["capex_usd_per_wspm"]).to_numpy()
    capex_m = capex.astype(float) * s.wspm / s.usd
    terms = pd.concat(
        [
            terms_frame(g, "grant", g, 1.0),
            terms_frame(g, "build", grants["build_pos"], -grants["rate"].to_numpy() * capex_m),
        ]
    )
    ctx.add_constraints("grant_rate", grants[["site", "program", "year"]], terms, "<=", 0.0)

    # sum of a program's grants <= cap_musd (shared by all its builds)
    capped = grants[np.isfinite(grants["cap_musd"].to_numpy())].reset_index(names="pos")
    cap_rows = capped.drop_duplicates("program")[["program", "cap_musd"]].reset_index(drop=True)
    t = capped.merge(cap_rows[["program"]].reset_index(names="row"), on="program")
    ctx.add_constraints(
        "grant_cap",
        cap_rows[["program"]],
        terms_frame(t["row"], "grant", t["pos"], 1.0),
        "<=",
        cap_rows["cap_musd"].to_numpy() * 1e6 / s.usd,
    )


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    """grants.csv: one row per (site, program, year) that received money, with the kind."""
    grants = ctx.data["grants"][["site", "program", "kind", "year"]].copy()
    grants["usd"] = sol.value("grant")
    grants = grants[grants["usd"] > TINY]
    return {"grants": grants[["site", "year", "program", "kind", "usd"]].reset_index(drop=True)}


CONCERN = Concern(
    name="subsidies",
    requires=("capacity",),
    families=(
        Family(
            name="grant_rate",
            kind="limit",
            elastic=True,
            source="sites.csv subsidy_rate; subsidies.csv rate, first_year, last_year",
            unit="USD",
            words="grant rates (sites.csv subsidy_rate, subsidies.csv rate)",
            binds="{site} receives the full rate of {program} on its {year} build",
            infeasible=explain_subsidies.grant_rate,
        ),
        Family(
            name="grant_cap",
            kind="limit",
            elastic=True,
            source="sites.csv subsidy_cap_musd; subsidies.csv cap_musd",
            unit="USD",
            words="grant caps (sites.csv subsidy_cap_musd, subsidies.csv cap_musd)",
            binds="program {program} has paid out its whole cap",
            infeasible=explain_subsidies.grant_cap,
        ),
    ),
    add=add,
    extract=extract,
)
