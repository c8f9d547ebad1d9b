"""The planning model, composed from one module per concern (the way SWITCH composes modules).

Each concern module declares `CONCERN` (optimizer/model/registry.py): its constraint families,
the concerns it requires, `add(ctx)` (its sets, variables, constraints and cost terms) and
`extract(ctx, sol)` (its result tables). A new concern is one new module: the registry finds it
and orders it after what it requires (docs/adding-a-concern.md). A built model is numpy arrays;
its Pyomo statement is made only on demand (`ModelContext.pyomo()`), so a plain solve, the
registry and the report never import Pyomo.
"""

from __future__ import annotations

from optimizer.contract import COST_COMPONENTS
from optimizer.inputs.case import Case
from optimizer.model.context import (
    ModelContext,
    ModelOptions,
    Scale,
    TrivialInfeasibility,
    paused_gc,
)
from optimizer.model.registry import concerns

__all__ = [
    "COST_COMPONENTS",
    "ModelContext",
    "ModelOptions",
    "Scale",
    "TrivialInfeasibility",
    "build_model",
]


def build_model(
    case: Case, scenarios: dict[str, float], options: ModelOptions | None = None
) -> ModelContext:
    """Build the model for `case` over `scenarios` (name -> probability): variable blocks,
    constraint families and cost terms as arrays (`ctx.pyomo()` gives the Pyomo model)."""
    ctx = ModelContext(case=case, scenarios=scenarios, options=options or ModelOptions())
    with paused_gc():
        for concern in concerns():
            concern.add(ctx)
    return ctx
