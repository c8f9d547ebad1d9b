"""What counts as a difference between two plans: changes at or below these are solver noise,
not decisions. Shared by the frames (comparison.py), the sentences and the document."""

from __future__ import annotations

import numpy as np
import pandas as pd

WSPM_TOL = 0.5  # wafer starts per month
MW_TOL = 1e-3
MWH_TOL = 1.0
GPU_TOL = 0.5
USD_TOL = 1.0  # plus USD_REL_TOL of the larger amount
USD_REL_TOL = 1e-9
SHARE_POINT = 0.01  # partner shares that move by more than one percentage point are reported


def money_differs_series(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise money_differs for two aligned columns."""
    scale = np.maximum(a.abs(), b.abs())
    return (b - a).abs() > USD_TOL + USD_REL_TOL * scale


def money_differs(a: float, b: float) -> bool:
    """True when two amounts differ by more than a dollar plus rounding of large sums."""
    return abs(b - a) > USD_TOL + USD_REL_TOL * max(abs(a), abs(b))
