"""First-stage constraints: build timing, site size and opening, capacity table, concentration,
integer mode, and sign of every quantity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.inputs.recipes import processes_of
from optimizer.verify.context import Context
from optimizer.verify.formatting import each, fmt
from optimizer.verify.limits import Family
from optimizer.verify.operators import effective_capex
from optimizer.verify.tolerance import (
    ABS_TOL,
    ABS_TOL_FRACTION,
    ABS_TOL_USD,
    allowed,
    differs,
    exceeds,
)


def check_build_timing(ctx: Context) -> None:
    """first_build_year <= year, year + lead_time <= last_year, online_year = year + lead."""
    b = ctx.builds
    f = ctx.findings
    p = ctx.case.params
    first_build = b["site"].map(ctx.sites["first_build_year"]).astype(int)
    where = "build at {0.site} {0.year} ({1} wspm, builds.csv line {0.csv_line})"
    for r, fb in zip(
        each(b[b["year"] < first_build]),
        first_build[b["year"] < first_build],
        strict=True,
    ):
        f.violate(
            "build timing",
            f"{where.format(r, fmt(r.wspm))}: decided before the site's first_build_year {fb}",
        )
    for r in each(b[b["year"] < p.first_year]):
        f.violate(
            "build timing",
            f"{where.format(r, fmt(r.wspm))}: decided before the first year {p.first_year}",
        )
    for r in each(b[b["online"] > p.last_year]):
        f.violate(
            "build timing",
            f"{where.format(r, fmt(r.wspm))}: online in {r.online} (lead time {r.lead} years), "
            f"after the last year {p.last_year}",
        )
    for r in each(b[b["online_year"] != b["online"]]):
        f.violate(
            "build timing",
            f"{where.format(r, fmt(r.wspm))}: online_year {r.online_year} but {r.year} + lead "
            f"time {r.lead} = {r.online}",
        )
    f.checked("build timing", len(b))


def check_builds_table(ctx: Context) -> None:
    """builds.csv capex_usd = capex_usd_per_wspm x wspm and grant_usd = grants.csv."""
    b = ctx.builds.copy()
    f = ctx.findings
    b["rate"] = b["site"].map(ctx.sites["capex_usd_per_wspm"]).astype(float)
    b["capex"] = effective_capex(ctx, b)  # x the operators' capex_factor, if any
    for r in each(b[differs(b["capex_usd"], b["capex"], ABS_TOL_USD)]):
        f.violate(
            "builds table",
            f"builds.csv line {r.csv_line}: build at {r.site} {r.year} capex_usd "
            f"{fmt(r.capex_usd)} but {fmt(r.wspm)} wspm x {fmt(r.rate)} USD/wspm = "
            f"{fmt(r.capex)}",
        )
    grants = ctx["grants.csv"].groupby(["site", "year"])["usd"].sum()
    b["granted"] = pd.MultiIndex.from_frame(b[["site", "year"]]).map(grants)
    b["granted"] = b["granted"].fillna(0.0)
    for r in each(b[differs(b["grant_usd"], b["granted"], ABS_TOL_USD)]):
        f.violate(
            "builds table",
            f"builds.csv line {r.csv_line}: build at {r.site} {r.year} grant_usd "
            f"{fmt(r.grant_usd)} but grants.csv gives {fmt(r.granted)}",
        )
    f.checked("builds table", len(b))


def check_capacity_table(ctx: Context) -> None:
    """capacity.csv lists every site x year with the recomputed installed and available wspm."""
    g = ctx.grid
    f = ctx.findings
    table = ctx["capacity.csv"].set_index(["site", "year"])
    index = pd.MultiIndex.from_frame(g[["site", "year"]])
    listed = index.isin(table.index)
    for r in each(g[~listed]):
        f.violate("capacity table", f"no row in capacity.csv for site {r.site} {r.year}")
    g = g[listed]
    t = table.loc[pd.MultiIndex.from_frame(g[["site", "year"]])]
    for col, mine, what in (
        ("installed_wspm", "installed", "existing + nameplate of builds online"),
        ("available_wspm", "available", "existing + builds online x ramp-up"),
    ):
        theirs = t[col].to_numpy()
        bad = differs(theirs, g[mine].to_numpy())
        for r, x, line in zip(
            each(g[bad]), theirs[bad], t["csv_line"].to_numpy()[bad], strict=True
        ):
            f.violate(
                "capacity table",
                f"capacity.csv line {line}: site {r.site} {r.year} {col} {fmt(x)} but "
                f"{what} = {fmt(getattr(r, mine))}",
            )
    f.checked("capacity table", len(index))


def site_size_rows(ctx: Context) -> pd.DataFrame:
    """existing + builds decided by t <= max_wspm x open (site, year)."""
    g = ctx.grid
    top = g["site"].map(ctx.sites["max_wspm"]).astype(float)
    return g.assign(max_wspm=top, lhs=g["existing"] + g["built"], rhs=top * g["open"])


def stay_open_rows(ctx: Context) -> pd.DataFrame:
    """open(t-1) <= open(t) (site, year after the first)."""
    g = ctx.grid.assign(lhs=ctx.grid.groupby("site")["open"].shift(1), rhs=ctx.grid["open"])
    return g[g["lhs"].notna()]


def check_site_size(ctx: Context) -> None:
    """existing + builds decided by t <= max_wspm x open; open in [0,1], non-decreasing,
    and 1 where the site has existing capacity."""
    g = site_size_rows(ctx)
    f = ctx.findings
    for r in each(g[exceeds(g["lhs"], g["rhs"])]):
        f.violate(
            "site size",
            f"site {r.site} {r.year}: {fmt(r.existing)} existing + {fmt(r.built)} built = "
            f"{fmt(r.lhs)} wspm > {fmt(r.rhs)} allowed (max_wspm {fmt(r.max_wspm)} x open "
            f"{fmt(r.open)}), over by {fmt(r.lhs - r.rhs)}",
        )
    f.checked("site size", len(g))

    out_of_range = (g["open"] < -ABS_TOL_FRACTION) | (g["open"] > 1 + ABS_TOL_FRACTION)
    for r in each(g[out_of_range]):
        f.violate("open", f"site {r.site} {r.year}: open = {fmt(r.open)}, expected in [0, 1]")
    s = stay_open_rows(ctx)
    closes = (s["lhs"] - s["rhs"]) > ABS_TOL_FRACTION
    for r in each(s[closes]):
        f.violate(
            "open",
            f"site {r.site} {r.year}: open = {fmt(r.open)} after {fmt(r.lhs)} in {r.year - 1}; "
            f"a site once open stays open",
        )
    existing_closed = (g["existing"] > 0) & (g["open"] < 1 - ABS_TOL_FRACTION)
    for r in each(g[existing_closed]):
        f.violate(
            "open",
            f"site {r.site} {r.year}: open = {fmt(r.open)} but the site has "
            f"{fmt(r.existing)} wspm existing capacity, so it is open (1)",
        )
    f.checked("open", len(g))


def concentration_rows(
    ctx: Context, regions: pd.DataFrame | None = None, column: str = "max_capacity_share"
) -> pd.DataFrame:
    """installed wspm of a region (lhs) against `column` x all installed (rhs), both over the
    sites whose process the row counts (regions.csv process; blank: group logic) (region,
    process, year >= from_year). Default: the caps; min_share_rows passes the floors."""
    regions = ctx.case.regions if regions is None else regions.reset_index(drop=True)
    if regions.empty:
        return pd.DataFrame(columns=["region", "process", "year", "lhs", "rhs"])
    rows = regions[["region", "process", column, "from_year"]].reset_index(drop=True)
    rows = rows.reset_index(names="cap").merge(pd.DataFrame({"year": ctx.years}), how="cross")
    rows = rows[rows["year"] >= rows["from_year"]].reset_index(drop=True)
    counted = pd.DataFrame(
        [
            (cap, p)
            for cap, spec in enumerate(regions["process"])
            for p in processes_of(ctx.case, spec)
        ],
        columns=["cap", "node"],
    )
    g = ctx.grid.assign(node=ctx.grid["site"].map(ctx.sites["node"]))
    g = g.merge(counted, on="node")[["cap", "region", "year", "installed"]]
    total = g.groupby(["cap", "year"])["installed"].sum()
    by_region = g.groupby(["cap", "region", "year"])["installed"].sum()
    keys = rows[["cap", "year"]]
    lhs = pd.MultiIndex.from_frame(rows[["cap", "region", "year"]]).map(by_region)
    rows["total"] = np.nan_to_num(
        pd.MultiIndex.from_frame(keys).map(total).to_numpy(dtype=float), nan=0.0
    )
    return rows.assign(
        lhs=np.nan_to_num(lhs.to_numpy(dtype=float), nan=0.0),
        rhs=rows[column] * rows["total"],
    )


def check_concentration(ctx: Context) -> None:
    """Installed capacity of region r <= max_capacity_share x all installed, from from_year,
    counting the sites of the row's processes only."""
    if ctx.case.regions.empty:
        return
    rows = concentration_rows(ctx)
    for r in each(rows[exceeds(rows["lhs"], rows["rhs"])]):
        counted = f" of {r.process}" if r.process else ""
        ctx.findings.violate(
            "concentration",
            f"region {r.region} {r.year}: {fmt(r.lhs)} wspm{counted} installed > {fmt(r.rhs)} "
            f"allowed ({fmt(r.max_capacity_share)} x {fmt(r.total)} wspm{counted} installed in "
            f"all regions), over by {fmt(r.lhs - r.rhs)}",
        )
    ctx.findings.checked("concentration", len(rows))


def min_share_rows(ctx: Context) -> pd.DataFrame:
    """installed wspm of a region (lhs) >= min_capacity_share x all installed (rhs)."""
    return concentration_rows(ctx, ctx.case.min_shares, "min_capacity_share")


def check_min_share(ctx: Context) -> None:
    """Installed capacity of region r >= min_capacity_share x all installed, from from_year,
    counting the sites of the row's processes only (regions.csv min_capacity_share)."""
    if ctx.case.min_shares.empty:
        return
    rows = min_share_rows(ctx)
    for r in each(rows[exceeds(rows["rhs"], rows["lhs"])]):
        counted = f" of {r.process}" if r.process else ""
        ctx.findings.violate(
            "min capacity share",
            f"region {r.region} {r.year}: {fmt(r.lhs)} wspm{counted} installed < {fmt(r.rhs)} "
            f"required ({fmt(r.min_capacity_share)} x {fmt(r.total)} wspm{counted} installed in "
            f"all regions), short by {fmt(r.rhs - r.lhs)}",
        )
    ctx.findings.checked("min capacity share", len(rows))


def check_integer(ctx: Context) -> None:
    """In integer mode: open is 0 or 1; builds are whole modules where module_wspm > 0."""
    if ctx.plan.mode != "integer":
        return
    f = ctx.findings
    g = ctx.grid
    fractional = np.abs(g["open"] - np.round(g["open"])) > ABS_TOL_FRACTION
    for r in each(g[fractional]):
        f.violate(
            "integer",
            f"site {r.site} {r.year}: open = {fmt(r.open)}, expected 0 or 1 in integer mode",
        )
    b = ctx.builds.copy()
    b["module"] = b["site"].map(ctx.sites["module_wspm"]).astype(float)
    b = b[b["module"] > 0]
    modules = b["wspm"] / b["module"]
    miss = np.abs(modules - np.round(modules)) * b["module"]
    bad = miss > np.maximum(allowed(b["wspm"], ABS_TOL), ABS_TOL_FRACTION * b["module"])
    for r, n in zip(each(b[bad]), modules[bad], strict=True):
        f.violate(
            "integer",
            f"build at {r.site} {r.year}: {fmt(r.wspm)} wspm is {fmt(n)} modules of "
            f"{fmt(r.module)} wspm, expected a whole number in integer mode",
        )
    f.checked("integer", len(g) + len(b))


# table -> quantity columns that must not be negative
QUANTITIES: dict[str, tuple[str, ...]] = {
    "builds.csv": ("wspm", "capex_usd", "grant_usd"),
    "capacity.csv": ("installed_wspm", "available_wspm", "open"),
    "production.csv": ("wafers", "gpus"),
    "shipments.csv": ("gpus", "cost_usd"),
    "unmet.csv": ("gpus",),
    "energy.csv": ("mwh", "co2_t"),
    "contracts.csv": ("mw",),
    "funding.csv": ("usd",),
    "grants.csv": ("usd",),
    "partner_summary.csv": ("usd",),
}


def check_nonnegative(ctx: Context) -> None:
    """Every quantity in the plan is >= 0 (within the absolute tolerance of its unit)."""
    f = ctx.findings
    n = 0
    for name, cols in QUANTITIES.items():
        table = ctx[name]
        for col in cols:
            floor = ABS_TOL_USD if col.endswith("usd") else ABS_TOL
            floor = ABS_TOL_FRACTION if col == "open" else floor
            for r in each(table[table[col] < -floor]):
                f.violate(
                    "non-negative", f"{name} line {r.csv_line}: {col} = {fmt(getattr(r, col))}"
                )
            n += len(table)
    f.checked("non-negative", n)


# the model families (optimizer/model/registry.py) whose rows these checks re-implement
COVERS = ("site_size", "stay_open", "build_modules", "concentration", "min_capacity_share")
# rank -> check: verify_plan runs the checks of every module in rank order
CHECKS = {
    40: check_capacity_table,
    50: check_build_timing,
    60: check_builds_table,
    70: check_site_size,
    110: check_concentration,
    115: check_min_share,
    120: check_integer,
    130: check_nonnegative,
}
# limit family -> its rows, which binding.csv may name (limits.py)
LIMITS = {
    "site_size": Family(("site", "year"), "<=", "wspm", ABS_TOL, site_size_rows, check_site_size),
    "stay_open": Family(
        ("site", "year"), "<=", "site-year", ABS_TOL_FRACTION, stay_open_rows, check_site_size
    ),
    "concentration": Family(
        ("region", "process", "year"),
        "<=",
        "wspm",
        ABS_TOL,
        concentration_rows,
        check_concentration,
    ),
    "min_capacity_share": Family(
        ("region", "process", "year"), ">=", "wspm", ABS_TOL, min_share_rows, check_min_share
    ),
}
