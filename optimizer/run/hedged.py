"""Hedged solve (`fabplan solve --stochastic`): one plan for every demand scenario at once.

Builds, modules, opening and contracted MW are shared; operations are per scenario, weighted by
the scenarios' probabilities in the case. With --cvar at risk weight 1 a second pass makes the
expected cost least at the optimal CVaR. Then the value of the hedged plan (Birge and Louveaux):

- WS (wait-and-see): each scenario solved with its own optimal plan; WS = sum_w p(w) cost_w*.
- RP (recourse problem): the expected cost of the hedged (two-stage, risk-neutral) plan.
- EEV: the mean-demand plan's first-stage decisions fixed, operations re-optimised per scenario.
- EVPI = RP - WS >= 0 (what perfect foresight would be worth); VSS = EEV - RP >= 0 (what hedging
  saves against planning for the average).
- Regret: every single-scenario plan (and the mean and hedged plans) evaluated in every scenario,
  against that scenario's own optimum.

The first-stage decisions fixed are the physical ones (builds, modules, opening, contracted MW);
funding is re-optimised with them, which gives the same least-cost financing for those builds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from optimizer import console
from optimizer.inputs import Case
from optimizer.model import ModelOptions, risk
from optimizer.model.nonanticipativity import decided_before
from optimizer.run.request import SolveRequest
from optimizer.run.steps import build_and_solve
from optimizer.solve import SolverOptions, compile_model, solve
from optimizer.staged import StackedContext, build_for, scenario_solution

if TYPE_CHECKING:
    from optimizer.run.steps import Solved

PENALTY = "unmet_demand"  # the cost component priced at the notional penalty per GPU unmet
# the physical first-stage decisions an evaluation fixes (mw_year: min_mw; gen_build, sto_mw and
# sto_mwh: generation and storage the partners build, issue 14)
FIXED_BLOCKS = (
    "build",
    "modules",
    "open",
    "mw",
    "mw_year",
    "run",
    "pick",
    "gen_build",
    "sto_mw",
    "sto_mwh",
)


@dataclass
class Measures:
    summary: dict
    regret: pd.DataFrame


def hedged_case(case: Case) -> Case:
    """The case over every scenario with a positive probability."""
    probabilities = case.scenario_probabilities
    dropped = [k for k, v in probabilities.items() if v <= 0]
    if dropped:
        # a scenario with probability 0 carries no weight: its operations would be arbitrary
        console.warn(f"scenarios with probability 0 are left out: {', '.join(dropped)}")
    return case.for_scenarios({k: v for k, v in probabilities.items() if v > 0})


def least_expected_cost_at_cvar(
    case: Case, req: SolveRequest, out_dir: Path, solved: Solved, timings: dict[str, float]
) -> tuple[Solved, float]:
    """(ctx, compiled, sol) and the objective in USD; at risk weight 1 (pure CVaR) the model
    is solved again with CVaR held at its optimum, to make the expected cost least
    (lexicographic)."""
    m_opts = req.model_options()
    ctx, _, sol = solved
    if not risk.needs_second_pass(m_opts):
        return solved, sol.objective * ctx.scale.usd
    cap = risk.cvar_value(ctx, sol)
    m_opts = replace(m_opts, cvar_cap=cap * (1 + 1e-9) + 1e-9)
    with console.step("second pass: least expected cost at that CVaR", timings, "pass2_s"):
        solved = build_and_solve(case, m_opts, req.solver_options(), out_dir)
    ctx, _, sol = solved
    return solved, risk.cvar_value(ctx, sol) * ctx.scale.usd


def add_value_measures(
    case: Case,
    req: SolveRequest,
    solved: Solved,
    summary: dict,
    tables: dict[str, pd.DataFrame],
    timings: dict[str, float],
) -> None:
    """Put EVPI, VSS (summary.json) and the regret table (regret.csv) into the plan."""
    if len(case.scenarios) < 2:
        return
    ctx, _, sol = solved
    with console.step("EVPI, VSS and regret", timings, "measures_s"):
        measures = value_measures(case, req.model_options(), req.solver_options(), ctx, sol)
    summary.update(measures.summary)
    tables["regret"] = measures.regret


def _expected_cost(ctx, sol) -> float:
    """Expected NPV cost (risk terms excluded) of a solved model."""
    return _cost_parts(ctx, sol)[0]


def _cost_parts(ctx, sol) -> tuple[float, float]:
    """(expected NPV cost, its unmet-demand penalty part), risk terms excluded: the penalty is
    a notional price on GPUs not delivered, so the report shows it apart from the cash."""
    total = penalty = 0.0
    for component, block, pos, coef in ctx.costs:
        if component in ("cvar", "elastic_penalty"):
            continue
        value = float(coef @ sol.x[block][pos])
        total += value
        if component == PENALTY:
            penalty += value
    return total * ctx.scale.usd, penalty * ctx.scale.usd


def _first_stage(ctx, sol, stage_year: int | None = None) -> dict:
    """The plan's physical first-stage decisions; under a stage year only the decide-now part
    (NaN where decided later: an evaluation re-optimises those per scenario)."""
    out = {}
    for b in FIXED_BLOCKS:
        if b not in ctx.blocks:
            continue
        x = sol.x[b].copy()
        if stage_year is not None:
            x[~decided_before(ctx.blocks[b], stage_year)] = float("nan")
        out[b] = x
    return out


def _solve(case: Case, m_opts: ModelOptions, s_opts: SolverOptions, fixed: dict | None = None):
    """Solve over the case's scenarios (staged under a stage year: optimizer/staged) with the
    `fixed` first-stage decisions (block -> values; one-scenario cases only)."""
    ctx = build_for(case, m_opts)
    for block, values in (fixed or {}).items():
        ctx.fix(block, values)
    sol = solve(ctx, compile_model(ctx), s_opts)
    if not sol.has_solution:
        raise RuntimeError(f"evaluation solve ended {sol.termination}")
    return ctx, sol


def mean_demand_case(case: Case) -> Case:
    """The expected-value problem: one scenario 'mean' with probability-weighted demand."""
    scenarios = case.scenario_probabilities
    d = case.demand[case.demand["scenario"].isin(list(scenarios))]
    keys = ["product", "market", "year"]
    grid = d[keys].drop_duplicates()
    full = grid.merge(pd.DataFrame({"scenario": list(scenarios)}), how="cross").merge(
        d[[*keys, "scenario", "gpus"]], on=[*keys, "scenario"], how="left"
    )
    full["gpus"] = full["gpus"].fillna(0.0) * full["scenario"].map(scenarios)
    mean = full.groupby(keys, as_index=False)["gpus"].sum().assign(scenario="mean", _line=-1)
    return replace(case, demand=mean[["scenario", *keys, "gpus", "_line"]]).for_scenarios(
        {"mean": 1.0}
    )


def value_measures(
    case: Case,
    m_opts: ModelOptions,
    s_opts: SolverOptions,
    hedged_ctx,
    hedged_sol,
) -> Measures:
    """EVPI, VSS and the regret table of the hedged plan over the case's scenarios.

    Under a stage year (a staged hedged plan) every plan is evaluated with its decisions before
    the stage year fixed and the later ones re-optimised per scenario: that is what a plan
    commits to, and what EEV and regret measure."""
    scenarios = case.scenario_probabilities
    staged = isinstance(hedged_ctx, StackedContext)
    stage_year = hedged_ctx.stage_year if staged else None
    neutral = replace(m_opts, cvar_alpha=None, risk_weight=0.0)
    if m_opts.cvar_alpha is not None:  # the risk-neutral plan (staged like the hedged one)
        rp_ctx, rp_sol = _solve(case, neutral, s_opts)
    else:
        rp_ctx, rp_sol = hedged_ctx, hedged_sol
    rp, rp_penalty = _cost_parts(rp_ctx, rp_sol)

    own: dict[str, dict] = {}
    best: dict[str, tuple[float, float]] = {}
    for w in scenarios:
        ctx, sol = _solve(case.for_scenarios({w: 1.0}), neutral, s_opts)
        own[w] = _first_stage(ctx, sol, stage_year)
        best[w] = _cost_parts(ctx, sol)
    ws = sum(p * best[w][0] for w, p in scenarios.items())
    ws_penalty = sum(p * best[w][1] for w, p in scenarios.items())

    ev_ctx, ev_sol = _solve(mean_demand_case(case), neutral, s_opts)
    plans = {
        **{f"{w} plan": x for w, x in own.items()},
        "mean-demand plan": _first_stage(ev_ctx, ev_sol, stage_year),
    }
    if staged:  # its decide-now decisions: those of any copy (they are tied), the first's
        first = hedged_ctx.first
        first_sol = scenario_solution(hedged_ctx, hedged_sol, first)
        plans["hedged plan"] = _first_stage(hedged_ctx.copies[first], first_sol, stage_year)
    else:
        plans["hedged plan"] = _first_stage(hedged_ctx, hedged_sol)

    rows = []
    for plan, fixed in plans.items():
        for w, p in scenarios.items():
            if plan == f"{w} plan":
                cost, penalty = best[w]
            else:
                ctx, sol = _solve(case.for_scenarios({w: 1.0}), neutral, s_opts, fixed)
                cost, penalty = _cost_parts(ctx, sol)
            rows.append(
                {
                    "plan": plan,
                    "scenario": w,
                    "probability": p,
                    "cost_usd": cost,
                    "best_cost_usd": best[w][0],
                    "regret_usd": cost - best[w][0],
                    "cost_penalty_usd": penalty,
                    "best_penalty_usd": best[w][1],
                    "regret_penalty_usd": penalty - best[w][1],
                }
            )
    regret = pd.DataFrame(rows)
    mean_rows = regret[regret["plan"] == "mean-demand plan"]
    eev = float((mean_rows["cost_usd"] * mean_rows["probability"]).sum())
    eev_penalty = float((mean_rows["cost_penalty_usd"] * mean_rows["probability"]).sum())
    console.detail(f"RP {rp:,.0f}  WS {ws:,.0f}  EEV {eev:,.0f}")
    return Measures(
        summary={
            "evpi_usd": rp - ws,
            "vss_usd": eev - rp,
            "rp_usd": rp,
            "ws_usd": ws,
            "eev_usd": eev,
            # the same measures counting only the notional unmet-demand penalty
            "evpi_penalty_usd": rp_penalty - ws_penalty,
            "vss_penalty_usd": eev_penalty - rp_penalty,
            "rp_penalty_usd": rp_penalty,
            "ws_penalty_usd": ws_penalty,
            "eev_penalty_usd": eev_penalty,
        },
        regret=regret,
    )
