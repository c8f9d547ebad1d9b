"""A Solution (optimizer/solve/highs.py) from a near-optimal solve's primal values, so the usual
extract and plan writer make an ordinary plan folder of it. Its duals are NaN: the duals of an
alternative objective are not prices of the plan (summary.json then says "unavailable", and
verify skips the checks that need them)."""

from __future__ import annotations

import numpy as np

from optimizer.model.context import ModelContext
from optimizer.solve.highs import Compiled, Solution


def as_solution(ctx: ModelContext, compiled: Compiled, col_value: np.ndarray) -> Solution:
    sol = Solution(
        status="optimal",
        termination="Optimal",
        has_solution=True,
        objective=float("nan"),
        mip_gap=0.0,
        units={name: b.unit for name, b in ctx.blocks.items()},
        solver_version=_version(),
    )
    for name, cols in compiled.col_block.items():
        x = np.zeros(len(cols))
        ok = cols >= 0
        x[ok] = col_value[cols[ok]]
        lbs = ctx.blocks[name].lb[~ok]  # a column in no row: its lower bound is its value
        x[~ok] = np.where(np.isinf(lbs), 0.0, lbs)
        sol.x[name] = x
    row_size = abs(compiled.A) @ np.abs(col_value) if compiled.A.shape[0] else np.zeros(0)
    for name, rows in compiled.row_family.items():
        size = np.zeros(len(rows))
        ok = rows >= 0
        size[ok] = row_size[rows[ok]]
        sol.duals[name] = np.full(len(rows), np.nan)
        sol.sizes[name] = size
    return sol


def _version() -> str:
    import highspy

    h = highspy.Highs
    try:
        return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
    except TypeError:
        return highspy.__version__ if hasattr(highspy, "__version__") else ""
