"""Financing of power builds (issue 14): partners fund generation and storage like fabs.

`pfund[p, project, y]` USD partner p puts into the builds of `project` decided in y, for every
partner not barred from the project's region (partner_regions.csv max_share 0); partners of
kind `energy` fund only power builds (finance.py keeps them out of fab funding). Rows:

    power_funding[project, y]: sum_p pfund - capex x build = 0
        (generation: capex_usd_per_kw x 1000 x MW; storage: + capex_usd_per_kwh x 1000 x MWh)

and pfund joins finance.py's partner rows through ctx.extend_constraints: capital_total,
commitment, max_share, region_share (the region's capital includes its power builds); not
capital.py's tranche_use: tranches fund fabs, power draws on the commitment. A partner's
min_share stays a share of the fab capital (see
_keep_min_shares_on_fab_capital). Financing: each dollar is repaid as an ordinary annuity at
the funder's cost of capital over the project's life_years (finance.financing_pv), only the
payments inside the horizon counted, into the `financing` cost. Subsidies (subsidies.csv) never
apply to power builds: grants are per fab site.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_power
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.finance import financing_pv
from optimizer.model.registry import Concern, Family

TINY = 1e-6  # USD
ENERGY_KIND = "energy"


def add(ctx: ModelContext) -> None:
    parts = [f(ctx) for f in ctx.data.get("power_capex", [])]
    if not parts:
        return
    s = ctx.scale
    capex = pd.concat(parts, ignore_index=True)
    builds = capex[["project", "year", "region", "life"]].drop_duplicates(["project", "year"])
    builds = builds.reset_index(drop=True)
    capex = capex.merge(builds[["project", "year"]].reset_index(names="row"))
    partners = ctx.case.partners[["partner", "cost_of_capital"]]
    pr = ctx.case.partner_regions
    barred = pr[pr["max_share"] <= 0][["partner", "region"]].assign(barred=True)
    f = builds.merge(partners, how="cross").merge(barred, on=["partner", "region"], how="left")
    f = f[f["barred"].isna()].drop(columns="barred").reset_index(drop=True)
    f = f.merge(builds[["project", "year"]].reset_index(names="row"), on=["project", "year"])
    ctx.data["pfund"] = f
    ctx.add_vars("pfund", f[["partner", "project", "year"]], s.usd)
    n = len(f)
    pos = np.arange(n)
    terms = [terms_frame(f["row"], "pfund", pos, 1.0)]
    for block, c in capex.groupby("block", sort=False):
        terms.append(terms_frame(c["row"], block, c["pos"], -c["usd_per_unit"] / s.usd))
    ctx.add_constraints("power_funding", builds[["project", "year"]], pd.concat(terms), "==", 0.0)
    _extend_partner_rows(ctx, f)
    pv = financing_pv(ctx, f["cost_of_capital"].to_numpy(), f["year"].to_numpy(), f["life"])
    ctx.add_cost("financing", "pfund", pos, pv)


def _extend_partner_rows(ctx: ModelContext, f: pd.DataFrame) -> None:
    """pfund joins the partner rows finance.py and capital.py built for fab funds."""
    pos = np.arange(len(f))
    ctx.extend_constraints("capital_total", terms_frame(np.zeros(len(f)), "pfund", pos, 1.0))
    for name in ("commitment", "max_share"):
        fam = ctx.families.get(name)
        if fam is None or fam.terms is None:
            continue
        row_of = dict(zip(fam.index["partner"], range(len(fam.index)), strict=True))
        row = f["partner"].map(row_of)
        ok = row.notna().to_numpy()
        ctx.extend_constraints(name, terms_frame(row[ok].astype(int), "pfund", pos[ok], 1.0))
    _keep_min_shares_on_fab_capital(ctx, f)
    # tranche draws fund fab builds only (tranche_use is not extended): power capital counts
    # against the partner's commitment, so capital_sources.csv's commitment row of a partner and
    # year (fab funds - draws) is never negative
    fam = ctx.families.get("region_share")
    if fam is not None and fam.terms is not None:
        pr = ctx.case.partner_regions
        lim = fam.index[["partner", "region"]].reset_index(names="r")
        lim = lim.merge(pr[["partner", "region", "max_share"]], on=["partner", "region"])
        fr = f[["partner", "region"]].reset_index(names="pos")
        own = fr.merge(lim, on=["partner", "region"])
        allr = fr.drop(columns="partner").merge(lim, on="region")
        ctx.extend_constraints(
            "region_share",
            pd.concat(
                [
                    terms_frame(own["r"], "pfund", own["pos"], 1.0),
                    terms_frame(allr["r"], "pfund", allr["pos"], -allr["max_share"].to_numpy()),
                ]
            ),
        )


def _keep_min_shares_on_fab_capital(ctx: ModelContext, f: pd.DataFrame) -> None:
    """min_share[p]: fab funds of p >= min_share x fab capital. The row reads the `capital`
    total, which now includes power funds, so each power dollar gets + min_share back.

    Why: capital raised near the end of the horizon costs only the few annuity payments inside
    it, so counting power capital in a partner's floor lets the plan meet the floor with a late,
    useless battery (measured on the default data: 5 batteries built in 2039, funded by OPENAI,
    to hold its 5% minimum). A minimum share is a stake in the chip venture: fabs only."""
    fam = ctx.families.get("min_share")
    if fam is None or fam.terms is None or not len(f):
        return
    share = fam.index["partner"].map(ctx.case.partners.set_index("partner")["min_share"])
    grid = pd.DataFrame({"row": np.arange(len(fam.index)), "share": share.to_numpy(dtype=float)})
    grid = grid.merge(pd.DataFrame({"pos": np.arange(len(f))}), how="cross")
    ctx.extend_constraints(
        "min_share", terms_frame(grid["row"], "pfund", grid["pos"], grid["share"])
    )


def power_funds(ctx: ModelContext, sol) -> pd.DataFrame:
    """partner, project, year, usd, cost_of_capital, financing_cost_npv_usd of power funds (for
    power_funding.csv and partner_summary.csv)."""
    cols = ["partner", "project", "year", "usd", "cost_of_capital", "financing_cost_npv_usd"]
    f = ctx.data.get("pfund")
    if f is None or f.empty:
        return pd.DataFrame(columns=cols)
    t = f[["partner", "project", "year", "cost_of_capital", "life"]].copy()
    t["usd"] = sol.value("pfund")
    pv = financing_pv(ctx, t["cost_of_capital"].to_numpy(), t["year"].to_numpy(), t["life"])
    t["financing_cost_npv_usd"] = t["usd"] * pv
    return t[cols]


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    t = power_funds(ctx, sol)
    if "pfund" not in ctx.data:
        return {}
    t = t[t["usd"] > TINY][["partner", "project", "year", "usd"]]
    return {"power_funding": t.sort_values(["project", "year", "partner"]).reset_index(drop=True)}


CONCERN = Concern(
    name="power_finance",
    requires=("generation", "storage", "capital"),
    families=(
        Family(
            name="power_funding",
            kind="balance",
            elastic=True,
            source=(
                "generation.csv capex_usd_per_kw; storage.csv capex_usd_per_kw, "
                "capex_usd_per_kwh; partners.csv; partner_regions.csv"
            ),
            unit="USD",
            words="funding of every power build (partners.csv, partner_regions.csv)",
            binds="the power build of {project} in {year} is fully funded",
            infeasible=explain_power.power_funding,
        ),
    ),
    add=add,
    extract=extract,
)
