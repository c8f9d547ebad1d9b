"""Subsidy programs: each grant <= its program's rate x capex, only for builds its program covers
(a site of its region, decided inside [first_year, last_year]; a flat sites.csv subsidy is the
program named after its site, every year), and each program's grants <= its cap_musd.

Recomputed from builds.csv, grants.csv and the inputs only (docs/model.md, "Subsidies"). A plan
written before programs existed has no program column: its grants are the flat site programs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.formatting import each, fmt
from optimizer.verify.limits import Family
from optimizer.verify.operators import effective_capex
from optimizer.verify.tolerance import ABS_TOL_USD, exceeds


def _grants(ctx: Context) -> pd.DataFrame:
    """grants.csv with program (the site when absent) and usd."""
    g = ctx["grants.csv"].copy()
    if "program" not in g.columns:
        g["program"] = g["site"]
    g["program"] = g["program"].astype(str)
    return g


def _programs(ctx: Context) -> pd.DataFrame:
    """Every (site, program, year) that may receive a grant, with rate, kind and cap in USD."""
    sites = ctx.sites
    grid = pd.MultiIndex.from_product([sites.index, ctx.years], names=["site", "year"])
    grid = grid.to_frame(index=False)
    grid["region"] = grid["site"].map(sites["region"])
    rate = grid["site"].map(sites["subsidy_rate"]).astype(float)
    flat = grid[rate > 0].assign(
        program=lambda d: d["site"],
        kind="grant",
        flat=True,
        rate=rate[rate > 0],
        cap=lambda d: d["site"].map(sites["subsidy_cap_musd"]).astype(float) * 1e6,
    )
    sub = ctx.case.subsidies
    listed = grid.merge(
        sub[["program", "region", "kind", "rate", "first_year", "last_year", "cap_musd"]],
        on="region",
    )
    listed = listed[
        listed["year"].between(listed["first_year"], listed["last_year"]) & (listed["rate"] > 0)
    ].assign(cap=lambda d: d["cap_musd"].astype(float) * 1e6, flat=False)
    cols = ["site", "program", "year", "kind", "flat", "rate", "cap"]
    return pd.concat([flat[cols], listed[cols]], ignore_index=True)


def grant_rate_rows(ctx: Context) -> pd.DataFrame:
    """grant <= rate x capex (site, program, year) for every build a program covers."""
    rows = _programs(ctx)
    wspm = ctx.builds.groupby(["site", "year"])["wspm"].sum()
    at = pd.MultiIndex.from_frame(rows[["site", "year"]])
    unit = rows["site"].map(ctx.sites["capex_usd_per_wspm"]).astype(float)
    built = np.nan_to_num(at.map(wspm).to_numpy(dtype=float))
    rows["capex"] = effective_capex(ctx, rows[["site", "year"]].assign(wspm=built))  # x factor
    rows["capex"] = rows["capex"].where(unit.notna())
    got = _grants(ctx).groupby(["site", "program", "year"])["usd"].sum()
    lhs = pd.MultiIndex.from_frame(rows[["site", "program", "year"]]).map(got)
    rows["lhs"] = np.nan_to_num(lhs.to_numpy(dtype=float))
    rows["rhs"] = rows["rate"] * rows["capex"]
    return rows


def grant_cap_rows(ctx: Context) -> pd.DataFrame:
    """a program's grants over all its builds <= cap_musd x 1e6 (programs with a finite cap)."""
    p = _programs(ctx).drop_duplicates("program")[["program", "flat", "cap"]]
    p = p[np.isfinite(p["cap"])].reset_index(drop=True)
    got = _grants(ctx).groupby("program")["usd"].sum()
    return p.assign(lhs=p["program"].map(got).fillna(0.0).astype(float), rhs=p["cap"])


def check_grants(ctx: Context) -> None:
    """Rate per build and program, the program's window and region, its kind, its shared cap."""
    f = ctx.findings
    rows = grant_rate_rows(ctx)
    for r in each(rows[exceeds(rows["lhs"], rows["rhs"], ABS_TOL_USD)]):
        f.violate(
            "grants",
            f"build at {r.site} {r.year}: {fmt(r.lhs)} USD grants of program {r.program} > "
            f"{fmt(r.rhs)} USD allowed ({'subsidy_rate' if r.flat else 'rate'} {fmt(r.rate)} "
            f"x capex {fmt(r.capex)} USD)",
        )
    g = _grants(ctx)
    known = rows.set_index(["site", "program", "year"])
    at = pd.MultiIndex.from_frame(g[["site", "program", "year"]])
    outside = g[~at.isin(known.index) & (g["usd"] > ABS_TOL_USD)]
    for r in each(outside):
        f.violate(
            "grants",
            f"grants.csv line {r.csv_line}: {fmt(r.usd)} USD from program {r.program} for the "
            f"build at {r.site} in {r.year}, which the program does not cover (its region or "
            "its first_year-last_year window, subsidies.csv; or no sites.csv subsidy_rate)",
        )
    if "kind" in g.columns:
        expect = at.map(known["kind"]).to_numpy()
        off = pd.notna(expect) & (g["kind"].astype(str).to_numpy() != expect)
        for r, k in zip(each(g[off]), expect[off], strict=True):
            f.violate("grants", f"grants.csv line {r.csv_line}: kind {r.kind}, expected {k}")
    caps = grant_cap_rows(ctx)
    for r in each(caps[exceeds(caps["lhs"], caps["rhs"], ABS_TOL_USD)]):
        f.violate(
            "grants",
            f"program {r.program}: {fmt(r.lhs)} USD grants over all its builds > its cap "
            f"{fmt(r.rhs)} USD ({'subsidy_cap_musd' if r.flat else 'cap_musd'} "
            f"{fmt(r.rhs / 1e6)})",
        )
    f.checked("grants", len(rows) + len(g) + len(caps))


# the model families (optimizer/model/registry.py) whose rows these checks re-implement
COVERS = ("grant_rate", "grant_cap")
# rank -> check: verify_plan runs the checks of every module in rank order
CHECKS = {95: check_grants}
# limit family -> its rows, which binding.csv may name (limits.py)
LIMITS = {
    "grant_rate": Family(
        ("site", "program", "year"), "<=", "USD", ABS_TOL_USD, grant_rate_rows, check_grants
    ),
    "grant_cap": Family(("program",), "<=", "USD", ABS_TOL_USD, grant_cap_rows, check_grants),
}
