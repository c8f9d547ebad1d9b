"""Policy: concentration limits on where capacity may sit (regions.csv).

From `from_year` on, installed capacity in region r (existing + nameplate of builds online,
before ramp-up) of the processes the row counts (its `process` column: process or group names,
blank = group logic) may be at most max_capacity_share x all installed capacity of those
processes. Rewritten as (1-share) x B_r(t) - share x B_other(t) <= share x E - E_r, with E
existing and B built online, both over the counted processes' sites only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_policy
from optimizer.inputs.recipes import processes_of
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family


def counted_sites(case) -> pd.DataFrame:
    """(cap, site): the sites each regions.csv row counts (cap = its position in the table)."""
    node = case.sites[["site", "node"]].rename(columns={"node": "process"})
    members = pd.DataFrame(
        [
            (cap, process)
            for cap, spec in enumerate(case.regions["process"])
            for process in processes_of(case, spec)
        ],
        columns=["cap", "process"],
    )
    return members.merge(node, on="process")[["cap", "site"]]


def add(ctx: ModelContext) -> None:
    case, s = ctx.case, ctx.scale
    regions = case.regions.reset_index(drop=True)
    if regions.empty:
        return
    years = pd.DataFrame({"year": ctx.years})
    caps = regions[["region", "process", "max_capacity_share", "from_year"]]
    rows = caps.reset_index(names="cap").merge(years, how="cross")
    rows = rows[rows["year"] >= rows["from_year"]].reset_index(drop=True)
    counted = counted_sites(case)
    sites = case.sites.set_index("site")
    online = ctx.data["online"][["site", "t", "pos"]].rename(columns={"t": "year"})
    t = rows.reset_index(names="row").merge(counted, on="cap").merge(online, on=["site", "year"])
    share = t["max_capacity_share"].to_numpy()
    in_region = t["site"].map(sites["region"]).to_numpy() == t["region"].to_numpy()
    coef = np.where(in_region, 1.0 - share, -share)
    existing = counted.assign(
        wspm=counted["site"].map(sites["existing_wspm"]).to_numpy(dtype=float),
        mine=counted["site"].map(sites["region"]).to_numpy()
        == regions["region"].to_numpy()[counted["cap"].to_numpy()],
    )
    e_total = existing.groupby("cap")["wspm"].sum()
    e_r = existing[existing["mine"]].groupby("cap")["wspm"].sum()
    cap = rows["cap"]
    rhs = rows["max_capacity_share"].to_numpy() * cap.map(e_total).fillna(0.0).to_numpy()
    rhs = (rhs - cap.map(e_r).fillna(0.0).to_numpy()) / s.wspm
    ctx.add_constraints(
        "concentration",
        rows[["region", "process", "year"]],
        terms_frame(t["row"], "build", t["pos"], coef),
        "<=",
        rhs,
    )


def _binds(r) -> str:
    counted = f" for {r.process}" if r.process else ""
    return f"{r.region} is at its concentration cap{counted} in {r.year}"


CONCERN = Concern(
    name="policy",
    requires=("capacity",),
    families=(
        Family(
            name="concentration",
            kind="limit",
            elastic=True,
            source="regions.csv max_capacity_share, from_year, process",
            unit="wspm",
            words="regional concentration caps (regions.csv)",
            binds=_binds,
            infeasible=explain_policy.concentration,
        ),
    ),
    add=add,
)
