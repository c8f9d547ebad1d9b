"""The planning model, composed from one module per concern (the way SWITCH composes modules).

Each module exposes `add(ctx)` (its sets, variables, constraints and cost terms) and
`extract(ctx, sol)` (its result tables). A new concern is one new module added to MODULES.
"""

from __future__ import annotations

from pyomo.common.gc_manager import PauseGC

from optimizer.contract import COST_COMPONENTS
from optimizer.inputs.case import Case
from optimizer.model import capacity, energy, finance, policy, production, risk
from optimizer.model.context import ModelContext, ModelOptions, Scale, TrivialInfeasibility

MODULES = (capacity, production, energy, finance, policy, risk)  # risk last: it reads all costs


__all__ = [
    "COST_COMPONENTS",
    "MODULES",
    "ModelContext",
    "ModelOptions",
    "Scale",
    "TrivialInfeasibility",
    "build_model",
]


def build_model(
    case: Case, scenarios: dict[str, float], options: ModelOptions | None = None
) -> ModelContext:
    """Build the Pyomo model for `case` over `scenarios` (name -> probability)."""
    ctx = ModelContext(case=case, scenarios=scenarios, options=options or ModelOptions())
    with PauseGC():
        for module in MODULES:
            module.add(ctx)
        ctx.build_objective()
    return ctx
