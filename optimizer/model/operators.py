"""Operators (issue 13): who runs each site, at what capex and opex, how fast, with what stake.

site_operators.csv lists who may run each site; the first operator listed runs the site's
existing capacity. A site with one operator needs no new columns: its builds are that
operator's, so its terms use build[s,y]. A site with two or more gets run[s,o,y] >= 0 wspm and
the balance `operator_split`: sum_o run[s,o,y] = build[s,y].

- capex: the funding balance (finance.py) and the grant-rate rows (subsidies.py) get the terms
  -capex x (capex_factor_o - 1) x run (or x build): the capital of a build is capex x factor.
- opex: at a two-operator site opmake[w,s,o,t] >= 0 are the wafers o runs there, with
  `operator_wafers`: sum_o opmake = sum_k make[s,k,t,w] and `operator_capacity`: opmake <=
  12 x utilization x (existing if o is the first operator + ramped run of o online by t).
  The cost component `operator_opex` is (opex_factor - 1) x opex x wafers (one-operator
  sites: x make), so `operations` stays the site's opex x wafers.
- `operator_ramp`[o,t]: new wspm of o coming online in t <= max_new_wspm_per_year.
- `operator_stake`[o]: sum over o's sites of fund[partner_o, s, y] >= min_stake x capital of
  o's builds (with several operators at one site the partner's funding there counts for each).
- integer mode: pick[s,o] binary, sum_o pick <= 1 (`operator_pick`), run <= room x pick
  (`operator_room`); the first operator of a site with existing capacity is picked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_operators
from optimizer.model import production
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family

TINY = 1e-6


def units(ctx: ModelContext) -> pd.DataFrame:
    """One row per (build, eligible operator): build_pos, site, year, online_year, operator,
    first (runs existing capacity), factors, col (run column, -1: the site's only operator)."""
    case = ctx.case
    pairs = case.site_operators
    if pairs is None or pairs.empty or case.operators is None or case.operators.empty:
        return pd.DataFrame()
    pairs = pairs.sort_values("_line", kind="stable")[["site", "operator"]].reset_index(drop=True)
    pairs["first"] = ~pairs.duplicated("site")
    pairs["n_ops"] = pairs.groupby("site")["operator"].transform("size")
    ops = case.operators[["operator", "capex_factor", "opex_factor"]]
    pairs = pairs.merge(ops, on="operator", how="left")
    ctx.data["operator_pairs"] = pairs
    u = ctx.data["builds"].reset_index(names="build_pos").merge(pairs, on="site")
    u = u.sort_values(["build_pos", "operator"], kind="stable").reset_index(drop=True)
    multi = u["n_ops"].to_numpy() > 1
    u["col"] = np.where(multi, np.cumsum(multi) - 1, -1)
    return u


def unit_terms(u: pd.DataFrame, row, coef) -> pd.DataFrame:
    """coef x (run[s,o,y], or build[s,y] for a one-operator site) at the rows `row`."""
    row = np.asarray(row, dtype=np.int64)
    coef = np.broadcast_to(np.asarray(coef, dtype=float), row.shape)
    col = u["col"].to_numpy()
    run = col >= 0
    return pd.concat(
        [
            terms_frame(row[run], "run", col[run], coef[run]),
            terms_frame(row[~run], "build", u["build_pos"].to_numpy()[~run], coef[~run]),
        ]
    )


def add(ctx: ModelContext) -> None:
    u = units(ctx)
    ctx.data["operator_units"] = u
    if u.empty:
        return
    case, s = ctx.case, ctx.scale
    sites = case.sites.set_index("site")
    ops = case.operators.set_index("operator")
    runs = u[u["col"] >= 0]
    ctx.add_vars("run", runs[["site", "operator", "year"]], s.wspm)
    # operator_split: sum_o run[s,o,y] - build[s,y] = 0
    split = runs[["build_pos", "site", "year"]].drop_duplicates("build_pos").reset_index(drop=True)
    row_of = pd.Series(np.arange(len(split)), index=split["build_pos"])
    terms = pd.concat(
        [
            terms_frame(row_of[runs["build_pos"]].to_numpy(), "run", runs["col"], 1.0),
            terms_frame(np.arange(len(split)), "build", split["build_pos"], -1.0),
        ]
    )
    ctx.add_constraints("operator_split", split[["site", "year"]], terms, "==", 0.0)

    # capex factor in the funding balance (one row per build) and the grant-rate rows
    capex_m = u["site"].map(sites["capex_usd_per_wspm"]).to_numpy(dtype=float) * s.wspm / s.usd
    extra = capex_m * (u["capex_factor"].to_numpy(dtype=float) - 1.0)
    ctx.data["operator_capex_m"] = capex_m
    ctx.extend_constraints("funding", unit_terms(u, u["build_pos"], -extra))
    grants = ctx.data["grants"].reset_index(names="grow")
    g = grants[["grow", "build_pos", "rate"]].merge(
        u[["build_pos"]].reset_index(names="upos"), on="build_pos"
    )
    if len(g):
        gu = u.iloc[g["upos"].to_numpy()].reset_index(drop=True)
        coef = -g["rate"].to_numpy(dtype=float) * extra[g["upos"].to_numpy()]
        ctx.extend_constraints("grant_rate", unit_terms(gu, g["grow"], coef))
    ctx.data["build_capex_usd"] = lambda sol: _build_capex(ctx, sol)

    _add_opex(ctx, u)
    _add_ramp(ctx, u, ops)
    _add_stake(ctx, u, ops, capex_m)
    if ctx.options.integer and len(runs):
        _add_pick(ctx, runs)


def _add_opex(ctx: ModelContext, u: pd.DataFrame) -> None:
    s = ctx.scale
    pairs = ctx.data["operator_pairs"]
    make = ctx.data["make"]
    sites = ctx.case.sites.set_index("site")
    w = ctx.prob(make["scenario"]) * ctx.df(make["year"])
    opex = make["opex_usd_per_wafer"].to_numpy(dtype=float)
    one = pairs[pairs["n_ops"] == 1].set_index("site")["opex_factor"]
    f = make["site"].map(one).to_numpy(dtype=float)
    pos = np.flatnonzero(np.isfinite(f) & (f != 1.0))
    if len(pos):
        coef = w[pos] * opex[pos] * (f[pos] - 1.0) * s.wafers / s.usd
        for block, part in production.make_terms(ctx, pos, pos, coef).groupby("block", sort=False):
            ctx.add_cost("operator_opex", block, part["pos"].to_numpy(), part["coef"].to_numpy())
    multi = pairs[pairs["n_ops"] > 1]
    if multi.empty:
        return
    key = make[make["site"].isin(multi["site"])][["scenario", "site", "year"]]
    rows = key.drop_duplicates().reset_index(drop=True)
    if rows.empty:
        return
    om = rows.reset_index(names="row").merge(multi[["site", "operator", "first", "opex_factor"]])
    om = om.sort_values(["row", "operator"]).reset_index(drop=True)
    ctx.add_vars("opmake", om[["scenario", "site", "operator", "year"]], s.wafers)
    ctx.data["opmake"] = om
    n = np.arange(len(om))
    mk = key.reset_index(names="pos").merge(rows.reset_index(names="row"))
    terms = pd.concat(
        [
            terms_frame(om["row"], "opmake", n, 1.0),
            production.make_terms(ctx, mk["pos"], mk["row"], -1.0),
        ]
    )
    ctx.add_constraints("operator_wafers", rows, terms, "==", 0.0)
    # opmake <= 12 util (existing if first + sum ramped run online by t)
    util = om["site"].map(sites["utilization"]).to_numpy(dtype=float)
    existing = om["site"].map(sites["existing_wspm"]).to_numpy(dtype=float)
    rhs = np.where(om["first"], 12.0 * util * existing / s.wafers, 0.0)
    online = ctx.data["online"][["pos", "t", "ramp"]].rename(columns={"pos": "build_pos"})
    runs = u[u["col"] >= 0][["build_pos", "operator", "col"]].merge(online, on="build_pos")
    av = (
        om[["site", "operator", "year"]]
        .reset_index(names="row")
        .merge(
            runs.rename(columns={"t": "year"}).merge(
                u[["build_pos", "site"]].drop_duplicates(), on="build_pos"
            ),
            on=["site", "operator", "year"],
        )
    )
    per_wspm = 12.0 * s.wspm / s.wafers
    a_util = av["site"].map(sites["utilization"]).to_numpy(dtype=float)
    terms = pd.concat(
        [
            terms_frame(n, "opmake", n, 1.0),
            terms_frame(av["row"], "run", av["col"], -per_wspm * a_util * av["ramp"].to_numpy()),
        ]
    )
    ctx.add_constraints(
        "operator_capacity", om[["scenario", "site", "operator", "year"]], terms, "<=", rhs
    )
    wo = ctx.prob(om["scenario"]) * ctx.df(om["year"])
    opex_o = om["site"].map(sites["opex_usd_per_wafer"]).to_numpy(dtype=float)
    coef = wo * opex_o * (om["opex_factor"].to_numpy(dtype=float) - 1.0) * s.wafers / s.usd
    ctx.add_cost("operator_opex", "opmake", n, coef)


def _add_ramp(ctx: ModelContext, u: pd.DataFrame, ops: pd.DataFrame) -> None:
    """sum of o's new wspm coming online in t <= max_new_wspm_per_year."""
    lim = u["operator"].map(ops["max_new_wspm_per_year"]).to_numpy(dtype=float)
    sel = u[np.isfinite(lim)]
    if sel.empty:
        return
    sel = sel.reset_index(drop=True)
    keys = sel[["operator", "online_year"]].rename(columns={"online_year": "year"})
    rows = keys.drop_duplicates().sort_values(["operator", "year"]).reset_index(drop=True)
    r = keys.merge(rows.reset_index(names="row"), on=["operator", "year"], how="left")
    rhs = rows["operator"].map(ops["max_new_wspm_per_year"]).to_numpy(dtype=float) / ctx.scale.wspm
    ctx.add_constraints(
        "operator_ramp", rows, unit_terms(sel.reset_index(drop=True), r["row"], 1.0), "<=", rhs
    )


def _add_stake(ctx: ModelContext, u: pd.DataFrame, ops: pd.DataFrame, capex_m) -> None:
    """fund of o's partner at o's sites - min_stake x capex x factor x o's builds >= 0."""
    need = ops[(ops["min_stake"] > 0) & (ops["partner"].astype(str) != "")]
    need = need[need.index.isin(u["operator"])].reset_index()[["operator", "partner", "min_stake"]]
    if need.empty:
        return
    row_of = pd.Series(np.arange(len(need)), index=need["operator"])
    pairs = ctx.data["operator_pairs"]
    fund = ctx.data["fund"][["partner", "site"]].reset_index(names="pos")
    own = need.reset_index(names="row").merge(pairs[["site", "operator"]], on="operator")
    own = own.merge(fund, on=["partner", "site"])
    mine = np.flatnonzero(u["operator"].isin(need["operator"]).to_numpy())
    mu = u.iloc[mine].reset_index(drop=True)
    stake = mu["operator"].map(need.set_index("operator")["min_stake"]).to_numpy(dtype=float)
    gross = capex_m[mine] * mu["capex_factor"].to_numpy(dtype=float)
    terms = pd.concat(
        [
            terms_frame(own["row"], "fund", own["pos"], 1.0),
            unit_terms(mu, row_of[mu["operator"]].to_numpy(), -stake * gross),
        ]
    )
    ctx.add_constraints("operator_stake", need[["operator"]], terms, ">=", 0.0)


def _add_pick(ctx: ModelContext, runs: pd.DataFrame) -> None:
    """Integer mode: one operator per site (the first, if the site has capacity already)."""
    s = ctx.scale
    sites = ctx.case.sites.set_index("site")
    pairs = ctx.data["operator_pairs"]
    picks = pairs[pairs["n_ops"] > 1].reset_index(drop=True)
    existing = picks["site"].map(sites["existing_wspm"]).to_numpy(dtype=float)
    lb = (picks["first"].to_numpy() & (existing > 0)).astype(float)
    # the choice of operator is made at the start (decide-now under a stage_year)
    first = float(ctx.case.params.first_year)
    ctx.add_vars(
        "pick", picks[["site", "operator"]], 1.0, lb=lb, ub=1.0, integer=True, decided=first
    )
    one = picks[["site"]].drop_duplicates().reset_index(drop=True)
    row = picks["site"].map(pd.Series(np.arange(len(one)), index=one["site"]))
    ctx.add_constraints(
        "operator_pick", one, terms_frame(row, "pick", np.arange(len(picks)), 1.0), "<=", 1.0
    )
    room = runs["site"].map(sites["max_wspm"]) - runs["site"].map(sites["existing_wspm"])
    room = room.clip(lower=0).to_numpy(dtype=float) / s.wspm
    pk = runs[["site", "operator"]].merge(picks[["site", "operator"]].reset_index(names="p"))
    n = np.arange(len(runs))
    terms = pd.concat(
        [
            terms_frame(n, "run", runs["col"], 1.0),
            terms_frame(n, "pick", pk["p"], -room),
        ]
    )
    ctx.add_constraints("operator_room", runs[["site", "operator", "year"]], terms, "<=", 0.0)


def _unit_wspm(ctx: ModelContext, sol) -> np.ndarray:
    u = ctx.data["operator_units"]
    col = u["col"].to_numpy()
    run = sol.value("run") if "run" in ctx.blocks else np.zeros(0)
    build = sol.value("build")
    return np.where(col >= 0, np.append(run, 0.0)[col], build[u["build_pos"].to_numpy()])


def _build_capex(ctx: ModelContext, sol) -> np.ndarray:
    """capex_usd of every build after the capex factor of the operators that run it."""
    builds = ctx.data["builds"]
    base = builds["site"].map(ctx.case.sites.set_index("site")["capex_usd_per_wspm"])
    out = base.to_numpy(dtype=float) * sol.value("build")
    u = ctx.data["operator_units"]
    extra = ctx.data["operator_capex_m"] * (u["capex_factor"].to_numpy(dtype=float) - 1.0)
    add = extra * ctx.scale.usd / ctx.scale.wspm * _unit_wspm(ctx, sol)
    np.add.at(out, u["build_pos"].to_numpy(), add)
    return out


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    u = ctx.data.get("operator_units")
    if u is None or u.empty:
        return {}
    case, s = ctx.case, ctx.scale
    t = u[["site", "operator", "year"]].copy()
    t["wspm"] = _unit_wspm(ctx, sol)
    t["capex_usd"] = (
        ctx.data["operator_capex_m"] * u["capex_factor"].to_numpy(dtype=float) * s.usd / s.wspm
    ) * t["wspm"]
    built = t[t["wspm"] > TINY].reset_index(drop=True)
    ops = case.operators
    summary = ops[["operator", "kind", "partner", "min_stake"]].copy()
    by = built.groupby("operator")[["wspm", "capex_usd"]].sum()
    summary["wspm_built"] = summary["operator"].map(by["wspm"]).fillna(0.0).to_numpy()
    summary["capital_usd"] = summary["operator"].map(by["capex_usd"]).fillna(0.0).to_numpy()
    fund = ctx.data["fund"][["partner", "site"]].assign(usd=sol.value("fund"))
    pairs = ctx.data["operator_pairs"][["site", "operator"]]
    own = summary[["operator", "partner"]].merge(pairs, on="operator").merge(fund)
    own = own.groupby("operator")["usd"].sum()
    summary["own_capital_usd"] = summary["operator"].map(own).fillna(0.0).to_numpy()
    cap = summary["capital_usd"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        summary["stake"] = np.where(cap > TINY, summary["own_capital_usd"] / cap, np.nan)
    tables = {"operators": built, "operator_summary": summary}
    om = ctx.data.get("opmake")
    if om is not None:
        w = om[["scenario", "site", "operator", "year"]].assign(wafers=sol.value("opmake"))
        tables["operator_wafers"] = w[w["wafers"] > TINY].reset_index(drop=True)
    return tables


CONCERN = Concern(
    name="operators",
    requires=("capacity", "finance", "subsidies", "production"),
    families=(
        Family(
            name="operator_split",
            kind="balance",
            elastic=False,
            source="site_operators.csv",
            unit="wspm",
            words="the split of each build among the site's operators (site_operators.csv)",
            binds="the build at {site} in {year} is run by its operators",
            infeasible=None,
        ),
        Family(  # opmake and make at zero satisfy it: nothing to relax
            name="operator_wafers",
            kind="balance",
            elastic=False,
            source="site_operators.csv",
            unit="wafer",
            words="the wafers of a site split among its operators (site_operators.csv)",
            binds="the wafers of {site} in {year} are run by its operators ({scenario})",
            infeasible=None,
            always_holds=True,
        ),
        Family(
            name="operator_capacity",
            kind="limit",
            elastic=True,
            source="site_operators.csv (first operator: existing capacity); sites.csv utilization",
            unit="wafer",
            words="the capacity each operator runs at a site (site_operators.csv)",
            binds="{operator} runs all its capacity at {site} in {year} ({scenario})",
            infeasible=explain_operators.operator_capacity,
        ),
        Family(
            name="operator_ramp",
            kind="limit",
            elastic=True,
            source="operators.csv max_new_wspm_per_year",
            unit="wspm",
            words="operators' yearly new capacity (operators.csv max_new_wspm_per_year)",
            binds="{operator} brings up all the new capacity it can in {year}",
            infeasible=explain_operators.operator_ramp,
        ),
        Family(
            name="operator_stake",
            kind="limit",
            elastic=True,
            source="operators.csv min_stake, partner",
            unit="USD",
            words="operators' minimum stakes (operators.csv min_stake)",
            binds="{operator}'s own capital is held at its minimum stake",
            infeasible=explain_operators.operator_stake,
        ),
        Family(  # integer mode only: a definition of the pick, not a limit of the data
            name="operator_pick",
            kind="balance",
            elastic=False,
            source="site_operators.csv",
            unit="site-year",
            words="one operator per site (integer mode)",
            binds="{site} has one operator",
            infeasible=None,
        ),
        Family(
            name="operator_room",
            kind="balance",
            elastic=False,
            source="site_operators.csv; sites.csv max_wspm",
            unit="wspm",
            words="builds only by the site's picked operator (integer mode)",
            binds="only the picked operator builds at {site}",
            infeasible=None,
        ),
    ),
    add=add,
    extract=extract,
)
