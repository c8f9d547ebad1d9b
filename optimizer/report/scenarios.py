"""The numbers of a hedged plan, scenario by scenario (no formatting here).

A hedged plan (`fabplan solve --stochastic`) shares its first-stage decisions (builds, contracts,
funding) across scenarios; its operations and costs differ per scenario. This module reads them
from scenario_costs.csv, production.csv, unmet.csv, demand.csv and regret.csv, and the value
measures (EVPI, VSS) from summary.json. numbers() gathers all of it into one HedgeNumbers bundle
for the report sections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.plan import statistics
from optimizer.plan.read import Plan

HEDGED_PLAN = "hedged plan"
MEAN_PLAN = "mean-demand plan"
TIE_TOLERANCE = 1e-6  # relative: plans whose worst-case regret differs less than this tie


def scenario_order(plan: Plan) -> list[str]:
    """Scenarios in the order of summary.json (the order of scenarios.csv)."""
    return list(plan.scenario_weights)


def scenario_costs(plan: Plan) -> pd.DataFrame:
    """scenario_costs.csv in scenario order: scenario, probability, <component>_usd, total_usd."""
    frame = plan["scenario_costs"].copy()
    order = {s: i for i, s in enumerate(scenario_order(plan))}
    frame["_order"] = frame["scenario"].map(order).fillna(len(order))
    return frame.sort_values(["_order", "scenario"]).drop(columns="_order").reset_index(drop=True)


def cost_components(frame: pd.DataFrame) -> list[str]:
    """The component columns of scenario_costs.csv (without the `_usd` suffix), in file order."""
    return [
        c.removesuffix("_usd") for c in frame.columns if c.endswith("_usd") and c != "total_usd"
    ]


def expected(values: pd.Series, probabilities: pd.Series) -> float:
    """Probability-weighted sum."""
    return float((values.astype(float) * probabilities.astype(float)).sum())


def cvar(costs: pd.Series, probabilities: pd.Series, alpha: float) -> float:
    """Conditional value at risk: the expected cost of the worst (1 - alpha) of outcomes.

    Discrete distribution: take the most expensive scenarios until their probability reaches
    1 - alpha, the last one only in part (Rockafellar and Uryasev 2002).
    """
    tail = 1.0 - alpha
    order = np.argsort(-costs.to_numpy(dtype=float), kind="stable")
    left, total = tail, 0.0
    for i in order:
        take = min(float(probabilities.iloc[i]), left)
        total += take * float(costs.iloc[i])
        left -= take
        if left <= 1e-12:
            break
    return total / tail


def outcomes_by_year(plan: Plan) -> pd.DataFrame:
    """scenario, year, demanded, served, unmet (GPUs): each scenario on its own, not weighted."""
    keys = ["scenario", "year"]
    served = statistics.delivered_frame(plan).groupby(keys)["gpus"].sum().rename("served")
    unmet = plan["unmet"].groupby(keys)["gpus"].sum().rename("unmet")
    frame = pd.concat([served, unmet], axis=1)
    if plan.has("demand"):
        frame = frame.join(
            plan["demand"].groupby(keys)["gpus"].sum().rename("demanded"), how="outer"
        )
    frame = frame.fillna({"served": 0.0, "unmet": 0.0})
    if "demanded" not in frame.columns:
        frame["demanded"] = np.nan
    frame["demanded"] = frame["demanded"].fillna(frame["served"] + frame["unmet"])
    grid = pd.MultiIndex.from_product([scenario_order(plan), plan.years], names=keys)
    frame = frame.reindex(grid, fill_value=0.0).reset_index()
    return frame[["scenario", "year", "demanded", "served", "unmet"]]


@dataclass(frozen=True)
class ValueMeasures:
    """Birge and Louveaux's measures from summary.json (NaN when the solve did not write them)."""

    evpi_usd: float
    vss_usd: float
    rp_usd: float  # expected cost of the risk-neutral hedged plan
    ws_usd: float  # expected cost with perfect foresight (each scenario's own plan)
    eev_usd: float  # expected cost of the mean-demand plan's decisions
    # the unmet-demand penalty part of each (NaN in plans written before issue 15)
    evpi_penalty_usd: float = math.nan
    vss_penalty_usd: float = math.nan
    rp_penalty_usd: float = math.nan
    ws_penalty_usd: float = math.nan
    eev_penalty_usd: float = math.nan

    @property
    def known(self) -> bool:
        return math.isfinite(self.evpi_usd) and math.isfinite(self.vss_usd)


def value_measures(plan: Plan) -> ValueMeasures:
    def get(key: str) -> float:
        v = plan.summary.get(key)
        ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        return float(v) if ok else float("nan")

    names = ("evpi", "vss", "rp", "ws", "eev")
    return ValueMeasures(
        *(get(f"{n}_usd") for n in names), *(get(f"{n}_penalty_usd") for n in names)
    )


@dataclass(frozen=True)
class Regret:
    """regret.csv pivoted: plans (rows) x scenarios (columns)."""

    cost: pd.DataFrame  # cost of each plan in each scenario (NPV USD)
    regret: pd.DataFrame  # cost minus that scenario's best cost
    best: pd.Series  # best cost per scenario (each scenario's own plan)
    probability: pd.Series  # per scenario
    summary: pd.DataFrame  # per plan: expected_cost, expected_regret, worst_regret, worst_in, rank
    least: list[str]  # plan(s) with the least worst-case regret
    penalty: pd.DataFrame | None = None  # regret's unmet-demand penalty part (None: not written)

    @property
    def plans(self) -> list[str]:
        return list(self.cost.index)


def regret(plan: Plan) -> Regret | None:
    """The regret table, or None when the plan has none."""
    frame = plan["regret"]
    if frame.empty:
        return None
    scenarios = [s for s in scenario_order(plan) if s in set(frame["scenario"])]
    scenarios += sorted(set(frame["scenario"]) - set(scenarios))
    plans = _plan_order(list(dict.fromkeys(frame["plan"])), scenarios)
    cost = frame.pivot_table(index="plan", columns="scenario", values="cost_usd", aggfunc="sum")
    reg = frame.pivot_table(index="plan", columns="scenario", values="regret_usd", aggfunc="sum")
    cost, reg = cost.loc[plans, scenarios], reg.loc[plans, scenarios]
    best = frame.groupby("scenario")["best_cost_usd"].first().loc[scenarios]
    prob = frame.groupby("scenario")["probability"].first().loc[scenarios]
    summary = pd.DataFrame(index=pd.Index(plans, name="plan"))
    summary["expected_cost"] = cost.mul(prob, axis=1).sum(axis=1)
    summary["expected_regret"] = reg.mul(prob, axis=1).sum(axis=1)
    summary["worst_regret"] = reg.max(axis=1)
    summary["worst_in"] = reg.idxmax(axis=1)
    worst = summary["worst_regret"]
    floor = float(worst.min())
    ties = worst <= floor + TIE_TOLERANCE * max(abs(floor), 1.0)
    summary["rank"] = worst.rank(method="min").astype(int)
    summary.loc[ties, "rank"] = 1
    penalty = None
    if "regret_penalty_usd" in frame.columns:
        penalty = frame.pivot_table(
            index="plan", columns="scenario", values="regret_penalty_usd", aggfunc="sum"
        ).loc[plans, scenarios]
        summary["expected_regret_penalty"] = penalty.mul(prob, axis=1).sum(axis=1)
    return Regret(cost, reg, best, prob, summary, [p for p in plans if ties[p]], penalty)


def _plan_order(plans: list[str], scenarios: list[str]) -> list[str]:
    """Each scenario's own plan in scenario order, then the mean-demand plan, then the hedged
    plan, then anything else."""
    own = [f"{s} plan" for s in scenarios if f"{s} plan" in plans]
    fixed = [p for p in (MEAN_PLAN, HEDGED_PLAN) if p in plans]
    return own + fixed + [p for p in plans if p not in own and p not in fixed]


@dataclass(frozen=True)
class CostSpread:
    """scenario_costs.csv with what the cost paragraph and table need."""

    frame: pd.DataFrame  # scenario, probability, <component>_usd, total_usd, in scenario order
    components: list[str]  # components non-zero in some scenario
    left_out: list[str]  # components zero in every scenario
    expected: dict[str, float]  # component (and "total") -> probability-weighted cost
    cvar_usd: float  # CVaR of the scenario costs at the plan's alpha (NaN when risk-neutral)
    tail: list[str]  # the scenarios that make up the CVaR tail


@dataclass(frozen=True)
class HedgeNumbers:
    """Every number the report shows about a hedged plan, computed before any formatting."""

    weights: dict[str, float]  # scenario -> probability
    risk: tuple[float, float] | None  # (alpha, weight) of a risk-averse plan
    objective_usd: float
    expected_cost_usd: float  # costs.csv without the risk adjustment
    costs: CostSpread | None  # None when the plan has no scenario_costs.csv
    values: ValueMeasures
    regret: Regret | None
    by_scenario: pd.DataFrame  # statistics.by_scenario
    outcomes: pd.DataFrame  # outcomes_by_year
    outcomes_wide: pd.DataFrame  # outcomes pivoted: year x (served|unmet, scenario)
    unmet_by_scenario: dict[str, float]  # scenario -> GPUs unmet over the horizon
    staged: str = ""  # sections.common.staged_label for a staged plan's view, else ""


def numbers(plan: Plan) -> HedgeNumbers:
    """The hedged plan's bundle from the plan statistics and the scenario tables."""
    frame = plan["costs"]
    cash = frame.loc[frame["component"] != "risk_adjustment", "npv_usd"]
    outcomes = outcomes_by_year(plan)
    unmet = plan["unmet"].groupby("scenario")["gpus"].sum()
    return HedgeNumbers(
        weights=dict(plan.scenario_weights),
        risk=plan.risk,
        objective_usd=plan.objective_usd,
        expected_cost_usd=float(cash.sum()),
        costs=_cost_spread(plan),
        values=value_measures(plan),
        regret=regret(plan),
        by_scenario=statistics.by_scenario(plan),
        outcomes=outcomes,
        outcomes_wide=outcomes.pivot_table(
            index="year", columns="scenario", values=["served", "unmet"]
        )
        if len(outcomes)
        else pd.DataFrame(),
        unmet_by_scenario={s: float(unmet.get(s, 0.0)) for s in plan.scenario_weights},
        staged=staged_label(plan),
    )


def _cost_spread(plan: Plan) -> CostSpread | None:
    if not plan.has("scenario_costs"):
        return None
    costs = scenario_costs(plan)
    if not len(costs):
        return None
    every = cost_components(costs)
    components = [c for c in every if (costs[f"{c}_usd"].abs() >= 0.5).any()]
    p = costs["probability"]
    weighted = {c: expected(costs[f"{c}_usd"], p) for c in components}
    weighted["total"] = expected(costs["total_usd"], p)
    alpha = plan.risk[0] if plan.risk is not None else None
    return CostSpread(
        frame=costs,
        components=components,
        left_out=[c for c in every if c not in components],
        expected=weighted,
        cvar_usd=float("nan") if alpha is None else cvar(costs["total_usd"], p, alpha),
        tail=[] if alpha is None else _tail_scenarios(costs, alpha),
    )


def _tail_scenarios(costs: pd.DataFrame, alpha: float) -> list[str]:
    """The most expensive scenarios that make up the worst (1 - alpha) of outcomes."""
    ranked = costs.sort_values("total_usd", ascending=False, kind="stable")
    out, mass = [], 0.0
    for s, p in zip(ranked["scenario"], ranked["probability"], strict=True):
        if mass >= 1 - alpha - 1e-12:
            break
        if p > 0:
            out.append(str(s))
        mass += float(p)
    return out


def staged_label(plan: Plan) -> str:
    """For a staged plan's view (one scenario's decisions): the sentence saying so, else ""."""
    shown = plan.summary.get("view_scenario")
    if shown is None:
        return ""
    stage = plan.summary.get("stage_year", plan.params.get("stage_year"))
    p = plan.scenario_weights.get(shown, float("nan"))
    return (
        f"Plan for scenario {shown} (the most probable, {p:.0%}); decisions before {stage} are "
        f"the same in every scenario, later ones differ by scenario (see Decide now, decide later)."
    )
