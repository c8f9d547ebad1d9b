"""Policy: concentration limits on where capacity may sit (regions.csv).

From `from_year` on, installed capacity in region r (existing + nameplate of builds online,
before ramp-up) may be at most max_capacity_share x all installed capacity. Rewritten as
(1-share) x B_r(t) - share x B_other(t) <= share x E - E_r, with E existing and B built online.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_policy
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family


def add(ctx: ModelContext) -> None:
    case, s = ctx.case, ctx.scale
    regions = case.regions
    if regions.empty:
        return
    years = pd.DataFrame({"year": ctx.years})
    rows = regions[["region", "max_capacity_share", "from_year"]].merge(years, how="cross")
    rows = rows[rows["year"] >= rows["from_year"]].reset_index(drop=True)
    site_region = case.sites.set_index("site")["region"]
    online = ctx.data["online"][["site", "t", "pos"]].rename(columns={"t": "year"})
    online = online.assign(build_region=online["site"].map(site_region).to_numpy())
    t = rows.reset_index(names="row").merge(online, on="year")
    share = t["max_capacity_share"].to_numpy()
    coef = np.where(t["build_region"].to_numpy() == t["region"].to_numpy(), 1.0 - share, -share)
    existing = case.sites.groupby("region")["existing_wspm"].sum()
    e_total = float(case.sites["existing_wspm"].sum())
    e_r = rows["region"].map(existing).fillna(0.0).to_numpy()
    rhs = (rows["max_capacity_share"].to_numpy() * e_total - e_r) / s.wspm
    ctx.add_constraints(
        "concentration",
        rows[["region", "year"]],
        terms_frame(t["row"], "build", t["pos"], coef),
        "<=",
        rhs,
    )


CONCERN = Concern(
    name="policy",
    requires=("capacity",),
    families=(
        Family(
            name="concentration",
            kind="limit",
            elastic=True,
            source="regions.csv max_capacity_share, from_year",
            unit="wspm",
            words="regional concentration caps (regions.csv)",
            binds="{region} is at its concentration cap in {year}",
            infeasible=explain_policy.concentration,
        ),
    ),
    add=add,
)
