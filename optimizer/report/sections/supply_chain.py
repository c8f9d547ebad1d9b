"""Supply chain (issue 12): which stage limits output year by year, capacity and cost per GPU by
stage, tools used against their supply, and the stage balance. Shown only when the plan models
a stage before assembly or a tool supply (optimizer.plan.supply_chain.modelled)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.plan import statistics
from optimizer.plan import supply_chain as sc
from optimizer.plan.read import Plan
from optimizer.render import charts
from optimizer.render.document import Figure, Section, para, table
from optimizer.render.fmt import money, number, rate, year
from optimizer.report.sections.common import MAX_ROWS, plural

KEY = "supply-chain"
TITLE = "Supply chain"
COMPONENT_LABELS = {
    "operations": "Operations",
    "operator_opex": "Operator opex",
    "purchases": "Purchases",
    "financing": "Financing",
    "site_fixed": "Fixed site costs",
    "energy": "Energy",
    "carbon": "Carbon",
    "energy_capacity": "Energy contract charges",
    "shipping": "Shipping",
}


@dataclass(frozen=True)
class SupplyChainNumbers:
    """Every number the supply-chain section shows, computed before any formatting."""

    bottlenecks: pd.DataFrame  # sc.bottlenecks: year, process, label, impact_usd
    capacity: pd.DataFrame  # sc.capacity_by_process: year x process label
    costs: sc.StageCosts | None  # None for a plan written before site_costs.csv
    tools: pd.DataFrame  # sc.tool_table
    used_up: dict[str, list[int]]  # tool -> years its supply is all used
    balance: pd.DataFrame  # sc.stage_balance
    balance_basis: str  # "scenario base" or "expected over the scenarios"
    milestones: list[int]  # first, every fifth, last year
    scenarios: int
    shortfall_years: list[int]  # years with unmet demand (in any scenario)


def numbers(plan: Plan) -> SupplyChainNumbers:
    """The supply-chain section's bundle from the plan statistics."""
    milestones = sc.milestone_years(list(plan.years))
    tools = sc.tool_table(plan)
    if plan.has("stages") and len(plan["stages"]):
        balance, basis = sc.stage_balance(plan, milestones)
    else:
        balance, basis = pd.DataFrame(), ""
    return SupplyChainNumbers(
        bottlenecks=sc.bottlenecks(plan),
        capacity=sc.capacity_by_process(plan),
        costs=sc.stage_costs(plan) if plan.has("site_costs") else None,
        tools=tools,
        used_up=sc.used_up_years(tools),
        balance=balance,
        balance_basis=basis,
        milestones=milestones,
        scenarios=len(plan.scenario_weights),
        shortfall_years=sorted(
            int(y) for y in statistics.unmet_by_year_market(plan)["year"].unique()
        ),
    )


def span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def bottleneck_text(n: SupplyChainNumbers) -> str:
    """Which stage limits output where demand goes unmet, and which stage is tightest in the
    years every GPU is delivered, plus the tools whose supply is used up.

    In a year demand is fully served, every stage is built to what demand needs and several
    stages' capacity rows bind at once: the shadow prices then measure what more room would
    save (mostly capex), not lost output, so those years name the *tightest* stage, not a
    limit on output.
    """
    short = n.bottlenecks[n.bottlenecks["year"].isin(n.shortfall_years)]
    served = n.bottlenecks[~n.bottlenecks["year"].isin(n.shortfall_years)]
    parts = []
    if len(short):
        parts.append(
            "Demand goes unmet in "
            + "; ".join(
                f"{span(a, b)}, where {label} limits output"
                for a, b, label in sc.runs(short, "label")
            )
            + "."
        )
    if len(served):
        parts.append(
            ("In the other years" if len(short) else "Every year")
            + " demand is met and every stage is built to what it needs; the tightest stage "
            "(whose capacity is worth most at the margin) is "
            + "; ".join(f"{label} in {span(a, b)}" for a, b, label in sc.runs(served, "label"))
            + "."
        )
    text = " ".join(parts) if parts else "No stage's capacity binds in any year."
    used = {t: ys for t, ys in n.used_up.items() if ys}
    if used:
        text += " Tool supply used up: " + "; ".join(
            f"{t} in {', '.join(span(a, b) for a, b, _ in _year_runs(ys))}"
            for t, ys in used.items()
        )
        text += "."
    elif n.used_up:
        text += " No tool's supply is used up in any year."
    return text


def _year_runs(years: list[int]) -> list[tuple[int, int, str]]:
    return sc.runs(pd.DataFrame({"year": years, "v": ""}), "v")


def section(n: SupplyChainNumbers, number_: int) -> Section:
    """The supply-chain section, numbered `number_` (it follows Meeting demand)."""
    c = n.costs
    expected = " (expected over the scenarios)" if n.scenarios > 1 else ""
    runs = [
        bottleneck_text(n) + " A stage is named in a year when its sites' capacity rows bind "
        "(a non-zero shadow price: more room there would lower the cost) and its binding rows "
        "are worth most that year (summed impact, binding.csv). ",
    ]
    if c is not None and c.gpus_delivered > 0:
        runs.append(
            f"Each GPU delivered costs {money(c.total_usd / c.gpus_delivered)} in net present "
            f"value{expected}, split by stage below."
        )
    s = Section(KEY, number_, TITLE, para(*runs))
    s.blocks += _capacity_blocks(n)
    if c is not None:
        s.blocks.append(_cost_table(c, n.scenarios))
    if len(n.tools):
        s.blocks.append(_tool_table(n))
    if len(n.balance):
        s.blocks.append(_balance_table(n))
    return s


def _capacity_blocks(n: SupplyChainNumbers) -> list:
    cap = n.capacity
    if cap.empty:
        return []
    shown = [y for y in n.milestones if y in cap.index]
    out: list = [
        table(
            "capacity-by-process",
            "Installed capacity by process (wspm: wafer starts per month)",
            ("Process", *[year(y) for y in shown]),
            [(p, *[number(cap.loc[y, p]) for y in shown]) for p in cap.columns],
            "l" + "r" * len(shown),
            source="capacity.csv and sites.csv",
            note="Installed capacity of all sites running the process, including capacity "
            "still ramping up. Every year: capacity.csv or plan.xlsx.",
        )
    ]
    if len(cap.index) > 1:
        out.append(
            Figure(
                charts.capacity_by_process(cap),
                "Installed capacity of each process per year (thousand wspm); wafers of "
                "different processes are not alike, so the lines are not stacked.",
            )
        )
    return out


def _cost_table(c: sc.StageCosts, scenarios: int):
    comps = c.components
    per = c.table["usd_per_gpu"]
    rows = [
        (
            stage,
            *["" if stage == sc.SHARED else money(c.table.loc[stage, k]) for k in comps],
            money(c.table.loc[stage, "total_usd"]),
            rate(per[stage]),
        )
        for stage in c.table.index
    ]
    total_per = c.total_usd / c.gpus_delivered if c.gpus_delivered > 0 else float("nan")
    shared = sc.SHARED.lower()
    note = (
        "NPV cost of each stage's sites (site_costs.csv) divided by the "
        f"{number(c.gpus_delivered)} GPUs delivered{' (expected)' if scenarios > 1 else ''}; "
        f"{shared}: shipping GPUs to markets ({money(c.shipping_usd)}) and energy-contract "
        f"charges not tied to a site ({money(c.contracts_usd)}). The total equals the executive "
        "summary's cost per GPU delivered."
    )
    if c.penalty_usd > 0.5:
        note += (
            f" Not included: the {money(c.penalty_usd)} penalty for {number(c.gpus_unmet)} GPUs "
            "not delivered."
        )
    return table(
        "cost-by-stage",
        "Cost per GPU delivered by stage (NPV)",
        ("Stage", *[COMPONENT_LABELS.get(k, k) for k in comps], "Total", "Per GPU delivered"),
        rows,
        "l" + "r" * (len(comps) + 2),
        total=("Total", *["" for _ in comps], money(c.total_usd), rate(total_per)),
        note=note,
    )


def _tool_table(n: SupplyChainNumbers):
    t = n.tools
    tools = sorted(t["tool"].unique())
    wide = t.set_index(["year", "tool"])
    years = sorted(t["year"].unique())
    cols = [
        (k, f"{k} {what}") for k in tools for what in ("supply to date", "used to date", "headroom")
    ]
    field = {
        "supply to date": "cumulative_supply_units",
        "used to date": "cumulative_used_units",
        "headroom": "headroom_units",
    }
    rows = [
        (
            year(y),
            *[number(wide.loc[(y, k), field[c.removeprefix(f"{k} ")]], 1) for k, c in cols],
        )
        for y in years
    ]
    up = [f"{k}: {', '.join(str(y) for y in ys)}" for k, ys in n.used_up.items() if ys]
    return table(
        "tool-use",
        "Tools used against tool supply (units to date)",
        ("Year", *[c for _, c in cols]),
        rows,
        "l" + "r" * len(cols),
        limit=MAX_ROWS,
        source="tool_use.csv",
        note="Supply to date: tools delivered up to that year (tools.csv); used to date: tools "
        "needed by the capacity decided up to that year (tool_use.csv). Headroom 0 means the "
        "supply is used up" + (f" ({'; '.join(up)})." if up else "; no tool's supply is used up."),
    )


def _balance_table(n: SupplyChainNumbers):
    b = n.balance
    rows = [
        (
            year(r.year),
            r.label,
            number(r.units_made),
            number(r.units_needed),
            number(max(r.surplus, 0.0)),
        )
        for r in b.itertuples()
    ]
    stages = b["label"].nunique()
    return table(
        "stage-balance",
        f"Stage balance: units made and needed, {n.balance_basis}",
        ("Year", "Stage", "Units made", "Units needed", "Surplus"),
        rows,
        "llrrr",
        limit=MAX_ROWS,
        source="stages.csv",
        note=f"{stages} stage{plural(stages)}, all products together; units are each stage's "
        "own (logic dies, memory stacks, packaged GPUs), needed = units per GPU x GPUs assembled. "
        "Every year: stages.csv or plan.xlsx.",
    )
