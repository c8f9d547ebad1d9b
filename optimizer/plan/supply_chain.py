"""The supply-chain numbers of the report (issue 12): which stage limits output in which year,
capacity and cost by stage, tool use against supply, and the stage balance.

Pandas only, from the plan tables (stages.csv, tool_use.csv, site_costs.csv, sites.csv,
capacity.csv, binding.csv); nothing here reads the data folder or the model. A "stage" is a
process group (logic, memory, packaging) when the plan has more than one group, else a process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.plan import statistics
from optimizer.plan.read import Plan

# site_costs components charged to a stage's sites, in the order the report shows them
SITE_COMPONENTS = [
    "operations",
    "operator_opex",
    "financing",
    "site_fixed",
    "energy",
    "carbon",
    "energy_capacity",
]
NOT_A_GPU_COST = ("unmet_demand", "risk_adjustment")  # not a cost of the GPUs delivered
SHARED = "Shipping and energy contracts"
USED_UP_TOLERANCE = 1e-6  # relative: cumulative use within this of supply counts as used up


def modelled(plan: Plan) -> bool:
    """A supply chain is modelled: some stage comes before assembly, or tools are limited."""
    stages = plan["stages"] if plan.has("stages") else pd.DataFrame()
    upstream = len(stages) > 0 and bool((stages["final"].astype(int) == 0).any())
    return upstream or (plan.has("tool_use") and len(plan["tool_use"]) > 0)


def site_stages(plan: Plan) -> pd.DataFrame:
    """site, process, group, stage (the label the report groups by), final (0/1)."""
    sites = plan["sites"] if plan.has("sites") else pd.DataFrame(columns=["site", "node"])
    frame = pd.DataFrame({"site": sites["site"].astype(str), "process": sites["node"]})
    frame["process"] = frame["process"].fillna("").astype(str)
    if "group" in sites.columns:
        frame["group"] = sites["group"].fillna("").astype(str).to_numpy()
    else:
        frame["group"] = ""
    by_groups = frame.loc[frame["group"] != "", "group"].nunique() > 1
    frame["stage"] = np.where(by_groups & (frame["group"] != ""), frame["group"], frame["process"])
    frame["stage"] = frame["stage"].replace("", "other")
    final = set()
    if plan.has("stages"):
        s = plan["stages"]
        final = set(s.loc[s["final"].astype(int) == 1, "process"].astype(str))
    frame["final"] = frame["process"].isin(final).astype(int)
    return frame


def stage_order(stages: pd.DataFrame) -> list[str]:
    """Stages upstream first (alphabetical), the final (assembly) stage last."""
    order = stages.groupby("stage")["final"].max().reset_index()
    return order.sort_values(["final", "stage"])["stage"].tolist()


def process_label(stages: pd.DataFrame) -> pd.Series:
    """process -> "HBM memory" (its group named when groups differ), else the process."""
    table = stages.drop_duplicates("process").set_index("process")
    grouped = stages["group"].replace("", np.nan).dropna().nunique() > 1
    if not grouped:
        return pd.Series(table.index, index=table.index)
    return pd.Series(
        [
            p if not g or g == p else f"{p} {g}"
            for p, g in zip(table.index, table["group"], strict=True)
        ],
        index=table.index,
    )


def bottlenecks(plan: Plan) -> pd.DataFrame:
    """Per year with a binding capacity row: the process whose capacity rows have the largest
    summed impact (NPV USD; rows of every scenario add up, their shadow prices already weight
    them by probability), and that impact. Columns year, process, label, impact_usd."""
    bind = plan["binding"] if plan.has("binding") else pd.DataFrame()
    if bind.empty:
        return pd.DataFrame(columns=["year", "process", "label", "impact_usd"])
    stages = site_stages(plan)
    rows = bind.loc[bind["family"] == "capacity", ["site", "year", "impact_usd", "shadow_price"]]
    cap = rows.merge(stages, on="site", how="inner")
    cap = cap.assign(impact_usd=pd.to_numeric(cap["impact_usd"], errors="coerce").fillna(0.0))
    cap = cap.assign(price=pd.to_numeric(cap["shadow_price"], errors="coerce").abs().fillna(0.0))
    if cap.empty:
        return pd.DataFrame(columns=["year", "process", "label", "impact_usd"])
    per = cap.groupby(["year", "process"], as_index=False).agg(
        impact_usd=("impact_usd", "sum"), rows=("site", "size")
    )
    top = per.sort_values(["year", "impact_usd", "rows", "process"], ascending=[1, 0, 0, 1])
    top = top.drop_duplicates("year").reset_index(drop=True)
    top["year"] = top["year"].astype(int)
    top["label"] = top["process"].map(process_label(stages))
    return top[["year", "process", "label", "impact_usd"]]


def runs(frame: pd.DataFrame, column: str) -> list[tuple[int, int, str]]:
    """Consecutive years with the same value merged: [(first, last, value), ...]."""
    out: list[tuple[int, int, str]] = []
    for y, v in zip(frame["year"].astype(int), frame[column].astype(str), strict=True):
        if out and out[-1][2] == v and out[-1][1] == y - 1:
            out[-1] = (out[-1][0], y, v)
        else:
            out.append((y, y, v))
    return out


def tool_table(plan: Plan) -> pd.DataFrame:
    """tool_use.csv with headroom (cumulative supply - cumulative use) and a used_up flag."""
    if not plan.has("tool_use") or plan["tool_use"].empty:
        return pd.DataFrame(
            columns=["tool", "year", "cumulative_supply_units", "cumulative_used_units"]
        )
    t = plan["tool_use"].sort_values(["tool", "year"]).reset_index(drop=True)
    t["headroom_units"] = t["cumulative_supply_units"] - t["cumulative_used_units"]
    tol = USED_UP_TOLERANCE * t["cumulative_supply_units"].abs().clip(lower=1.0)
    t["used_up"] = (t["cumulative_supply_units"] > 0) & (t["headroom_units"] <= tol)
    return t


def used_up_years(tools: pd.DataFrame) -> dict[str, list[int]]:
    """tool -> the years its supply to date is all used."""
    if tools.empty:
        return {}
    up = tools[tools["used_up"]]
    return {
        str(k): sorted(int(y) for y in up.loc[up["tool"] == k, "year"])
        for k in sorted(tools["tool"].unique())
    }


def capacity_by_process(plan: Plan) -> pd.DataFrame:
    """Wide frame year x process label: installed wspm (processes never installed dropped)."""
    stages = site_stages(plan)
    cap = plan["capacity"].merge(stages[["site", "process"]], on="site", how="left")
    cap["process"] = cap["process"].fillna("other").replace("", "other")
    wide = cap.pivot_table(
        index="year", columns="process", values="installed_wspm", aggfunc="sum", fill_value=0.0
    )
    wide = wide.loc[:, (wide > 0).any()]
    labels = process_label(stages)
    order = sorted(wide.columns, key=lambda p: (_is_final(stages, p), str(p)))
    wide = wide[order]
    wide.columns = [labels.get(p, p) for p in wide.columns]
    return wide


def _is_final(stages: pd.DataFrame, process: str) -> int:
    return int(stages.loc[stages["process"] == process, "final"].max() or 0)


@dataclass(frozen=True)
class StageCosts:
    """Cost per GPU delivered by stage; `table` rows are stages then SHARED, columns the site
    components present, total_usd and usd_per_gpu."""

    table: pd.DataFrame
    components: list[str]
    total_usd: float  # objective - risk adjustment - unmet-demand penalty
    gpus_delivered: float  # expected
    penalty_usd: float  # NPV of the unmet-demand penalty (not in the table)
    gpus_unmet: float  # expected
    shipping_usd: float  # in the SHARED row
    contracts_usd: float  # energy-contract charges not tied to a site, in the SHARED row


def stage_costs(plan: Plan) -> StageCosts:
    """site_costs.csv split by stage, divided by expected GPUs delivered; the total equals the
    executive summary's cost per GPU delivered (the penalty and risk adjustment left out)."""
    costs = plan["site_costs"].copy()
    costs["site"] = costs["site"].fillna("").astype(str)
    stages = site_stages(plan)
    costs = costs.merge(stages[["site", "stage"]], on="site", how="left")
    blank = costs["site"] == ""
    costs.loc[blank, "stage"] = SHARED
    costs["stage"] = costs["stage"].fillna("other")
    penalty = float(costs.loc[costs["component"] == "unmet_demand", "npv_usd"].sum())
    costs = costs[~costs["component"].isin(NOT_A_GPU_COST)]
    present = set(costs.loc[~blank.loc[costs.index] & (costs["npv_usd"] != 0), "component"])
    components = [c for c in SITE_COMPONENTS if c in present]
    components += sorted(present - set(components))
    wide = costs.pivot_table(
        index="stage", columns="component", values="npv_usd", aggfunc="sum", fill_value=0.0
    )
    order = [s for s in stage_order(stages) if s in wide.index]
    order += sorted(s for s in wide.index if s not in order and s != SHARED)
    order += [SHARED] if SHARED in wide.index else []
    wide = wide.reindex(index=order, columns=components, fill_value=0.0)
    wide["total_usd"] = costs.groupby("stage")["npv_usd"].sum().reindex(order).fillna(0.0)
    delivered = float(
        statistics.expected(statistics.delivered_frame(plan), ["year"], ["gpus"], plan)[
            "gpus"
        ].sum()
    )
    wide["usd_per_gpu"] = wide["total_usd"] / delivered if delivered > 0 else np.nan
    unmet = float(statistics.expected(plan["unmet"], ["year"], ["gpus"], plan)["gpus"].sum())
    shared = costs[costs["stage"] == SHARED]
    return StageCosts(
        shipping_usd=float(shared.loc[shared["component"] == "shipping", "npv_usd"].sum()),
        contracts_usd=float(shared.loc[shared["component"] != "shipping", "npv_usd"].sum()),
        table=wide,
        components=components,
        total_usd=float(wide["total_usd"].sum()),
        gpus_delivered=delivered,
        penalty_usd=penalty,
        gpus_unmet=unmet,
    )


def stage_balance(plan: Plan, years: list[int]) -> tuple[pd.DataFrame, str]:
    """Units made and needed per process and year (summed over products), for the plan's
    scenario (a one-scenario plan) or expected over the scenarios (a hedged plan); and which."""
    s = plan["stages"]
    weights = plan.scenario_weights
    scenario = str(plan.summary.get("scenario") or "")
    if len(weights) > 1 or scenario not in set(s["scenario"]):
        frame = statistics.expected(s, ["process", "year"], ["units_made", "units_needed"], plan)
        basis = "expected over the scenarios"
    else:
        frame = (
            s[s["scenario"] == scenario]
            .groupby(["process", "year"], as_index=False)[["units_made", "units_needed"]]
            .sum()
        )
        basis = f"scenario {scenario}"
    frame = frame[frame["year"].isin(years)].copy()
    frame["surplus"] = frame["units_made"] - frame["units_needed"]
    stages = site_stages(plan)
    labels = process_label(pd.concat([stages, _stage_processes(s)], ignore_index=True))
    frame["label"] = frame["process"].map(labels).fillna(frame["process"])
    final = s.groupby("process")["final"].max()
    frame["final"] = frame["process"].map(final).fillna(0).astype(int)
    frame = frame.sort_values(["year", "final", "process"]).reset_index(drop=True)
    return frame, basis


def _stage_processes(s: pd.DataFrame) -> pd.DataFrame:
    """The processes of stages.csv as site_stages rows (for processes no site runs)."""
    rows = s.drop_duplicates("process")
    return pd.DataFrame(
        {
            "site": "",
            "process": rows["process"].astype(str),
            "group": rows["group"].fillna("").astype(str),
            "stage": "",
            "final": rows["final"].astype(int),
        }
    )


def milestone_years(years: list[int]) -> list[int]:
    """The first year, every fifth year after it, and the last."""
    if not years:
        return []
    first = years[0]
    return sorted({y for y in years if (y - first) % 5 == 0} | {years[-1]})
