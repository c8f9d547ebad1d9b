"""Why a case is infeasible, for the tools concern's family (tool supply, tools.csv)."""

from __future__ import annotations

from optimizer.diagnose.rows import groups
from optimizer.diagnose.text import LINE, num, ref, years_text
from optimizer.model.registry import Sentence

TOOLS = "tools.csv"
TOOL_USE = "tool_use.csv"


def tool_supply(case, family, rows) -> list[Sentence]:
    """One sentence per tool: in its worst year, the tools the builds need against the supply
    delivered by then (a violated row's need is its supply plus the violation)."""
    out = []
    for key, g, size in groups(rows, ["tool"]):
        tool = key["tool"]
        given = case.tools[case.tools["tool"] == tool]
        use = case.tool_use[case.tool_use["tool"] == tool]
        worst = g.loc[g["amount"].idxmax()]
        year = int(worst["year"])
        supplied = float(given.loc[given["year"] <= year, "units"].sum())
        processes = ", ".join(dict.fromkeys(use["process"]))
        out.append(
            (
                size,
                f"{tool}: builds decided by {year} need {num(supplied + worst['amount'])}, "
                f"supply by {year} is {num(supplied)} ({ref(TOOLS, list(given[LINE]))}; "
                f"used by {processes}: {ref(TOOL_USE, list(use[LINE]))}); short in "
                f"{years_text(g['year'])}: add tools or let builds of {processes} wait",
            )
        )
    return out
