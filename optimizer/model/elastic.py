"""Read the slacks of an elastic (diagnosis) solve back as violations in domain units."""

from __future__ import annotations

import pandas as pd

from optimizer.model.context import ModelContext

TOL = 1e-6  # model units


def violations(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    """family -> rows that had to be violated: index columns, `direction` (over: the left side
    exceeds a <= limit; under: it falls short of a >= limit) and `amount` in the row's units."""
    out: dict[str, pd.DataFrame] = {}
    for name, fam in ctx.families.items():
        frames = []
        for direction in ("over", "under"):
            block = f"slack_{direction}_{name}"
            if block not in ctx.blocks:
                continue
            x = sol.x[block]
            hit = x > TOL
            if hit.any():
                rows = fam.index[hit].copy()
                rows["direction"] = direction
                rows["amount"] = x[hit] * fam.rhs_unit
                rows["unit"] = fam.unit_label
                frames.append(rows)
        if frames:
            out[name] = pd.concat(frames, ignore_index=True)
    return out
