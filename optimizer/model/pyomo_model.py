"""The Pyomo statement of a built model, made from the context's arrays on demand.

`ModelContext` keeps what the modules declared as numpy arrays (bounds and domain per variable
block, sorted terms, rhs and sense per constraint family, cost terms); the solve reads only those
(optimizer/solve/matrix.py). This module turns them into the Pyomo components they used to be
built as eagerly -- the same Vars, Constraints (`LinearExpression` bodies, rows without terms
skipped) and Objective, declared in the same order -- for the compiler route of the hand-off,
the tests that check both routes give the same LP (tests/test_handoff.py), and users who
inspect the model. Building them only on demand saves a plain solve ~240 MiB and ~1.5 CPU s at L.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from optimizer.model.context import ConFamily, ModelContext, VarBlock, paused_gc

if TYPE_CHECKING:
    import pyomo.environ as pyo


def materialise(ctx: ModelContext) -> pyo.ConcreteModel:
    """A ConcreteModel with every block, family and the objective of `ctx` (also sets each
    block's `component`/`objects` and each family's `component`)."""
    import pyomo.environ as pyo

    model = pyo.ConcreteModel()
    with paused_gc():
        # every Var first: a concern may extend an earlier family with terms of a block it
        # declares later (operators: `run` in funding and grant_rate)
        for kind, name in ctx.declared:
            if kind == "var":
                _add_var(model, ctx.blocks[name])
        for kind, name in ctx.declared:
            if kind != "var":
                _add_constraint(model, ctx, ctx.families[name])
        model.total_cost = _objective(ctx)
    return model


def _bound(value: float) -> float | None:
    """Pyomo wants None for an infinite bound."""
    return None if np.isinf(value) else float(value)


def _add_var(model: pyo.ConcreteModel, block: VarBlock) -> None:
    """The block's Var: bounds as the component's when they were given as scalars, else per
    variable (a fixed block has per-variable bounds)."""
    import pyomo.environ as pyo

    n = block.size
    domain = pyo.Integers if block.integer else pyo.Reals
    bounds = None
    if block.uniform and n:
        bounds = (_bound(block.lb[0]), _bound(block.ub[0]))
    elif block.uniform:
        bounds = (None, None)
    var = pyo.Var(range(n), domain=domain, dense=True, bounds=bounds)
    model.add_component(block.name, var)
    objects = np.empty(n, dtype=object)
    objects[:] = list(var.values())
    if not block.uniform:
        for v, lo, hi in zip(objects, block.lb.tolist(), block.ub.tolist(), strict=True):
            v.setlb(_bound(lo))
            v.setub(_bound(hi))
    block.component = var
    block.objects = objects


def _add_constraint(model: pyo.ConcreteModel, ctx: ModelContext, fam: ConFamily) -> None:
    """One Constraint per family, its rows from the sorted terms (rows without terms skipped)."""
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    rows, blocks, pos, coefs = fam.terms
    n = len(fam.index)
    objs = np.empty(len(rows), dtype=object)
    for bname in dict.fromkeys(blocks.tolist()):
        mask = blocks == bname
        objs[mask] = ctx.blocks[bname].objects[pos[mask]]
    starts = np.searchsorted(rows, np.arange(n + 1))
    coef_list = coefs.tolist()
    obj_list = objs.tolist()
    rhs_list = fam.rhs.tolist()
    sense = fam.sense

    def rule(_m, i):
        a, b = starts[i], starts[i + 1]
        if a == b:
            return pyo.Constraint.Skip
        body = LinearExpression(
            constant=0.0, linear_coefs=coef_list[a:b], linear_vars=obj_list[a:b]
        )
        r = rhs_list[i]
        if sense == "<=":
            return (None, body, r)
        if sense == ">=":
            return (r, body, None)
        return (r, body, r)

    con = pyo.Constraint(range(n), rule=rule)
    model.add_component(fam.name, con)
    fam.component = con


def _objective(ctx: ModelContext) -> pyo.Objective:
    """Minimise the cost terms, each weighted as the solver's objective weighs it."""
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    coefs: list[float] = []
    objs: list[object] = []
    for component, block, pos, coef in ctx.costs:
        coefs.extend((coef * ctx.objective_weight(component)).tolist())
        objs.extend(ctx.blocks[block].objects[pos].tolist())
    return pyo.Objective(
        expr=LinearExpression(constant=0.0, linear_coefs=coefs, linear_vars=objs),
        sense=pyo.minimize,
    )
