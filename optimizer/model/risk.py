"""Risk aversion: CVaR of scenario cost in the objective (Rockafellar-Uryasev linearisation).

Only active with `--cvar ALPHA --risk-weight LAMBDA`. The objective becomes
(1-LAMBDA) E[cost] + LAMBDA (eta + 1/(1-ALPHA) sum_w p(w) z_w) with z_w >= cost_w - eta, z >= 0,
where cost_w is the whole NPV cost of scenario w (first-stage costs plus that scenario's
operations). At the optimum eta is the value at risk and the bracket is CVaR_ALPHA.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.context import RISK_COMPONENTS, ModelContext, terms_frame
from optimizer.model.registry import Concern, Family


def active(ctx: ModelContext) -> bool:
    return ctx.options.cvar_alpha is not None and ctx.options.risk_weight > 0


def scenario_cost_terms(ctx: ModelContext) -> pd.DataFrame:
    """Every objective term assigned to the scenario costs it belongs to, unweighted by p(w):
    columns scenario, component, block, pos, coef. First-stage terms appear once per scenario."""
    scenarios = list(ctx.scenarios)
    frames = []
    for component, block, pos, coef in ctx.costs:
        if component in RISK_COMPONENTS:
            continue
        scen = ctx.scenario_of(block, pos)
        if scen is None:
            for w in scenarios:
                frames.append(
                    pd.DataFrame(
                        {
                            "scenario": w,
                            "component": component,
                            "block": block,
                            "pos": pos,
                            "coef": coef,
                        }
                    )
                )
        else:
            p = pd.Series(scen).map(ctx.scenarios).to_numpy()
            frames.append(
                pd.DataFrame(
                    {
                        "scenario": scen,
                        "component": component,
                        "block": block,
                        "pos": pos,
                        "coef": coef / p,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def add(ctx: ModelContext) -> None:
    if not active(ctx):
        return
    s = ctx.scale
    alpha, lam = float(ctx.options.cvar_alpha), float(ctx.options.risk_weight)
    scenarios = pd.DataFrame({"scenario": list(ctx.scenarios)})
    n = len(scenarios)
    ctx.add_vars("var_eta", pd.DataFrame({"total": ["value at risk"]}), s.usd, lb=-np.inf)
    ctx.add_vars("cvar_excess", scenarios, s.usd, lb=0.0)

    # z_w + eta - cost_w >= 0
    t = scenario_cost_terms(ctx)
    row = t["scenario"].map(dict(zip(scenarios["scenario"], range(n), strict=True)))
    parts = [
        terms_frame(row[g.index], block, g["pos"], -g["coef"])
        for block, g in t.groupby("block", sort=False)
    ]
    parts.append(terms_frame(np.arange(n), "cvar_excess", np.arange(n), 1.0))
    parts.append(terms_frame(np.arange(n), "var_eta", np.zeros(n), 1.0))
    ctx.add_constraints("cvar", scenarios, pd.concat(parts), ">=", 0.0)
    p = ctx.prob(scenarios["scenario"])
    ctx.add_cost("cvar", "var_eta", np.array([0]), np.array([lam]))
    ctx.add_cost("cvar", "cvar_excess", np.arange(n), lam * p / (1.0 - alpha))
    if ctx.options.cvar_cap is not None:
        # eta + 1/(1-alpha) sum_w p(w) z_w <= cap
        terms = pd.concat(
            [
                terms_frame([0], "var_eta", [0], 1.0),
                terms_frame(np.zeros(n), "cvar_excess", np.arange(n), p / (1.0 - alpha)),
            ]
        )
        ctx.add_constraints(
            "cvar_cap",
            pd.DataFrame({"total": ["CVaR"]}),
            terms,
            "<=",
            ctx.options.cvar_cap,
        )


def needs_second_pass(options) -> bool:
    """At risk_weight 1 the expected cost has no weight: re-solve to make it least."""
    return options.cvar_alpha is not None and options.risk_weight >= 1.0


def cvar_value(ctx: ModelContext, sol) -> float:
    """eta + 1/(1-alpha) sum_w p(w) z_w at the solution, in model money units."""
    alpha = float(ctx.options.cvar_alpha)
    p = ctx.prob(list(ctx.scenarios))
    return float(sol.x["var_eta"][0] + (p * sol.x["cvar_excess"]).sum() / (1.0 - alpha))


_CVAR_SOURCE = "scenarios.csv probability (with --cvar ALPHA --risk-weight LAMBDA)"
CONCERN = Concern(
    name="risk",
    reads_all=True,  # the scenario costs it bounds are every other concern's cost terms
    families=(
        Family(  # the definition of the excess cost over the value at risk
            name="cvar",
            kind="balance",
            elastic=False,
            source=_CVAR_SOURCE,
            unit="USD",
            words="the CVaR of scenario costs (--cvar, --risk-weight)",
            binds="the cost of scenario {scenario} above the value at risk",
            infeasible=None,
        ),
        Family(  # second pass of a pure-CVaR plan: the CVaR found in the first pass
            name="cvar_cap",
            kind="balance",
            elastic=False,
            source=_CVAR_SOURCE,
            unit="USD",
            words="the CVaR held at its least value while the expected cost is minimised",
            binds="the CVaR is held at its least value",
            infeasible=None,
        ),
    ),
    add=add,
)
