"""The feasibility tolerance of `fabplan verify`, in one place, with the reasoning.

A row (one constraint instance) is violated when it misses its bound by more than

    allowed = max(REL_TOL x scale, absolute floor)

where scale is the largest absolute side of the row (e.g. the wafers made and the wafers
available of a capacity row) and the absolute floor depends on the row's unit:
ABS_TOL (0.01) for physical quantities (wafers, GPUs, wspm, MWh, MW, t CO2), ABS_TOL_USD (1 USD)
for money, ABS_TOL_FRACTION (1e-6) for dimensionless values (open, shares, module counts).

Why these numbers: HiGHS accepts a solution whose rows are feasible to 1e-7 in the units the
model hands it. fabplan scales quantities to keep the matrix within ~1e6 (e.g. USD to millions,
wafers to thousands), so 1e-7 there is 0.1 USD or 1e-4 wafers here, and HiGHS's own row
scaling can multiply that by a few powers of two. Relative to rows of thousands of wafers or
millions of USD that is < 1e-7, so REL_TOL = 1e-6 leaves a 10x margin while still catching
anything a user could notice. The plan tables also drop rows with tiny values (e.g. funding
below 1e-6 USD), so a row summed over many dropped entries can be short by far less than the
absolute floors. Cost components must match to max(1e-6 x the component, 1e-9 x the objective,
1 USD); the components must sum to objective_usd within 1e-6 relative (the contract).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REL_TOL = 1e-6
ABS_TOL = 1e-2  # wafers, GPUs, wspm, MWh, MW, t CO2
ABS_TOL_USD = 1.0
ABS_TOL_FRACTION = 1e-6
OBJECTIVE_REL_TOL = 1e-6
COMPONENT_OBJECTIVE_REL_TOL = 1e-9

DESCRIPTION = (
    f"a row is violated when it misses its bound by more than max({REL_TOL:g} x the row's "
    f"largest side, {ABS_TOL:g} wafers/GPUs/wspm/MWh/MW, {ABS_TOL_USD:g} USD, "
    f"{ABS_TOL_FRACTION:g} for open/shares); cost components within "
    f"max({REL_TOL:g} x component, {COMPONENT_OBJECTIVE_REL_TOL:g} x objective, "
    f"{ABS_TOL_USD:g} USD); objective within {OBJECTIVE_REL_TOL:g} relative"
)

ArrayLike = pd.Series | np.ndarray | float


def allowed(scale: ArrayLike, floor: float) -> np.ndarray:
    """Largest acceptable miss for rows of the given scale."""
    return np.maximum(REL_TOL * np.abs(np.asarray(scale, dtype=float)), floor)


def exceeds(lhs: ArrayLike, rhs: ArrayLike, floor: float = ABS_TOL) -> np.ndarray:
    """Mask of rows where lhs <= rhs is violated beyond the tolerance."""
    lhs = np.asarray(lhs, dtype=float)
    rhs = np.asarray(rhs, dtype=float)
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.abs(lhs), np.where(np.isfinite(rhs), np.abs(rhs), 0.0))
        return (lhs - rhs) > allowed(scale, floor)


def differs(a: ArrayLike, b: ArrayLike, floor: float = ABS_TOL) -> np.ndarray:
    """Mask of rows where a == b is violated beyond the tolerance (NaN on one side differs)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    both_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    with np.errstate(invalid="ignore"):
        gap = np.abs(a - b)
        out = gap > allowed(np.maximum(np.abs(a), np.abs(b)), floor)
    out = np.where(both_inf, False, out)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    return np.where(nan_a | nan_b, nan_a != nan_b, out)
