"""Value of the hedged plan (Birge and Louveaux): EVPI, VSS and the regret table.

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

import pandas as pd

from optimizer import console
from optimizer.model import ModelOptions, build_model
from optimizer.solve import compile_model, solve

FIXED_BLOCKS = ("build", "modules", "open", "mw")


@dataclass
class Measures:
    summary: dict
    regret: pd.DataFrame


def _expected_cost(ctx, sol) -> float:
    """Expected NPV cost (risk terms excluded) of a solved model."""
    total = 0.0
    for component, block, pos, coef in ctx.costs:
        if component not in ("cvar", "elastic_penalty"):
            total += float(coef @ sol.x[block][pos])
    return total * ctx.scale.usd


def _first_stage(ctx, sol) -> dict:
    return {b: sol.x[b].copy() for b in FIXED_BLOCKS if b in ctx.blocks}


def _solve(case, scenarios, m_opts, s_opts, fixed: dict | None = None):
    ctx = build_model(case, scenarios, m_opts)
    for block, values in (fixed or {}).items():
        for v, x in zip(ctx.blocks[block].objects, values.tolist(), strict=True):
            v.setlb(x)
            v.setub(x)
    sol = solve(ctx, compile_model(ctx), s_opts)
    if not sol.has_solution:
        raise RuntimeError(f"evaluation solve ended {sol.termination}")
    return ctx, sol


def mean_demand_case(case, scenarios: dict[str, float]):
    """The expected-value problem: one scenario 'mean' with probability-weighted demand."""
    d = case.demand[case.demand["scenario"].isin(list(scenarios))]
    keys = ["product", "market", "year"]
    grid = d[keys].drop_duplicates()
    full = grid.merge(pd.DataFrame({"scenario": list(scenarios)}), how="cross").merge(
        d[[*keys, "scenario", "gpus"]], on=[*keys, "scenario"], how="left"
    )
    full["gpus"] = full["gpus"].fillna(0.0) * full["scenario"].map(scenarios)
    mean = full.groupby(keys, as_index=False)["gpus"].sum().assign(scenario="mean", _line=-1)
    return replace(case, demand=mean[["scenario", *keys, "gpus", "_line"]])


def value_measures(
    case, scenarios, m_opts: ModelOptions, s_opts, hedged_ctx, hedged_sol
) -> Measures:
    neutral = replace(m_opts, cvar_alpha=None, risk_weight=0.0)
    if m_opts.cvar_alpha is not None:
        rp_ctx, rp_sol = _solve(case, scenarios, neutral, s_opts)
    else:
        rp_ctx, rp_sol = hedged_ctx, hedged_sol
    rp = _expected_cost(rp_ctx, rp_sol)

    own: dict[str, dict] = {}
    best: dict[str, float] = {}
    for w in scenarios:
        ctx, sol = _solve(case, {w: 1.0}, neutral, s_opts)
        own[w] = _first_stage(ctx, sol)
        best[w] = _expected_cost(ctx, sol)
    ws = sum(p * best[w] for w, p in scenarios.items())

    ev_ctx, ev_sol = _solve(mean_demand_case(case, scenarios), {"mean": 1.0}, neutral, s_opts)
    plans = {
        **{f"{w} plan": x for w, x in own.items()},
        "mean-demand plan": _first_stage(ev_ctx, ev_sol),
    }
    plans["hedged plan"] = _first_stage(hedged_ctx, hedged_sol)

    rows = []
    for plan, fixed in plans.items():
        for w, p in scenarios.items():
            if plan == f"{w} plan":
                cost = best[w]
            else:
                ctx, sol = _solve(case, {w: 1.0}, neutral, s_opts, fixed)
                cost = _expected_cost(ctx, sol)
            rows.append(
                {
                    "plan": plan,
                    "scenario": w,
                    "probability": p,
                    "cost_usd": cost,
                    "best_cost_usd": best[w],
                    "regret_usd": cost - best[w],
                }
            )
    regret = pd.DataFrame(rows)
    eev = float(
        (
            regret.loc[regret["plan"] == "mean-demand plan", ["cost_usd", "probability"]].prod(
                axis=1
            )
        ).sum()
    )
    console.detail(f"RP {rp:,.0f}  WS {ws:,.0f}  EEV {eev:,.0f}")
    return Measures(
        summary={
            "evpi_usd": rp - ws,
            "vss_usd": eev - rp,
            "rp_usd": rp,
            "ws_usd": ws,
            "eev_usd": eev,
        },
        regret=regret,
    )
