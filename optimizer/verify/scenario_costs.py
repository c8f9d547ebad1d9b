"""scenario_costs.csv: the NPV cost of each scenario by component, recomputed from the plan
tables and the inputs (costs.recompute_by_scenario, the same independent formulas as costs.csv,
not weighted by probability), its total, and the probability of each scenario."""

from __future__ import annotations

import math

import numpy as np

from optimizer.verify.context import Context
from optimizer.verify.costs import COMPONENTS, recompute_by_scenario
from optimizer.verify.formatting import fmt
from optimizer.verify.tolerance import ABS_TOL_USD, COMPONENT_OBJECTIVE_REL_TOL, differs

FAMILY = "scenario costs"
NAME = "scenario_costs.csv"


def check_scenario_costs(ctx: Context) -> None:
    """Every cell of scenario_costs.csv against the recomputation (same tolerance as costs)."""
    table = ctx.plan.derived.get(NAME)
    f = ctx.findings
    if table is None:
        f.warn(FAMILY, f"the plan has no {NAME}; not checked")
        return
    mine = recompute_by_scenario(ctx)
    mine["total"] = mine[list(COMPONENTS)].sum(axis=1)
    objective = float(ctx.plan.summary.get("objective_usd") or 0.0)
    floor = max(ABS_TOL_USD, COMPONENT_OBJECTIVE_REL_TOL * abs(objective))
    columns = [(c, f"{c}_usd") for c in COMPONENTS] + [("total", "total_usd")]
    for _, col in columns:
        if col not in table.columns:
            f.violate(FAMILY, f"{NAME}: missing column {col} in the header")
    seen: set[str] = set()
    for row in table.itertuples(index=False):
        where = f"{NAME} line {row.csv_line}: scenario {row.scenario}"
        if row.scenario in seen:
            f.violate(FAMILY, f"{where}: a second row for this scenario")
            continue
        seen.add(row.scenario)
        if row.scenario not in mine.index:
            f.violate(FAMILY, f"{where}: not a scenario of this plan (summary.json scenarios)")
            continue
        p = float(ctx.probs[row.scenario])
        if not math.isclose(float(row.probability), p, rel_tol=1e-9, abs_tol=1e-12):
            f.violate(
                FAMILY,
                f"{where}: probability {fmt(row.probability)} but summary.json gives {fmt(p)}",
            )
        for component, col in columns:
            if col not in table.columns:
                continue
            theirs, ours = float(getattr(row, col)), float(mine.loc[row.scenario, component])
            if bool(differs(theirs, ours, floor)) or not np.isfinite(theirs):
                f.violate(
                    FAMILY,
                    f"{where}: {col} {fmt(theirs)} but recomputed from the plan tables "
                    f"{fmt(ours)} (difference {fmt(theirs - ours)})",
                )
    for scenario in mine.index.difference(sorted(seen)):
        # a plan without any cost term (e.g. no demand at all) has an empty pivot: no row
        if bool(np.any(differs(mine.loc[scenario].to_numpy(dtype=float), 0.0, floor))):
            f.violate(
                FAMILY,
                f"{NAME}: no row for scenario {scenario} of this plan (recomputed cost "
                f"{fmt(mine.loc[scenario, 'total'])} USD)",
            )
    f.checked(FAMILY, len(table) * len(columns))


# rank -> check: verify_plan runs the checks of every module in rank order
CHECKS = {160: check_scenario_costs}
