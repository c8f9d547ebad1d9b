"""Money constraints: each build fully funded, grant rate and cap, who may fund which region,
partner commitments and shares.

"Capital raised" is partner capital only (funding.csv): grants reduce what partners must raise
and are not counted in F or in a region's capital (docs/plan-tables.md, docs/model.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.formatting import each, fmt
from optimizer.verify.tolerance import ABS_TOL_USD, differs, exceeds


def check_funding(ctx: Context) -> None:
    """Per build: partner funding + grants = capex_usd_per_wspm x wspm (also where no build)."""
    keys = ["site", "year"]
    wspm = ctx.builds.groupby(keys)["wspm"].sum()
    funded = ctx["funding.csv"].groupby(keys)["usd"].sum()
    granted = ctx["grants.csv"].groupby(keys)["usd"].sum()
    every = wspm.index.append([funded.index, granted.index]).unique()
    rows = pd.DataFrame(
        {
            "wspm": wspm.reindex(every),
            "funded": funded.reindex(every),
            "granted": granted.reindex(every),
        },
        index=every,
    )
    rows = rows.fillna(0.0).reset_index()
    rows["rate"] = rows["site"].map(ctx.sites["capex_usd_per_wspm"]).astype(float)
    rows["capex"] = rows["rate"] * rows["wspm"]
    rows["raised"] = rows["funded"] + rows["granted"]
    for r in each(rows[differs(rows["raised"], rows["capex"], ABS_TOL_USD)]):
        what = (
            f"capex {fmt(r.capex)} USD ({fmt(r.wspm)} wspm x {fmt(r.rate)} USD/wspm)"
            if r.wspm
            else "0 USD: builds.csv has no build there"
        )
        ctx.findings.violate(
            "funding",
            f"build at {r.site} {r.year}: {fmt(r.funded)} USD from partners + {fmt(r.granted)} "
            f"USD grants = {fmt(r.raised)} USD, but it must equal {what}",
        )
    ctx.findings.checked("funding", len(rows))
    _check_grants(ctx, rows)


def _check_grants(ctx: Context, rows: pd.DataFrame) -> None:
    """grant <= subsidy_rate x capex per build; grants per site <= subsidy_cap_musd x 1e6."""
    f = ctx.findings
    rows = rows.copy()
    rows["subsidy_rate"] = rows["site"].map(ctx.sites["subsidy_rate"]).astype(float)
    rows["limit"] = rows["subsidy_rate"] * rows["capex"]
    for r in each(rows[exceeds(rows["granted"], rows["limit"], ABS_TOL_USD)]):
        f.violate(
            "grants",
            f"build at {r.site} {r.year}: {fmt(r.granted)} USD grants > {fmt(r.limit)} USD "
            f"allowed (subsidy_rate {fmt(r.subsidy_rate)} x capex {fmt(r.capex)} USD)",
        )
    per_site = ctx["grants.csv"].groupby("site")["usd"].sum().to_frame("granted")
    per_site["cap"] = ctx.sites["subsidy_cap_musd"].reindex(per_site.index).astype(float) * 1e6
    bad = exceeds(per_site["granted"], per_site["cap"], ABS_TOL_USD)
    for site, r in per_site[bad].iterrows():
        f.violate(
            "grants",
            f"site {site}: {fmt(r.granted)} USD grants over the horizon > subsidy cap "
            f"{fmt(r.cap)} USD (subsidy_cap_musd {fmt(r.cap / 1e6)})",
        )
    f.checked("grants", len(rows) + len(per_site))


def check_partners(ctx: Context) -> None:
    """Commitment, min/max share of all partner capital F, and per-region shares."""
    f = ctx.findings
    fund = ctx["funding.csv"].copy()
    fund["region"] = fund["site"].map(ctx.sites["region"])
    total = float(fund["usd"].sum())
    p = ctx.partners[["max_commitment_musd", "min_share", "max_share"]].astype(float).copy()
    p["usd"] = fund.groupby("partner")["usd"].sum().reindex(p.index).fillna(0.0)
    p["commitment"] = p["max_commitment_musd"] * 1e6
    for name, r in p[exceeds(p["usd"], p["commitment"], ABS_TOL_USD)].iterrows():
        f.violate(
            "partners",
            f"partner {name}: {fmt(r.usd)} USD committed > max_commitment_musd "
            f"{fmt(r.max_commitment_musd)} (= {fmt(r.commitment)} USD)",
        )
    share = (p["usd"] / total) if total > 0 else p["usd"] * 0.0
    high = p["max_share"] * total
    for (name, r), s in zip(
        p[exceeds(p["usd"], high, ABS_TOL_USD)].iterrows(),
        share[exceeds(p["usd"], high, ABS_TOL_USD)],
        strict=True,
    ):
        f.violate(
            "partners",
            f"partner {name}: {fmt(r.usd)} USD = {s:.4%} of all partner capital "
            f"{fmt(total)} USD > max_share {fmt(r.max_share)} ({fmt(r.max_share * total)} USD)",
        )
    low = p["min_share"] * total
    for (name, r), s in zip(
        p[exceeds(low, p["usd"], ABS_TOL_USD)].iterrows(),
        share[exceeds(low, p["usd"], ABS_TOL_USD)],
        strict=True,
    ):
        f.violate(
            "partners",
            f"partner {name}: {fmt(r.usd)} USD = {s:.4%} of all partner capital "
            f"{fmt(total)} USD < min_share {fmt(r.min_share)} ({fmt(r.min_share * total)} USD)",
        )
    f.checked("partners", 3 * len(p))
    _check_partner_regions(ctx, fund)


def _check_partner_regions(ctx: Context, fund: pd.DataFrame) -> None:
    """partner_regions.csv: max_share 0 forbids funding there; otherwise partner p's capital
    for the region's sites <= max_share x all partner capital for them."""
    f = ctx.findings
    pr = ctx.case.partner_regions[["partner", "region", "max_share"]]
    forbidden = fund.merge(pr[pr["max_share"] <= 0], on=["partner", "region"])
    forbidden = forbidden[forbidden["usd"] > ABS_TOL_USD]
    for r in each(forbidden):
        f.violate(
            "partner region",
            f"partner {r.partner} may not fund sites in region {r.region} (partner_regions.csv "
            f"max_share 0) but funds the build at {r.site} {r.year} with {fmt(r.usd)} USD "
            f"(funding.csv line {r.csv_line})",
        )
    limited = pr[pr["max_share"] > 0].copy()
    region_total = fund.groupby("region")["usd"].sum()
    own = fund.groupby(["partner", "region"])["usd"].sum()
    limited["usd"] = pd.MultiIndex.from_frame(limited[["partner", "region"]]).map(own)
    limited["usd"] = limited["usd"].fillna(0.0)
    limited["region_usd"] = limited["region"].map(region_total).fillna(0.0).astype(float)
    limited["limit"] = limited["max_share"] * limited["region_usd"]
    for r in limited[exceeds(limited["usd"], limited["limit"], ABS_TOL_USD)].itertuples(
        index=False
    ):
        f.violate(
            "partner region",
            f"partner {r.partner} in region {r.region}: {fmt(r.usd)} USD > {fmt(r.limit)} USD "
            f"allowed (max_share {fmt(r.max_share)} x {fmt(r.region_usd)} USD partner capital "
            f"raised for {r.region} sites)",
        )
    f.checked("partner region", len(fund) + len(limited))


def annuity_factor(rate: np.ndarray, life: int) -> np.ndarray:
    """Yearly payment per dollar repaid over `life` years at `rate`: r/(1-(1+r)^-L), 1/L at 0."""
    r = np.asarray(rate, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = r / (1.0 - (1.0 + r) ** (-float(life)))
    return np.where(r == 0.0, 1.0 / life, a)
