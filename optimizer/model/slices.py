"""Time slices for the energy balance (issue 14) and the interface other supply concerns use.

Without slices.csv the year is one implicit slice `year` of 8760 h in which every contract is
available at its capacity_factor: the same rows and coefficients as the annual balance, so the
optimum is unchanged. With slices.csv each site needs its annual energy x hours/8760 in every
slice (flat fab load), and a contract of source s in region r delivers at most
factor(s, r, slice) x MW x hours there (availability.csv; a region row beats a blank-region
row; no row: the contract's capacity_factor).

Interface for concerns that add supply (generation builds) or charging (storage): the energy
concern stores its balance rows in ctx.data["energy_rows"] (scenario, region, year, slice,
hours, row); `supply_terms` turns MWh columns of a block into terms of those rows, which
ctx.extend_constraints("energy_balance", terms) adds (positive: supply, negative: charging).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.context import ModelContext, terms_frame

HOURS_PER_YEAR = 8760.0
YEAR_SLICE = "year"  # the implicit slice without slices.csv


def slice_table(case) -> pd.DataFrame:
    """slice, day, order, hours of the case (one implicit 8760 h slice without slices.csv)."""
    if case.slices is None:
        return pd.DataFrame(
            {"slice": [YEAR_SLICE], "day": [YEAR_SLICE], "order": [0], "hours": [HOURS_PER_YEAR]}
        )
    t = case.slices[["slice", "day", "order", "hours"]].copy()
    return t.sort_values(["day", "order"]).reset_index(drop=True)


def availability(case, contracts: pd.DataFrame, slices: pd.DataFrame) -> np.ndarray:
    """factor[contract, slice]: availability.csv (region row, else blank-region row), else the
    contract's capacity_factor."""
    cf = contracts["capacity_factor"].to_numpy(dtype=float)
    out = np.repeat(cf[:, None], len(slices), axis=1)
    a = case.availability
    if a is None or a.empty:
        return out
    grid = (
        contracts[["source", "region"]]
        .reset_index(names="c")
        .merge(slices[["slice"]].reset_index(names="l"), how="cross")
    )
    avail = a[["source", "region", "slice", "factor"]]
    blank = avail[avail["region"].fillna("") == ""].drop(columns="region")
    own = grid.merge(avail, on=["source", "region", "slice"], how="left")["factor"]
    every = grid.merge(blank, on=["source", "slice"], how="left")["factor"]
    factor = own.fillna(every).to_numpy(dtype=float)
    known = ~np.isnan(factor)
    out[grid["c"].to_numpy()[known], grid["l"].to_numpy()[known]] = factor[known]
    return out


def supply_terms(
    ctx: ModelContext, block: str, pos, keys: pd.DataFrame, sign: float = 1.0
) -> pd.DataFrame:
    """Terms adding sign x block[pos] (MWh variables) to the energy balance row of each row of
    `keys` (scenario, region, year, slice); keys without a balance row (no fab need there)
    are dropped. For ctx.extend_constraints("energy_balance", ...)."""
    rows = ctx.data.get("energy_rows")
    if rows is None:
        return pd.DataFrame(columns=["row", "block", "pos", "coef"])
    k = (
        keys[["scenario", "region", "year", "slice"]]
        .assign(_pos=np.asarray(pos))
        .merge(
            rows[["scenario", "region", "year", "slice", "row"]],
            on=["scenario", "region", "year", "slice"],
        )
    )
    # block values are in model units of block.unit domain units; balance rows are in s.mwh
    coef = sign * ctx.blocks[block].unit / ctx.scale.mwh
    return terms_frame(k["row"], block, k["_pos"], coef)
