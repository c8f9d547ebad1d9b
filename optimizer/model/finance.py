"""Finance: which partners fund which builds, partner limits, and the cost of capital.

Adds `fund[p,s,y]` (only where partner p may fund region(s)), the total capital raised, the
funding balance of each build (its grants come from subsidies.py through ctx.data["grant_terms"]),
partner commitments and shares (overall and per region), and the financing cost: each
dollar partner p puts in in year y is repaid as an ordinary annuity at its cost of capital over
asset_life_years, paid at the end of each year of the loan, i.e. in years y+1 .. y+life (so at a
rate equal to the discount rate its payments are worth exactly the dollar in year y); only the
payments inside the horizon count (those after last_year are the fab's residual value).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_finance
from optimizer.model import capital
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family

TINY = 1e-6  # USD


def annuity_factor(rate: np.ndarray | float, life: int) -> np.ndarray:
    """Payment per dollar borrowed, per year, over `life` years: r / (1 - (1+r)^-L)."""
    r = np.asarray(rate, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = r / (1.0 - (1.0 + r) ** (-life))
    return np.where(r == 0.0, 1.0 / life, a)


def financing_pv(ctx: ModelContext, rate: np.ndarray, year: np.ndarray, life=None) -> np.ndarray:
    """NPV (at first_year) per dollar raised in `year` at `rate`: A(r) * sum of df(t) over the
    payment years t = year+1 .. year+life that lie inside the horizon (an ordinary annuity).
    life: asset_life_years (fabs) unless given per row (power builds' life_years)."""
    p = ctx.case.params
    life = int(p.asset_life_years) if life is None else np.asarray(life, dtype=int)
    df_all = ctx.df(ctx.years)
    cum = np.concatenate([[0.0], np.cumsum(df_all)])  # cum[k] = df of the first k years
    first_payment = np.asarray(year, dtype=int) - p.first_year + 1  # index of year y+1
    i0 = np.minimum(first_payment, len(df_all))
    i1 = np.minimum(first_payment + life, len(df_all))
    return annuity_factor(rate, life) * (cum[i1] - cum[i0])


def add(ctx: ModelContext) -> None:
    case, s = ctx.case, ctx.scale
    sites = case.sites.set_index("site")
    builds = ctx.data["builds"].reset_index(names="build_pos")
    builds["region"] = builds["site"].map(sites["region"])
    capex_m = builds["site"].map(sites["capex_usd_per_wspm"]).to_numpy() * s.wspm / s.usd
    partners = case.partners.reset_index(drop=True)

    pr = case.partner_regions
    forbidden = pr[pr["max_share"] <= 0][["partner", "region"]].assign(forbid=True)
    # partners of kind `energy` fund only power builds (power_finance.py)
    fab_partners = partners[partners["kind"] != "energy"]
    fund = builds.merge(fab_partners[["partner", "cost_of_capital"]], how="cross")
    fund = fund.merge(forbidden, on=["partner", "region"], how="left")
    fund = fund[fund["forbid"].isna()].drop(columns="forbid").reset_index(drop=True)
    ctx.data["fund"] = fund
    ctx.add_vars("fund", fund[["partner", "site", "year"]], s.usd)
    capital.add_draws(ctx, fund)  # tranche draws: the commitment rows subtract them

    # the total of the funding columns, no decision of its own (never tied across scenarios)
    ctx.add_vars("capital", pd.DataFrame({"total": ["all"]}), s.usd, decided=np.nan)

    # funding balance: sum_p fund + sum of the build's grants (subsidies.py) = capex * build
    nb = len(builds)
    grants = ctx.data["grant_terms"]
    terms = pd.concat(
        [
            terms_frame(fund["build_pos"], "fund", np.arange(len(fund)), 1.0),
            terms_frame(grants["build_pos"], "grant", grants["pos"], 1.0),
            terms_frame(np.arange(nb), "build", builds["build_pos"], -capex_m),
        ]
    )
    ctx.add_constraints("funding", builds[["site", "year"]], terms, "==", 0.0)

    _add_partner_limits(ctx, fund, partners, builds)

    pv = financing_pv(ctx, fund["cost_of_capital"].to_numpy(), fund["year"].to_numpy())
    ctx.add_cost("financing", "fund", np.arange(len(fund)), pv)


def _add_partner_limits(ctx: ModelContext, fund, partners, builds) -> None:
    s = ctx.scale
    nf = len(fund)
    # capital total F = sum of all partner funds
    terms = pd.concat(
        [
            terms_frame(np.zeros(nf), "fund", np.arange(nf), 1.0),
            terms_frame([0], "capital", [0], -1.0),
        ]
    )
    ctx.add_constraints("capital_total", pd.DataFrame({"total": ["all"]}), terms, "==", 0.0)
    prow = fund["partner"].map(dict(zip(partners["partner"], range(len(partners)), strict=True)))

    def per_partner(name, mask, sense, share, rhs, extra=None):
        sel = partners[mask].reset_index(names="p")
        row_of = dict(zip(sel["p"], range(len(sel)), strict=True))
        f = prow.map(row_of)
        ok = f.notna().to_numpy()
        parts = [terms_frame(f[ok].astype(int), "fund", np.flatnonzero(ok), 1.0)]
        if extra is not None:
            parts.append(extra(sel))
        if share is not None:
            parts.append(
                terms_frame(np.arange(len(sel)), "capital", np.zeros(len(sel)), -share(sel))
            )
        ctx.add_constraints(name, sel[["partner"]], pd.concat(parts), sense, rhs(sel))

    finite = np.isfinite(partners["max_commitment_musd"].to_numpy())
    per_partner(
        "commitment",
        finite,
        "<=",
        None,
        lambda d: d["max_commitment_musd"].to_numpy() * 1e6 / s.usd,
        extra=lambda d: capital.commitment_terms(ctx, d),  # - tranche draws (capital.py)
    )
    per_partner(
        "max_share",
        partners["max_share"] < 1.0,
        "<=",
        lambda d: d["max_share"].to_numpy(),
        lambda d: np.zeros(len(d)),
    )
    per_partner(
        "min_share",
        partners["min_share"] > 0.0,
        ">=",
        lambda d: d["min_share"].to_numpy(),
        lambda d: np.zeros(len(d)),
    )

    # per region: capital of p in r <= max_share(p, r) * capital raised for r's sites
    pr = ctx.case.partner_regions
    lim = pr[(pr["max_share"] > 0) & (pr["max_share"] < 1)][["partner", "region", "max_share"]]
    lim = lim.reset_index(drop=True)
    if lim.empty:
        return
    fr = fund[["partner", "region"]].reset_index(names="pos")
    own = fr.merge(lim.reset_index(names="row"), on=["partner", "region"])
    allr = fr.drop(columns="partner").merge(lim.reset_index(names="row"), on="region")
    terms = pd.concat(
        [
            terms_frame(own["row"], "fund", own["pos"], 1.0),
            terms_frame(allr["row"], "fund", allr["pos"], -allr["max_share"].to_numpy()),
        ]
    )
    ctx.add_constraints("region_share", lim[["partner", "region"]], terms, "<=", 0.0)


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    case = ctx.case
    fund = ctx.data["fund"][["partner", "site", "year", "cost_of_capital"]].copy()
    fund["usd"] = sol.value("fund")
    fund["financing_cost_npv_usd"] = fund["usd"] * financing_pv(
        ctx, fund["cost_of_capital"].to_numpy(), fund["year"].to_numpy()
    )
    grants = ctx.data["grants"][["site", "year"]].copy()
    grants["usd"] = sol.value("grant")

    partners = case.partners
    from optimizer.model.power_finance import power_funds  # power capital counts too

    power = power_funds(ctx, sol)[["partner", "usd", "financing_cost_npv_usd"]]
    money = pd.concat([fund[["partner", "usd", "financing_cost_npv_usd"]], power])
    by_p = money.groupby("partner")[["usd", "financing_cost_npv_usd"]].sum()
    total = money["usd"].sum()
    ps = partners[["partner", "kind", "max_share", "min_share", "cost_of_capital"]].copy()
    ps["usd"] = ps["partner"].map(by_p["usd"]).fillna(0.0).to_numpy()
    ps["share"] = ps["usd"] / total if total > 0 else 0.0
    ps["max_commitment_usd"] = partners["max_commitment_musd"].to_numpy() * 1e6
    ps["financing_cost_npv_usd"] = ps["partner"].map(by_p["financing_cost_npv_usd"]).fillna(0.0)
    premium = capital.premium_by_partner(ctx, sol)  # tranche draws at their own rates
    ps["financing_cost_npv_usd"] += ps["partner"].map(premium).fillna(0.0).to_numpy()
    ps = ps[
        [
            "partner",
            "kind",
            "usd",
            "share",
            "max_share",
            "min_share",
            "max_commitment_usd",
            "cost_of_capital",
            "financing_cost_npv_usd",
        ]
    ]

    b = ctx.data["builds"][["site", "year"]].copy()
    capex = b["site"].map(case.sites.set_index("site")["capex_usd_per_wspm"]).to_numpy()
    b["capex_usd"] = capex * sol.value("build")
    if "build_capex_usd" in ctx.data:  # operators.py: capex x the operators' capex_factor
        b["capex_usd"] = ctx.data["build_capex_usd"](sol)
    g = grants.groupby(["site", "year"])["usd"].sum()
    b["grant_usd"] = pd.MultiIndex.from_frame(b[["site", "year"]]).map(g).fillna(0.0).to_numpy()
    return {
        "funding": fund[fund["usd"] > TINY][["partner", "site", "year", "usd"]].reset_index(
            drop=True
        ),
        "partner_summary": ps,
        "builds": b,  # capex_usd and grant_usd columns, merged on the key of builds.csv
    }


CONCERN = Concern(
    name="finance",
    requires=("capacity", "subsidies"),
    families=(
        Family(
            name="funding",
            kind="balance",
            elastic=True,
            source="sites.csv capex_usd_per_wspm; partners.csv; partner_regions.csv",
            unit="USD",
            words="funding of every build (partners.csv, partner_regions.csv)",
            binds="the build at {site} in {year} is fully funded",
            infeasible=explain_finance.funding,
        ),
        Family(  # a definition: the capital the share limits refer to
            name="capital_total",
            kind="balance",
            elastic=False,
            source="partners.csv",
            unit="USD",
            words="total capital raised",
            binds="the total capital is the sum of all partner funds",
            infeasible=None,
        ),
        Family(
            name="commitment",
            kind="limit",
            elastic=True,
            source="partners.csv max_commitment_musd",
            unit="USD",
            words="partner commitments (partners.csv max_commitment_musd)",
            binds="partner {partner} is at its commitment limit",
            infeasible=explain_finance.partner("commitment"),
        ),
        Family(
            name="max_share",
            kind="limit",
            elastic=True,
            source="partners.csv max_share",
            unit="USD",
            words="partner maximum shares (partners.csv max_share)",
            binds="partner {partner} is at its maximum share of all capital",
            infeasible=explain_finance.partner("max_share"),
        ),
        Family(
            name="min_share",
            kind="limit",
            elastic=True,
            source="partners.csv min_share",
            unit="USD",
            words="partner minimum shares (partners.csv min_share)",
            binds="partner {partner} is held at its minimum share of all capital",
            infeasible=explain_finance.partner("min_share"),
        ),
        Family(
            name="region_share",
            kind="limit",
            elastic=True,
            source="partner_regions.csv max_share",
            unit="USD",
            words="partner shares per region (partner_regions.csv)",
            binds="partner {partner} is at its maximum share in {region}",
            infeasible=explain_finance.region_share,
        ),
    ),
    add=add,
    extract=extract,
)
