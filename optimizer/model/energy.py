"""Energy: which contracts to sign (MW) and how much energy they deliver, per time slice.

Only active when the case has energy.csv. Contracts serve any site of their region at one price,
so the balance is per (scenario, region, year, slice) (`energy_balance`): MWh delivered by the
region's contracts >= the region's sites' need, each site needing energy_mwh_per_wafer x wafers
x hours/8760 in every slice (flat load). Each contract delivers at most availability x MW x
hours per slice (`contract_supply`; optimizer/model/slices.py). Without slices.csv there is one
implicit 8760 h slice at capacity_factor: exactly the annual balance of before, and the family
indexes carry no slice column.

- MW: `mw[e]` in [0, max_mw] for the whole window; with energy.csv min_mw, `mw_year[e,y]` in
  [min_mw, max_mw] per contract year instead (capacity charge per year).
- Take-or-pay (min_take_share > 0): MWh used + `unused_paid[scenario,e,y]` >= min_take_share x
  MW x sum_l hours_l x availability_l (`take_or_pay`); unused_paid costs the energy price (a
  contract-level cost: site_costs.csv has it on no site).
- The plan's energy.csv stays per site: each contract's MWh of a region is allocated to the
  region's sites in proportion to their need. dispatch.csv has MWh per slice and contract plus
  a load row.

Interface: ctx.data["energy_rows"] holds the balance rows (scenario, region, year, slice, hours,
row); slices.supply_terms + ctx.extend_constraints("energy_balance", terms) add supply (positive)
or charging (negative) MWh of another concern's block.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_energy
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.production import make_terms
from optimizer.model.registry import Concern, Family
from optimizer.model.slices import HOURS_PER_YEAR, availability, slice_table

TINY = 1e-9


def active(ctx: ModelContext) -> bool:
    return ctx.case.energy is not None


def _contracts(ctx: ModelContext) -> pd.DataFrame:
    c = ctx.case.energy.reset_index(drop=True).copy()
    for col, default in (("min_take_share", 0.0), ("min_mw", np.nan)):
        if col not in c.columns:
            c[col] = default
    c["min_take_share"] = c["min_take_share"].fillna(0.0).astype(float)
    c["min_mw"] = c["min_mw"].astype(float)
    return c


def add(ctx: ModelContext) -> None:
    if not active(ctx):
        return
    case, s, p = ctx.case, ctx.scale, ctx.case.params
    contracts = _contracts(ctx)
    slices = slice_table(case)
    sliced = case.slices is not None
    avail = availability(case, contracts, slices)  # [contract, slice]
    ctx.data["contracts"], ctx.data["slices"], ctx.data["avail"] = contracts, slices, avail
    yearly = contracts["min_mw"].notna().to_numpy()
    first = np.maximum(contracts["first_year"].to_numpy(), p.first_year)
    ctx.add_vars(
        "mw",
        contracts[["contract"]],
        s.mw,
        lb=0.0,
        ub=np.where(yearly, 0.0, contracts["max_mw"].to_numpy()) / s.mw,
        decided=first,  # a contract is signed when its window opens
    )
    last = np.minimum(contracts["last_year"].to_numpy(), p.last_year)
    cy = pd.DataFrame(
        [
            (i, c, y)
            for i, (c, f, la) in enumerate(zip(contracts["contract"], first, last, strict=True))
            if yearly[i]
            for y in range(int(f), int(la) + 1)
        ],
        columns=["mw_pos", "contract", "year"],
    ).astype({"mw_pos": np.int64, "year": np.int64})
    ctx.data["mw_year"] = cy
    ctx.add_vars(
        "mw_year",
        cy[["contract", "year"]],
        s.mw,
        lb=contracts["min_mw"].to_numpy()[cy["mw_pos"]] / s.mw,
        ub=contracts["max_mw"].to_numpy()[cy["mw_pos"]] / s.mw,
        decided=first[cy["mw_pos"].to_numpy()],  # the yearly MW are set when it is signed
    )

    # balance rows: (scenario, region, year) with production x every slice
    make = ctx.data["make"]
    mk = make[["scenario", "site", "year"]].reset_index(names="pos")
    mk["region"] = mk["site"].map(case.sites.set_index("site")["region"])
    ryear = mk[["scenario", "region", "year"]].drop_duplicates().reset_index(drop=True)
    rows = ryear.merge(slices[["slice", "hours"]], how="cross")
    rows["row"] = np.arange(len(rows))
    ctx.data["energy_rows"] = rows

    cols = ["contract", "region", "first_year", "last_year", "price_usd_per_mwh", "co2_t_per_mwh"]
    use = ryear.merge(contracts[cols].reset_index(names="mw_pos"), on="region")
    use = use[(use["year"] >= use["first_year"]) & (use["year"] <= use["last_year"])]
    use = use.merge(slices[["slice", "hours"]].reset_index(names="slice_pos"), how="cross")
    use = use.sort_values(["scenario", "contract", "year", "slice_pos"]).reset_index(drop=True)
    use = use.merge(rows[["scenario", "region", "year", "slice", "row"]], how="left")
    use["avail"] = avail[use["mw_pos"].to_numpy(), use["slice_pos"].to_numpy()]
    ctx.data["use"] = use
    ctx.data.setdefault("site_split", {})["use"] = site_split
    ctx.add_vars("use", use[["scenario", "contract", "year", "slice"]], s.mwh)

    # energy balance: sum_e use[e,l] - hours_l/8760 x mwh_per_wafer x make >= 0
    need = mk.merge(
        rows[["scenario", "region", "year", "slice", "hours", "row"]],
        on=["scenario", "region", "year"],
    )
    per_wafer = (
        need["site"].map(case.sites.set_index("site")["energy_mwh_per_wafer"]).to_numpy(dtype=float)
    )
    share = need["hours"].to_numpy(dtype=float) / HOURS_PER_YEAR
    terms = pd.concat(
        [
            terms_frame(use["row"], "use", np.arange(len(use)), 1.0),
            make_terms(ctx, need["pos"], need["row"], -per_wafer * share * s.wafers / s.mwh),
        ]
    )
    keys = ["scenario", "region", "year", "slice"] if sliced else ["scenario", "region", "year"]
    # ==: more energy than the fabs need is never bought (a take-or-pay minimum is paid as
    # unused_paid instead, so a free surplus cannot hide it); supply concerns with a
    # curtailable output add their dispatch, not their capacity
    ctx.add_constraints("energy_balance", rows[keys], terms, "==", 0.0)

    # contract supply: use[e,l] <= availability x hours x MW (per year with min_mw)
    skeys = (
        ["scenario", "contract", "year", "slice"] if sliced else ["scenario", "contract", "year"]
    )
    cap = use["avail"].to_numpy() * use["hours"].to_numpy(dtype=float) * s.mw / s.mwh
    mw_terms = _mw_terms(use, cy, np.arange(len(use)), -cap)
    terms = pd.concat([terms_frame(np.arange(len(use)), "use", np.arange(len(use)), 1.0), mw_terms])
    ctx.add_constraints("contract_supply", use[skeys], terms, "<=", 0.0)

    # take-or-pay: sum_l use + unused_paid >= share x MW x sum_l hours_l x availability_l; the
    # unused part is paid at the contract price (a contract-level cost, no site's)
    top = contracts["min_take_share"].to_numpy() > 0
    scen = pd.DataFrame({"scenario": make["scenario"].unique()})
    paid = cy_all(contracts, first, last).merge(scen, how="cross")
    paid = paid[top[paid["mw_pos"].to_numpy()]].reset_index(drop=True)
    paid = paid[["scenario", "contract", "year", "mw_pos"]]
    ctx.data["paid"] = paid
    ctx.add_vars("unused_paid", paid[["scenario", "contract", "year"]], s.mwh)
    if len(paid):
        n = len(paid)
        u = (
            use[["scenario", "contract", "year"]]
            .reset_index(names="upos")
            .merge(paid[["scenario", "contract", "year"]].reset_index(names="row"))
        )
        yearly_h = avail @ slices["hours"].to_numpy(dtype=float)  # sum_l hours x availability
        mp = paid["mw_pos"].to_numpy()
        coef = contracts["min_take_share"].to_numpy()[mp] * yearly_h[mp] * s.mw / s.mwh
        ctx.add_constraints(
            "take_or_pay",
            paid[["scenario", "contract", "year"]],
            pd.concat(
                [
                    terms_frame(np.arange(n), "unused_paid", np.arange(n), 1.0),
                    terms_frame(u["row"], "use", u["upos"], 1.0),
                    _mw_terms(paid, cy, np.arange(n), -coef),
                ]
            ),
            ">=",
            0.0,
        )

    # costs
    df_all = ctx.df(ctx.years)
    cum = np.concatenate([[0.0], np.cumsum(df_all)])
    i0 = np.clip(first - p.first_year, 0, len(df_all))
    i1 = np.clip(last - p.first_year + 1, 0, len(df_all))
    df_sum = np.where(i1 > i0, cum[i1] - cum[i0], 0.0)
    fixed = contracts["fixed_usd_per_mw_year"].to_numpy()
    ctx.add_cost("energy_capacity", "mw", np.arange(len(contracts)), fixed * df_sum * s.mw / s.usd)
    ctx.add_cost(
        "energy_capacity",
        "mw_year",
        np.arange(len(cy)),
        fixed[cy["mw_pos"].to_numpy()] * ctx.df(cy["year"]) * s.mw / s.usd,
    )
    w_df = ctx.prob(use["scenario"]) * ctx.df(use["year"])
    pos = np.arange(len(use))
    ctx.add_cost("energy", "use", pos, w_df * use["price_usd_per_mwh"].to_numpy() * s.mwh / s.usd)
    if len(paid):
        pw = ctx.prob(paid["scenario"]) * ctx.df(paid["year"])
        pp = contracts["price_usd_per_mwh"].to_numpy()[paid["mw_pos"].to_numpy()]
        ctx.add_cost("energy", "unused_paid", np.arange(len(paid)), pw * pp * s.mwh / s.usd)
    carbon = use["co2_t_per_mwh"].to_numpy() * p.carbon_price_usd_per_t
    ctx.add_cost("carbon", "use", pos, w_df * carbon * s.mwh / s.usd)


def cy_all(contracts: pd.DataFrame, first: np.ndarray, last: np.ndarray) -> pd.DataFrame:
    """(mw_pos, contract, year) for every contract year within the horizon."""
    return pd.DataFrame(
        [
            (i, c, y)
            for i, (c, f, la) in enumerate(zip(contracts["contract"], first, last, strict=True))
            for y in range(int(f), int(la) + 1)
        ],
        columns=["mw_pos", "contract", "year"],
    ).astype({"mw_pos": np.int64, "year": np.int64})


def _mw_terms(rows: pd.DataFrame, cy: pd.DataFrame, row, coef) -> pd.DataFrame:
    """coef x MW of each row's contract (and year): `mw` or, for min_mw contracts, `mw_year`."""
    r = rows[["contract", "year"]].assign(_row=np.asarray(row), _coef=np.asarray(coef))
    r = r.merge(cy[["contract", "year"]].reset_index(names="ypos"), how="left")
    yearly = r["ypos"].notna()
    return pd.concat(
        [
            terms_frame(
                r["_row"][~yearly],
                "mw",
                rows["mw_pos"].to_numpy()[~yearly.to_numpy()],
                r["_coef"][~yearly],
            ),
            terms_frame(
                r["_row"][yearly], "mw_year", r["ypos"][yearly].astype(int), r["_coef"][yearly]
            ),
        ]
    )


def _site_need(ctx: ModelContext, sol) -> pd.DataFrame:
    """MWh each site needs per (scenario, site, region, year): energy_mwh_per_wafer x wafers."""
    make, ship = ctx.data["make"], ctx.data["ship"]
    col = make["col"].to_numpy()
    own = np.append(sol.value("make"), 0.0)[np.where(col >= 0, col, -1)]
    wafers = own.copy()
    direct = col < 0  # one-site flows: wafers = GPUs shipped from the region / GPUs per wafer
    if direct.any():
        n_flows = len(ctx.data.get("flows", ()))
        by_flow = np.bincount(
            ship["flow_row"].to_numpy(), weights=sol.value("ship"), minlength=n_flows
        )
        gpw = make["gpus_per_wafer"].to_numpy(dtype=float)
        wafers[direct] = by_flow[make["flow_row"].to_numpy()[direct]] / gpw[direct]
    sites = ctx.case.sites.set_index("site")
    n = make[["scenario", "site", "year"]].copy()
    n["need"] = wafers * n["site"].map(sites["energy_mwh_per_wafer"]).to_numpy(dtype=float)
    n = n.groupby(["scenario", "site", "year"], as_index=False)["need"].sum()
    n["region"] = n["site"].map(sites["region"])
    return n


def site_split(ctx: ModelContext, sol) -> pd.DataFrame:
    """(pos, site, share) of each `use` column: its region's sites in proportion to their need
    that scenario and year (site_costs.csv, the same split as the plan's energy.csv)."""
    need = _site_need(ctx, sol)
    total = need.groupby(["scenario", "region", "year"])["need"].transform("sum")
    need["share"] = np.where(total > 0, need["need"] / total.where(total > 0, 1.0), 0.0)
    use = ctx.data["use"][["scenario", "region", "year"]].reset_index(names="pos")
    return use.merge(need[["scenario", "region", "year", "site", "share"]])[
        ["pos", "site", "share"]
    ]


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    cols = ["scenario", "contract", "site", "year", "mwh", "cost_usd", "co2_t"]
    contract_cols = ["contract", "region", "source", "first_year", "mw", "max_mw"]
    dispatch_cols = [
        "scenario",
        "year",
        "region",
        "slice",
        "day",
        "order",
        "hours",
        "supplier",
        "source",
        "mwh",
    ]
    if not active(ctx):
        return {
            "energy": pd.DataFrame(columns=cols),
            "contracts": pd.DataFrame(columns=contract_cols),
            "dispatch": pd.DataFrame(columns=dispatch_cols),
        }
    use, contracts, slices = ctx.data["use"], ctx.data["contracts"], ctx.data["slices"]
    u = use[["scenario", "contract", "region", "year", "slice", "hours", "avail", "mw_pos"]].copy()
    u["mwh"] = sol.value("use")
    need = _site_need(ctx, sol)

    # per site: the contract's MWh of the region in proportion to the site's need
    annual = u.groupby(["scenario", "contract", "region", "year"], as_index=False)["mwh"].sum()
    total = need.groupby(["scenario", "region", "year"])["need"].transform("sum")
    need["share"] = np.where(total > 0, need["need"] / total.where(total > 0, 1.0), 0.0)
    e = annual.merge(
        need[["scenario", "region", "year", "site", "share"]], on=["scenario", "region", "year"]
    )
    e["mwh"] = e["mwh"] * e["share"]
    c = contracts.set_index("contract")
    e["cost_usd"] = e["mwh"] * e["contract"].map(c["price_usd_per_mwh"]).to_numpy(dtype=float)
    e["co2_t"] = e["mwh"] * e["contract"].map(c["co2_t_per_mwh"]).to_numpy(dtype=float)
    e = (
        e[e["mwh"] > TINY]
        .sort_values(["scenario", "contract", "site", "year"])
        .reset_index(drop=True)
    )

    out = contracts[["contract", "region", "source", "max_mw", "fixed_usd_per_mw_year"]].copy()
    out["mw"] = sol.value("mw")
    # the year it is signed: its window's first year in the horizon (a stage year's divide)
    out.insert(3, "first_year", np.maximum(contracts["first_year"], ctx.case.params.first_year))
    cy = ctx.data["mw_year"]
    if len(cy):
        top = pd.Series(sol.value("mw_year")).groupby(cy["mw_pos"].to_numpy()).max()
        out.loc[top.index, "mw"] = top.to_numpy()
    # Without a capacity charge (or take-or-pay) any MW above what is drawn is free and means
    # nothing (the LP may return any value up to max_mw): report the MW the plan needs.
    per_mw = u["hours"].to_numpy(dtype=float) * u["avail"].to_numpy()
    u["need_mw"] = np.where(per_mw > 0, u["mwh"] / np.where(per_mw > 0, per_mw, 1.0), 0.0)
    needed = out["contract"].map(u.groupby("contract")["need_mw"].max()).fillna(0.0)
    free = (  # a min_mw of 0 requires nothing either (grid tariffs in the default data)
        (out["fixed_usd_per_mw_year"].to_numpy() == 0.0)
        & (contracts["min_take_share"].to_numpy() == 0.0)
        & (contracts["min_mw"].fillna(0.0).to_numpy() == 0.0)
    )
    out.loc[free, "mw"] = np.minimum(needed[free], out.loc[free, "mw"])
    contract_cols = list(contract_cols)
    years = _contract_years(ctx, sol, u)
    paid = ctx.data["paid"]
    if len(paid):
        y = years.assign(w=ctx.prob(years["scenario"]))  # expected over scenarios, all years
        y["used"] = y["w"] * y["used_mwh"]
        y["unused"] = y["w"] * y["unused_paid_mwh"]
        agg = y.groupby("contract")[["used", "unused"]].sum()
        unused = out["contract"].map(agg["unused"]).fillna(0.0)
        out["paid_mwh"] = out["contract"].map(agg["used"]).fillna(0.0) + unused
        out["unused_paid_mwh"] = unused
        out["unused_paid_usd"] = unused * contracts["price_usd_per_mwh"].to_numpy()
        contract_cols += ["paid_mwh", "unused_paid_mwh", "unused_paid_usd"]

    # dispatch: MWh per slice and contract, plus the region's load
    d = u[u["mwh"] > TINY].copy()
    d["supplier"] = d["contract"]
    d["source"] = d["contract"].map(c["source"])
    rows = ctx.data["energy_rows"]
    region_need = need.groupby(["scenario", "region", "year"])["need"].sum()
    load = rows[["scenario", "region", "year", "slice", "hours"]].copy()
    load["mwh"] = pd.MultiIndex.from_frame(load[["scenario", "region", "year"]]).map(region_need)
    load["mwh"] = load["mwh"].fillna(0.0) * load["hours"].astype(float) / HOURS_PER_YEAR
    load["supplier"], load["source"] = "", "load"
    extra = [part(ctx, sol) for part in ctx.data.get("dispatch_parts", [])]  # builds, storage
    d = pd.concat([d, *extra, load], ignore_index=True)
    d = d.drop(columns=["hours"]).merge(slices, on="slice", how="left")
    d = d.sort_values(["scenario", "year", "region", "day", "order", "supplier"]).reset_index(
        drop=True
    )
    tables = {"energy": e[cols], "contracts": out[contract_cols], "dispatch": d[dispatch_cols]}
    return tables if years.empty else {**tables, "contract_years": years}


def _contract_years(ctx: ModelContext, sol, u: pd.DataFrame) -> pd.DataFrame:
    """Per scenario x year of contracts with min_mw or take-or-pay: MW that year, MWh used, MWh
    paid but unused and its USD (the rows costs.csv's energy and capacity charges need)."""
    contracts, cy, paid = ctx.data["contracts"], ctx.data["mw_year"], ctx.data["paid"]
    special = contracts["min_mw"].notna() | (contracts["min_take_share"] > 0)
    scen = pd.DataFrame({"scenario": ctx.data["make"]["scenario"].unique()})
    first = np.maximum(contracts["first_year"].to_numpy(), ctx.case.params.first_year)
    last = np.minimum(contracts["last_year"].to_numpy(), ctx.case.params.last_year)
    y = cy_all(contracts, first, last).merge(scen, how="cross")
    y = y[special.to_numpy()[y["mw_pos"].to_numpy()]].reset_index(drop=True)
    mw = pd.Series(sol.value("mw"), index=contracts["contract"])
    y["mw"] = y["contract"].map(mw).to_numpy(dtype=float)
    if len(cy):
        yearly = pd.Series(
            sol.value("mw_year"), index=pd.MultiIndex.from_frame(cy[["contract", "year"]])
        )
        got = pd.MultiIndex.from_frame(y[["contract", "year"]]).map(yearly)
        y["mw"] = np.where(pd.notna(got), got, y["mw"])
    used = u.groupby(["scenario", "contract", "year"])["mwh"].sum()
    y["used_mwh"] = pd.MultiIndex.from_frame(y[["scenario", "contract", "year"]]).map(used)
    y["used_mwh"] = y["used_mwh"].fillna(0.0)
    y["unused_paid_mwh"] = 0.0
    if len(paid):
        unused = pd.Series(
            sol.value("unused_paid"),
            index=pd.MultiIndex.from_frame(paid[["scenario", "contract", "year"]]),
        )
        got = pd.MultiIndex.from_frame(y[["scenario", "contract", "year"]]).map(unused)
        y["unused_paid_mwh"] = pd.Series(got, dtype=float).fillna(0.0).to_numpy()
    price = y["contract"].map(contracts.set_index("contract")["price_usd_per_mwh"])
    y["unused_paid_usd"] = y["unused_paid_mwh"] * price.to_numpy(dtype=float)
    cols = ["scenario", "contract", "year", "mw", "used_mwh", "unused_paid_mwh", "unused_paid_usd"]
    return y[cols]


def _in_slice(row) -> str:
    return f", slice {row.slice}" if hasattr(row, "slice") else ""


CONCERN = Concern(
    name="energy",
    requires=("production",),
    families=(
        Family(
            name="energy_balance",
            kind="balance",
            elastic=True,
            source="sites.csv energy_mwh_per_wafer; slices.csv hours",
            unit="MWh",
            words="energy needed by the fabs of a region (sites.csv energy_mwh_per_wafer)",
            binds=lambda r: f"energy for {r.region} in {r.year}{_in_slice(r)} ({r.scenario})",
            infeasible=explain_energy.energy_balance,
        ),
        Family(
            name="contract_supply",
            kind="limit",
            elastic=True,
            source="energy.csv max_mw, capacity_factor; availability.csv factor",
            unit="MWh",
            words="energy contract volumes (energy.csv max_mw, capacity_factor)",
            binds=lambda r: (
                f"contract {r.contract} delivers all its contracted energy in {r.year}"
                f"{_in_slice(r)} ({r.scenario})"
            ),
            infeasible=explain_energy.contract_supply,
        ),
        Family(
            name="take_or_pay",
            elastic=False,
            infeasible=None,
            always_holds=True,  # unused_paid has no upper bound
            kind="limit",
            source="energy.csv min_take_share",
            unit="MWh",
            words="take-or-pay minimum (energy.csv min_take_share)",
            binds="contract {contract} pays its take-or-pay minimum in {year} ({scenario})",
        ),
    ),
    add=add,
    extract=extract,
)
