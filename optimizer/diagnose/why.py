"""Reasons in words: why a site cannot add more by a year, why no money reaches a region,
what holds a partner back. Each reason names the input row to change."""

from __future__ import annotations

import pandas as pd

from optimizer.diagnose.forced import Forced
from optimizer.diagnose.text import cell, listing, num, ref, share
from optimizer.render.fmt import usd

SITES = "sites.csv"
PARTNERS = "partners.csv"
PARTNER_REGIONS = "partner_regions.csv"
REGIONS = "regions.csv"


def site_limit(site: pd.Series, year: int, last_year: int) -> str:
    """What limits one site's added capacity by `year` (a row of reach.site_reach)."""
    where = f"{site['site']} ({ref(SITES, site['line'])})"
    if site["room_wspm"] <= 0:
        return f"{where}: no room to build (existing_wspm = max_wspm {cell(site['max_wspm'])})"
    timing = (
        f"first_build_year {site['first_build_year']} + lead_time_years {site['lead']}"
        if site["first_build_year"] >= site["first_build"]
        else f"first year {site['first_build']} + lead_time_years {site['lead']}"
    )
    if site["online_from"] > last_year:
        return f"{where}: no build can be online by {last_year} ({timing})"
    if site["online_from"] > year:
        return f"{where}: nothing online before {site['online_from']} ({timing})"
    return f"{where}: up to {num(site['room_wspm'])} wspm more (max_wspm {cell(site['max_wspm'])})"


def others_limits(f: Forced, last_year: int, limit: int = 4) -> str:
    """The other regions' sites, those that could help first."""
    o = f.others.sort_values(["eligible", "room_wspm"], ascending=[False, False])
    return listing([site_limit(r, f.year, last_year) for _, r in o.iterrows()], limit)


def cap_clause(f: Forced) -> str:
    """'to keep TW within max_capacity_share 0.50 from 2026 (regions.csv line 2)'."""
    return (
        f"to keep {f.region} within max_capacity_share {share(f.share)} from {f.from_year} "
        f"({ref(REGIONS, f.line)})"
    )


def existing_clause(f: Forced) -> str:
    """'its existing 1,000 wspm (sites.csv line 2) are 100% of the 1,000 wspm existing'."""
    return (
        f"{f.region}'s existing {num(f.existing_region_wspm)} wspm "
        f"({ref(SITES, list(f.region_sites['_line']))}) are "
        f"{f.existing_region_wspm / f.existing_total_wspm:.0%} of the "
        f"{num(f.existing_total_wspm)} wspm existing"
    )


def region_bars(shares: pd.DataFrame, region: str) -> str:
    """Why no partner capital can reach `region`: the partner_regions rows that limit it."""
    rows = shares[shares["region"] == region]
    listed = rows[rows["line"] > 0]
    parts = ", ".join(f"{r.partner} {share(r.share)}" for r in listed.itertuples())
    total = float(rows["share"].sum())
    return (
        f"{ref(PARTNER_REGIONS, list(listed['line']))} ({parts}) leave the partners' shares of "
        f"{region}'s capital adding up to {share(total)} of 1"
    )


def partner_bars(shares: pd.DataFrame, partner: str, regions: list[str] | None = None) -> str:
    """'may not fund US (partner_regions.csv line 2)'."""
    rows = shares[(shares["partner"] == partner) & (shares["share"] <= 0)]
    if regions is not None:
        rows = rows[rows["region"].isin(regions)]
    if rows.empty:
        return ""
    names = ", ".join(dict.fromkeys(rows["region"]))
    return f"may not fund {names} ({ref(PARTNER_REGIONS, list(rows['line']))})"


def commitments(partners: pd.DataFrame) -> str:
    """'FUND 100, USG 200 (partners.csv lines 2, 3)' in max_commitment_musd."""
    parts = ", ".join(f"{r.partner} {cell(r.max_commitment_musd)}" for r in partners.itertuples())
    return f"{parts} ({ref(PARTNERS, list(partners['_line']))})"


def capital_clause(f: Forced) -> str:
    """'the 1,000 wspm other regions need online by 2026 ... cost at least $450M of capital'."""
    return (
        f"the {num(f.needed_wspm)} wspm other regions need online by {f.year} {cap_clause(f)} "
        f"need at least {usd(f.capital_usd)} of partner capital beyond grants"
    )


def other_caps(case, f: Forced) -> list[str]:
    """The caps of the regions that would have to take the forced builds."""
    regions = set(f.others.loc[f.others["eligible"], "region"])
    caps = case.regions[case.regions["region"].isin(regions)]
    return [
        f"{r['region']}'s own max_capacity_share {share(r['max_capacity_share'])} from "
        f"{r['from_year']} ({ref(REGIONS, r['_line'])})"
        for _, r in caps.iterrows()
    ]
