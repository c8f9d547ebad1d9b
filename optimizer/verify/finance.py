"""Money constraints: each build fully funded, who may fund which region, partner commitments
and shares (grant rates and caps: verify/subsidies.py).

"Capital raised" is partner capital only (funding.csv): grants reduce what partners must raise
and are not counted in F or in a region's capital (docs/plan-tables.md, docs/model.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.verify.capital import drawn_by_partner
from optimizer.verify.context import Context
from optimizer.verify.formatting import each, fmt
from optimizer.verify.limits import Family
from optimizer.verify.operators import effective_capex
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
    rows["capex"] = effective_capex(ctx, rows)  # x the operators' capex_factor, if any
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


def _partner_limits(ctx: Context) -> tuple[pd.DataFrame, float]:
    """Per partner (every one): capital raised and its commitment and share limits in USD, and
    all partner capital F."""
    money = _capital(ctx)
    total = float(money["usd"].sum())
    p = ctx.partners[["max_commitment_musd", "min_share", "max_share"]].astype(float).copy()
    p["usd"] = money.groupby("partner")["usd"].sum().reindex(p.index).fillna(0.0)
    p["commitment"] = p["max_commitment_musd"] * 1e6
    # capital drawn on tranches goes beyond the commitment (capital_tranches.csv, capital.py)
    p["committed"] = p["usd"] - drawn_by_partner(ctx).reindex(p.index).fillna(0.0)
    p["high"] = p["max_share"] * total
    # a minimum share is of the fab capital only (power_funding.csv left out: power_finance.py)
    fab = money[money["site"].notna()] if "site" in money else money
    p["fab_usd"] = fab.groupby("partner")["usd"].sum().reindex(p.index).fillna(0.0)
    p["low"] = p["min_share"] * float(fab["usd"].sum())
    return p.rename_axis("partner").reset_index(), total


def _capital(ctx: Context) -> pd.DataFrame:
    """partner, region, usd of all partner capital: funding.csv and (issue 14) power_funding.csv
    (a power project's region from generation.csv / storage.csv)."""
    fund = ctx["funding.csv"].assign(region=lambda d: d["site"].map(ctx.sites["region"]))
    if "power_funding.csv" not in ctx.tables or ctx["power_funding.csv"].empty:
        return fund
    from optimizer.verify.power_builds import projects

    power = ctx["power_funding.csv"]
    power = power.assign(region=power["project"].map(projects(ctx).set_index("project")["region"]))
    return pd.concat([fund, power], ignore_index=True)


def commitment_rows(ctx: Context) -> pd.DataFrame:
    """partner capital <= max_commitment_musd x 1e6 (partner with a finite commitment)."""
    p, _ = _partner_limits(ctx)
    return p.assign(lhs=p["committed"], rhs=p["commitment"])[np.isfinite(p["commitment"])]


def max_share_rows(ctx: Context) -> pd.DataFrame:
    """partner capital <= max_share x all partner capital (partner with max_share < 1)."""
    p, _ = _partner_limits(ctx)
    return p.assign(lhs=p["usd"], rhs=p["high"])[p["max_share"] < 1.0]


def min_share_rows(ctx: Context) -> pd.DataFrame:
    """partner fab capital >= min_share x all fab capital (partner with min_share > 0)."""
    p, _ = _partner_limits(ctx)
    return p.assign(lhs=p["fab_usd"], rhs=p["low"])[p["min_share"] > 0.0]


def check_partners(ctx: Context) -> None:
    """Commitment, min/max share of all partner capital F, and per-region shares."""
    f = ctx.findings
    p, total = _partner_limits(ctx)
    for r in each(p[exceeds(p["committed"], p["commitment"], ABS_TOL_USD)]):
        f.violate(
            "partners",
            f"partner {r.partner}: {fmt(r.committed)} USD committed > max_commitment_musd "
            f"{fmt(r.max_commitment_musd)} (= {fmt(r.commitment)} USD)",
        )
    share = (p["usd"] / total) if total > 0 else p["usd"] * 0.0
    for off, sign, share_col, usd_col in (
        (exceeds(p["usd"], p["high"], ABS_TOL_USD), ">", "max_share", "high"),
        (exceeds(p["low"], p["fab_usd"], ABS_TOL_USD), "<", "min_share", "low"),
    ):
        for r, s in zip(each(p[off]), share[off], strict=True):
            f.violate(
                "partners",
                f"partner {r.partner}: {fmt(r.usd)} USD = {s:.4%} of all partner capital "
                f"{fmt(total)} USD {sign} {share_col} {fmt(getattr(r, share_col))} "
                f"({fmt(getattr(r, usd_col))} USD)",
            )
    f.checked("partners", 3 * len(p))
    _check_partner_regions(ctx, _capital(ctx))


def _region_shares(fund: pd.DataFrame, limits: pd.DataFrame) -> pd.DataFrame:
    """Per partner_regions.csv row: the partner's capital for the region's sites (lhs) <=
    max_share x all partner capital raised for them (rhs)."""
    own = fund.groupby(["partner", "region"])["usd"].sum()
    region = fund.groupby("region")["usd"].sum()
    lim = limits.reset_index(drop=True)
    lhs = pd.MultiIndex.from_frame(lim[["partner", "region"]]).map(own).to_numpy(dtype=float)
    region_usd = lim["region"].map(region).astype(float).fillna(0.0)
    return lim.assign(
        lhs=np.nan_to_num(lhs, nan=0.0), region_usd=region_usd, rhs=lim["max_share"] * region_usd
    )


def region_share_rows(ctx: Context) -> pd.DataFrame:
    """capital of a partner for a region's sites <= max_share x all partner capital for them
    (partner_regions.csv rows with 0 < max_share < 1)."""
    pr = ctx.case.partner_regions[["partner", "region", "max_share"]]
    return _region_shares(_capital(ctx), pr[(pr["max_share"] > 0) & (pr["max_share"] < 1)])


def _check_partner_regions(ctx: Context, fund: pd.DataFrame) -> None:
    """partner_regions.csv: max_share 0 forbids funding there; otherwise partner p's capital
    for the region's sites <= max_share x all partner capital for them."""
    f = ctx.findings
    pr = ctx.case.partner_regions[["partner", "region", "max_share"]]
    fab = fund[fund["site"].notna()] if "site" in fund else fund  # power: power_builds.py
    forbidden = fab.merge(pr[pr["max_share"] <= 0], on=["partner", "region"])
    forbidden = forbidden[forbidden["usd"] > ABS_TOL_USD]
    for r in each(forbidden):
        f.violate(
            "partner region",
            f"partner {r.partner} may not fund sites in region {r.region} (partner_regions.csv "
            f"max_share 0) but funds the build at {r.site} {r.year} with {fmt(r.usd)} USD "
            f"(funding.csv line {r.csv_line})",
        )
    limited = _region_shares(fund, pr[pr["max_share"] > 0])
    for r in each(limited[exceeds(limited["lhs"], limited["rhs"], ABS_TOL_USD)]):
        f.violate(
            "partner region",
            f"partner {r.partner} in region {r.region}: {fmt(r.lhs)} USD > {fmt(r.rhs)} USD "
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


# the model families (optimizer/model/registry.py) whose rows these checks re-implement
COVERS = (
    "funding",
    "capital_total",
    "commitment",
    "max_share",
    "min_share",
    "region_share",
)
# rank -> check: verify_plan runs the checks of every module in rank order
CHECKS = {90: check_funding, 100: check_partners}
# limit family -> its rows, which binding.csv may name (limits.py)
LIMITS = {
    "commitment": Family(("partner",), "<=", "USD", ABS_TOL_USD, commitment_rows, check_partners),
    "max_share": Family(("partner",), "<=", "USD", ABS_TOL_USD, max_share_rows, check_partners),
    "min_share": Family(("partner",), ">=", "USD", ABS_TOL_USD, min_share_rows, check_partners),
    "region_share": Family(
        ("partner", "region"), "<=", "USD", ABS_TOL_USD, region_share_rows, check_partners
    ),
}
