"""Whether the two compared plans face the same demand (issue 15, section 3).

A deterministic plan and a hedged one, or plans of different scenarios or demand.csv, answer
different questions: plan B's "18% more cost" may be the cost of serving more GPUs, not of worse
decisions. compare says so in one sentence before any percentage (first warning).
"""

from __future__ import annotations

import math

import pandas as pd

from optimizer.plan import statistics
from optimizer.plan.read import Plan
from optimizer.render.fmt import count, pct

GPU_TOL = 0.5  # GPUs: demand tables closer than this per row are the same demand
KEYS = ["scenario", "product", "market", "year"]


def demand_sentence(a: Plan, b: Plan) -> str | None:
    """One sentence when the plans face different demand scenarios or demand; None when they
    face the same."""
    wa, wb = dict(a.scenario_weights), dict(b.scenario_weights)
    same_weights = set(wa) == set(wb) and all(math.isclose(wa[k], wb[k]) for k in wa)
    if same_weights and _same_demand(a, b):
        return None
    totals = ""
    if a.has("demand") and b.has("demand"):
        da, db = statistics.headline(a).gpus_demanded, statistics.headline(b).gpus_demanded
        totals = (
            f" ({count(da)} GPUs expected over the horizon in plan A, {count(db)} in plan B)"
            if not math.isclose(da, db, rel_tol=1e-9, abs_tol=GPU_TOL)
            else f" ({count(da)} GPUs expected over the horizon in both)"
        )
    if same_weights:
        what = f"different demand{totals}"
    else:
        what = f"different demand: plan A {_scenarios(wa)}, plan B {_scenarios(wb)}{totals}"
    return (
        f"The two plans face {what}, so the differences below, in percent or in dollars, mix "
        "what each plan decides with the demand it plans for."
    )


def _scenarios(weights: dict[str, float]) -> str:
    """'plans for one scenario (base)' / 'hedges 3 scenarios (low 25%, base 50%, high 25%)'."""
    if len(weights) <= 1:
        return f"plans for one demand scenario ({next(iter(weights), 'base')})"
    listed = ", ".join(f"{k} {pct(v, 0)}" for k, v in weights.items())
    return f"hedges {len(weights)} demand scenarios ({listed})"


def _same_demand(a: Plan, b: Plan) -> bool:
    """The two demand tables hold the same GPUs row by row; without demand.csv in a plan, the
    recorded demand.csv hash and demand overrides (summary.json) decide."""
    if a.has("demand") and b.has("demand"):
        ta, tb = (p["demand"].groupby(KEYS)["gpus"].sum() for p in (a, b))
        both = pd.concat([ta.rename("a"), tb.rename("b")], axis=1).fillna(0.0)
        return bool(((both["a"] - both["b"]).abs() <= GPU_TOL).all())
    return _recorded(a) == _recorded(b)


def _recorded(plan: Plan) -> tuple:
    """demand.csv's hash and the demand overrides, as summary.json records them."""
    inputs = plan.summary.get("inputs") or {}
    overrides = plan.summary.get("overrides") or {}
    demand = sorted((k, str(v)) for k, v in overrides.items() if str(k).startswith("demand"))
    return inputs.get("demand.csv"), tuple(demand)
