"""The most grants a site could ever get, for the screening of forced builds (reach.py).

With subsidies.csv the grants of a build are those of its site's own program (sites.csv
subsidy_rate) plus every program of its region. The screen must never call a case infeasible
that is not, so it takes an upper bound: the rates summed (at most 1: grants never exceed the
capex) and the caps summed (a program's cap is shared by its sites, so counting it at every
site over-counts; unlimited if any program is). Without subsidies.csv nothing changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def grant_bounds(case, rate: np.ndarray, cap_usd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per site of case.sites: (rate, cap in USD) bounding all its programs together."""
    sub = case.subsidies
    if sub.empty:
        return rate, cap_usd
    regions = case.sites["region"]
    by_region = sub.groupby("region").agg(rate=("rate", "sum"), cap=("cap_musd", "sum"))
    extra_rate = regions.map(by_region["rate"]).fillna(0.0).to_numpy(dtype=float)
    extra_cap = regions.map(by_region["cap"] * 1e6).fillna(0.0).to_numpy(dtype=float)
    own_cap = np.where(np.asarray(rate) > 0, cap_usd, 0.0)
    listed = regions.isin(by_region.index).to_numpy()
    total_rate = np.clip(np.asarray(rate) + extra_rate, 0.0, 1.0)
    total_cap = np.where(listed, own_cap + extra_cap, cap_usd)
    return total_rate, pd.Series(total_cap).to_numpy(dtype=float)
