"""Tools: new capacity of a process needs scarce tools (e.g. EUV scanners) that arrive over time.

For each tool and year Y (tools.csv, tool_use.csv):

    sum_{y<=Y} sum_{sites s of processes using it} units_per_kwspm x build[s,y] / 1000
        <= sum_{y<=Y} units(tool, y)

so tools can be stockpiled, not borrowed from the future. tools.csv rows dated before the first
year are stock in the first year; rows after the last year are ignored. Without tools.csv or
tool_use.csv nothing is added and the model is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_tools
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family


def modelled(case) -> bool:
    """Tools are modelled only when both files give rows."""
    return not case.tools.empty and not case.tool_use.empty


def supply(case) -> pd.DataFrame:
    """tool, year, units: new tools per model year on the grid of every tool x year (stock
    dated before the first year counts in the first year, rows after the last are dropped)."""
    p = case.params
    tools = list(dict.fromkeys([*case.tools["tool"], *case.tool_use["tool"]]))
    grid = pd.MultiIndex.from_product([tools, case.years], names=["tool", "year"])
    given = case.tools[case.tools["year"] <= p.last_year]
    given = given.assign(year=given["year"].clip(lower=p.first_year))
    units = given.groupby(["tool", "year"])["units"].sum()
    return units.reindex(grid, fill_value=0.0).astype(float).reset_index()


def _use_terms(ctx: ModelContext) -> pd.DataFrame:
    """(pos, site, year, tool, units_per_kwspm): each build that needs a tool."""
    case = ctx.case
    builds = ctx.data["builds"].reset_index(names="pos")
    process = builds["site"].map(case.sites.set_index("site")["node"])
    use = case.tool_use[case.tool_use["units_per_kwspm"] > 0]
    t = builds.assign(process=process.to_numpy()).merge(
        use[["process", "tool", "units_per_kwspm"]], on="process"
    )
    return t[["pos", "site", "year", "tool", "units_per_kwspm"]]


def add(ctx: ModelContext) -> None:
    if not modelled(ctx.case):
        return
    s = ctx.scale
    use = _use_terms(ctx)
    ctx.data["tool_use"] = use
    # every build decided in y counts in the rows of all years Y >= y
    terms = use.merge(pd.DataFrame({"Y": ctx.years}), how="cross")
    terms = terms[terms["year"] <= terms["Y"]]
    rows = terms[["tool", "Y"]].drop_duplicates().sort_values(["tool", "Y"], kind="stable")
    rows = rows.reset_index(drop=True)
    terms = terms.merge(rows.reset_index(names="row"), on=["tool", "Y"])
    rows = rows.rename(columns={"Y": "year"})
    sup = supply(ctx.case)
    sup["cumulative"] = sup.groupby("tool")["units"].cumsum()
    rhs = rows.merge(sup, on=["tool", "year"], how="left")["cumulative"].fillna(0.0)
    ctx.add_constraints(
        "tool_supply",
        rows,
        terms_frame(terms["row"], "build", terms["pos"], terms["units_per_kwspm"] * s.wspm / 1e3),
        "<=",
        rhs.to_numpy() / s.units["tool"],
    )


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    """tool_use.csv: supply and use of each tool per year, and both summed to date."""
    if not modelled(ctx.case):
        return {}
    use = ctx.data["tool_use"]
    wspm = sol.value("build")[use["pos"].to_numpy()]
    used = use.assign(used=use["units_per_kwspm"].to_numpy() * wspm / 1e3)
    used = used.groupby(["tool", "year"])["used"].sum()
    table = supply(ctx.case).rename(columns={"units": "supply_units"})
    key = pd.MultiIndex.from_frame(table[["tool", "year"]])
    table["used_units"] = np.nan_to_num(key.map(used).to_numpy(dtype=float), nan=0.0)
    by_tool = table.groupby("tool", sort=False)
    table["cumulative_supply_units"] = by_tool["supply_units"].cumsum()
    table["cumulative_used_units"] = by_tool["used_units"].cumsum()
    return {"tool_use": table}


CONCERN = Concern(
    name="tools",
    requires=("capacity",),  # uses the build block and ctx.data["builds"]
    families=(
        Family(
            name="tool_supply",
            kind="limit",
            elastic=True,
            source="tools.csv units; tool_use.csv units_per_kwspm",
            unit="tool",
            words="tool supply (tools.csv, tool_use.csv)",
            binds="{tool} supply is used up by {year}",
            infeasible=explain_tools.tool_supply,
        ),
    ),
    add=add,
    extract=extract,
)
