"""Tool supply (docs/model.md "Tool supply"), recomputed from builds.csv, tools.csv and
tool_use.csv: for each tool and year Y, the tools that builds decided by Y need
(units_per_kwspm x wspm / 1000 at sites whose process uses the tool) are at most the tools
delivered by Y (tools.csv rows before the first year are stock; rows after the last year do not
count). tool_use.csv of the plan must list the same figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.formatting import each, fmt
from optimizer.verify.limits import Family
from optimizer.verify.tolerance import ABS_TOL, differs, exceeds

COLUMNS = ("supply_units", "cumulative_supply_units", "used_units", "cumulative_used_units")


def _modelled(ctx: Context) -> bool:
    return not ctx.case.tools.empty and not ctx.case.tool_use.empty


def tool_table(ctx: Context) -> pd.DataFrame:
    """tool, year and the four COLUMNS, from the inputs and builds.csv (every tool x year)."""
    case = ctx.case
    tools = pd.unique(pd.concat([case.tools["tool"], case.tool_use["tool"]]))
    grid = pd.MultiIndex.from_product([tools, ctx.years], names=["tool", "year"]).to_frame(
        index=False
    )
    given = case.tools[["tool", "year", "units"]].rename(columns={"year": "dated"})
    pairs = grid.merge(given, on="tool")
    first = ctx.years[0]
    # delivered in year t: rows dated t, plus the stock dated before the first year
    in_year = (pairs["dated"] == pairs["year"]) | (
        (pairs["year"] == first) & (pairs["dated"] < first)
    )
    to_date = pairs["dated"] <= pairs["year"]
    b = ctx.builds[["site", "year", "wspm"]].copy()
    b["process"] = b["site"].map(ctx.sites["node"])
    need = b.merge(case.tool_use[["process", "tool", "units_per_kwspm"]], on="process")
    need["used"] = need["units_per_kwspm"] * need["wspm"] / 1000.0
    need = need[["tool", "year", "used"]].rename(columns={"year": "decided"})
    decided = grid.merge(need, on="tool")
    sums = {
        "supply_units": pairs[in_year].groupby(["tool", "year"])["units"].sum(),
        "cumulative_supply_units": pairs[to_date].groupby(["tool", "year"])["units"].sum(),
        "used_units": decided[decided["decided"] == decided["year"]]
        .groupby(["tool", "year"])["used"]
        .sum(),
        "cumulative_used_units": decided[decided["decided"] <= decided["year"]]
        .groupby(["tool", "year"])["used"]
        .sum(),
    }
    key = pd.MultiIndex.from_frame(grid)
    for col, s in sums.items():
        grid[col] = np.nan_to_num(key.map(s).to_numpy(dtype=float), nan=0.0)
    return grid


def tool_supply_rows(ctx: Context) -> pd.DataFrame:
    """tools needed by builds decided by Y <= tools delivered by Y (tool, year)."""
    if not _modelled(ctx):
        return pd.DataFrame(columns=["tool", "year", "lhs", "rhs"])
    t = tool_table(ctx)
    return t.assign(lhs=t["cumulative_used_units"], rhs=t["cumulative_supply_units"])


def check_tool_supply(ctx: Context) -> None:
    """Builds decided by each year need no more tools than were delivered by then."""
    if not _modelled(ctx):
        return
    rows = tool_supply_rows(ctx)
    for r in each(rows[exceeds(rows["lhs"], rows["rhs"], ABS_TOL)]):
        ctx.findings.violate(
            "tool supply",
            f"{r.tool} {r.year}: builds decided by {r.year} need {fmt(r.lhs)} tools but "
            f"{fmt(r.rhs)} were delivered by then (tools.csv), over by {fmt(r.lhs - r.rhs)}",
        )
    ctx.findings.checked("tool supply", len(rows))


def check_tool_use_table(ctx: Context) -> None:
    """tool_use.csv lists every tool x year with the recomputed supply and use."""
    table = ctx.plan.derived.get("tool_use.csv")
    f = ctx.findings
    if not _modelled(ctx):
        if table is not None and len(table):
            f.violate(
                "tool use table",
                "tools are not modelled (no tools.csv or tool_use.csv) "
                f"but the plan's tool_use.csv has {len(table)} row(s)",
            )
        return
    if table is None:
        f.warn("tool use table", "the plan has no tool_use.csv; not checked")
        return
    mine = tool_table(ctx)
    merged = mine.merge(table, on=["tool", "year"], how="left", suffixes=("", "_plan"))
    for r in each(merged[merged["csv_line"].isna()]):
        f.violate("tool use table", f"no row in tool_use.csv for tool {r.tool} {r.year}")
    merged = merged[merged["csv_line"].notna()]
    for col in COLUMNS:
        bad = differs(merged[f"{col}_plan"], merged[col])
        for r, theirs in zip(each(merged[bad]), merged.loc[bad, f"{col}_plan"], strict=True):
            f.violate(
                "tool use table",
                f"tool_use.csv line {int(r.csv_line)}: {r.tool} {r.year} {col} {fmt(theirs)} "
                f"but the inputs and builds.csv give {fmt(getattr(r, col))}",
            )
    f.checked("tool use table", len(mine))


# the model families (optimizer/model/registry.py) whose rows these checks re-implement
COVERS = ("tool_supply",)
# rank -> check: verify_plan runs the checks of every module in rank order
CHECKS = {112: check_tool_supply, 114: check_tool_use_table}
# limit family -> its rows, which binding.csv may name (limits.py)
LIMITS = {
    "tool_supply": Family(
        ("tool", "year"), "<=", "tool", ABS_TOL, tool_supply_rows, check_tool_supply
    ),
}
