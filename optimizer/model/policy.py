"""Policy: concentration caps and minimum shares on where capacity may sit (regions.csv).

From `from_year` on, installed capacity in region r (existing + nameplate of builds online,
before ramp-up) of the processes the row counts (its `process` column: process or group names,
blank = group logic) may be at most max_capacity_share x all installed capacity of those
processes. Rewritten as (1-share) x B_r(t) - share x B_other(t) <= share x E - E_r, with E
existing and B built online, both over the counted processes' sites only.

min_capacity_share (issue 13) is the mirror image: installed capacity in r at least that share,
(1-share) x B_r(t) - share x B_other(t) >= share x E - E_r, the same terms with sense >=. It
forces builds into r (a dear region) that the cost alone would place elsewhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_min_share, explain_policy
from optimizer.inputs.recipes import processes_of
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family


def counted_sites(case, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """(cap, site): the sites each row of `table` (default regions.csv's caps) counts (cap = its
    position in the table)."""
    table = case.regions if table is None else table
    node = case.sites[["site", "node"]].rename(columns={"node": "process"})
    members = pd.DataFrame(
        [
            (cap, process)
            for cap, spec in enumerate(table["process"])
            for process in processes_of(case, spec)
        ],
        columns=["cap", "process"],
    )
    return members.merge(node, on="process")[["cap", "site"]]


def _share_rows(ctx: ModelContext, table: pd.DataFrame, column: str) -> tuple:
    """Rows (region, process, year), terms and rhs of (1-share) x B_r - share x B_other against
    share x E - E_r, for each row of `table` (its share in `column`) from its from_year on."""
    case, s = ctx.case, ctx.scale
    table = table.reset_index(drop=True)
    years = pd.DataFrame({"year": ctx.years})
    caps = table[["region", "process", column, "from_year"]]
    rows = caps.reset_index(names="cap").merge(years, how="cross")
    rows = rows[rows["year"] >= rows["from_year"]].reset_index(drop=True)
    counted = counted_sites(case, table)
    sites = case.sites.set_index("site")
    online = ctx.data["online"][["site", "t", "pos"]].rename(columns={"t": "year"})
    t = rows.reset_index(names="row").merge(counted, on="cap").merge(online, on=["site", "year"])
    share = t[column].to_numpy()
    in_region = t["site"].map(sites["region"]).to_numpy() == t["region"].to_numpy()
    coef = np.where(in_region, 1.0 - share, -share)
    existing = counted.assign(
        wspm=counted["site"].map(sites["existing_wspm"]).to_numpy(dtype=float),
        mine=counted["site"].map(sites["region"]).to_numpy()
        == table["region"].to_numpy()[counted["cap"].to_numpy()],
    )
    e_total = existing.groupby("cap")["wspm"].sum()
    e_r = existing[existing["mine"]].groupby("cap")["wspm"].sum()
    cap = rows["cap"]
    rhs = rows[column].to_numpy() * cap.map(e_total).fillna(0.0).to_numpy()
    rhs = (rhs - cap.map(e_r).fillna(0.0).to_numpy()) / s.wspm
    return rows[["region", "process", "year"]], terms_frame(t["row"], "build", t["pos"], coef), rhs


def add(ctx: ModelContext) -> None:
    case = ctx.case
    if not case.regions.empty:
        index, terms, rhs = _share_rows(ctx, case.regions, "max_capacity_share")
        ctx.add_constraints("concentration", index, terms, "<=", rhs)
    floors = case.min_shares
    if not floors.empty:
        # I_r >= m (E + B)  <=>  (1-m) B_r - m B_other >= m E - E_r: the cap's rows, sense >=
        index, terms, rhs = _share_rows(ctx, floors, "min_capacity_share")
        ctx.add_constraints("min_capacity_share", index, terms, ">=", rhs)


def _binds(r) -> str:
    counted = f" for {r.process}" if r.process else ""
    return f"{r.region} is at its concentration cap{counted} in {r.year}"


def _binds_floor(r) -> str:
    counted = f" of {r.process}" if r.process else ""
    return f"{r.region} is held at its minimum share{counted} in {r.year}"


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
        Family(
            name="min_capacity_share",
            kind="limit",
            elastic=True,
            source="regions.csv min_capacity_share, from_year, process",
            unit="wspm",
            words="regional minimum capacity shares (regions.csv min_capacity_share)",
            binds=_binds_floor,
            infeasible=explain_min_share.min_share,
        ),
    ),
    add=add,
)
