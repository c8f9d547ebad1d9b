"""The numbers of an integer plan (`fabplan solve --integer`): sites opened, modules, the gap.

One bundle (IntegerNumbers) computed once per report and shared by the executive summary, the
builds section, the terminal summary and the workbook, so none of them recomputes it.

In integer mode a site is open or not (capacity.csv `open` is 0 or 1) and builds come in whole
modules of sites.csv `module_wspm`. Prices and binding constraints come from the LP solved with
those integer decisions fixed, so the report labels them with DUALS_LABEL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.plan import statistics
from optimizer.plan.read import Plan

DUALS_LABEL = "from the LP with integer decisions fixed"
DEFAULT_MIP_GAP = 1e-4  # fabplan's --mip-gap default
OPEN = 0.5  # open is 0 or 1; anything above a half is open


@dataclass(frozen=True)
class IntegerNumbers:
    """What an integer plan adds to the report, computed before any formatting."""

    opened: pd.DataFrame  # site, region, open_year, wspm_built, modules
    modules: pd.DataFrame  # builds.csv with module_wspm and modules
    gap_tolerance: float  # the --mip-gap asked for
    gap_usd: float  # how much cheaper the best plan could be (NaN when unknown)


def numbers(plan: Plan) -> IntegerNumbers:
    """The integer bundle; the gap in dollars is known for any plan, opened sites and modules
    only mean something for an integer one."""
    mods = _modules(plan)
    return IntegerNumbers(
        opened=_sites_opened(plan, mods),
        modules=mods,
        gap_tolerance=_gap_tolerance(plan),
        gap_usd=_gap_usd(plan),
    )


def _sites_opened(plan: Plan, mods: pd.DataFrame) -> pd.DataFrame:
    """Sites the plan opens: open in some year and either closed in the first year or without
    existing capacity. Columns: site, region, open_year, wspm_built, modules."""
    cap = plan["capacity"]
    info = statistics.site_info(plan).set_index("site")
    is_open = cap[cap["open"].astype(float) > OPEN]
    first_open = is_open.groupby("site")["year"].min()
    first_year = min(plan.years) if plan.years else int(cap["year"].min())
    rows = []
    for site, year in first_open.items():
        existing = info["existing_wspm"].get(site, np.nan)
        has_existing = bool(pd.notna(existing) and existing > 0)
        if year == first_year and has_existing:
            continue
        built = mods[mods["site"] == site]
        rows.append(
            {
                "site": site,
                "region": info["region"].get(site, ""),
                "open_year": int(year),
                "wspm_built": float(built["wspm"].sum()),
                "modules": float(built["modules"].sum(min_count=1)),
            }
        )
    columns = ["site", "region", "open_year", "wspm_built", "modules"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["open_year", "site"]).reset_index(drop=True)


def _module_size(plan: Plan) -> pd.Series:
    """site -> module_wspm (NaN where sites.csv has no module size or it is 0: continuous)."""
    sites = plan["sites"]
    if "module_wspm" not in sites.columns:
        return pd.Series(dtype="float64")
    size = sites.set_index("site")["module_wspm"].astype(float)
    return size.where(size > 0)


def _modules(plan: Plan) -> pd.DataFrame:
    """builds.csv with module_wspm and modules = wspm / module_wspm (rounded to a whole number
    when within 1e-6 of one; NaN where the site has no module size)."""
    frame = statistics.builds_table(plan).copy()
    frame["module_wspm"] = frame["site"].map(_module_size(plan)).astype(float)
    count = frame["wspm"] / frame["module_wspm"]
    whole = count.round()
    frame["modules"] = np.where(
        (count - whole).abs() <= 1e-6 * whole.abs().clip(lower=1.0), whole, count
    )
    return frame


def _gap_tolerance(plan: Plan) -> float:
    """The --mip-gap the solve was asked for (fabplan's default when not given)."""
    options = plan.summary.get("options") or {}
    value = options.get("mip_gap")
    return DEFAULT_MIP_GAP if value is None else float(value)


def _gap_usd(plan: Plan) -> float:
    """How much cheaper the best possible plan could be: gap x objective (HiGHS measures the
    gap relative to the plan's objective). NaN when the gap is unknown."""
    value = plan.summary.get("mip_gap")
    if not isinstance(value, int | float) or not math.isfinite(value):
        return float("nan")
    return abs(float(value)) * abs(plan.objective_usd)
