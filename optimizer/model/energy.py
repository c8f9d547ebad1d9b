"""Energy: which contracts to sign (MW) and how much energy each site draws from each.

Only active when the case has energy.csv. Adds `mw[e]` (<= max_mw) and `use[e,s,t,w]` (only for
site x contract pairs in the same region, in the contract's years, where the site produces),
the energy-need and contract-supply constraints, and the capacity-charge, energy and carbon costs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_energy
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.production import make_terms
from optimizer.model.registry import Concern, Family

HOURS_PER_YEAR = 8760.0
TINY = 1e-9


def active(ctx: ModelContext) -> bool:
    return ctx.case.energy is not None


def add(ctx: ModelContext) -> None:
    if not active(ctx):
        return
    case, s, p = ctx.case, ctx.scale, ctx.case.params
    contracts = case.energy.reset_index(drop=True)
    ctx.add_vars(
        "mw", contracts[["contract"]], s.mw, lb=0.0, ub=contracts["max_mw"].to_numpy() / s.mw
    )

    make = ctx.data["make"]
    need = make[["scenario", "site", "year"]].drop_duplicates().reset_index(drop=True)
    need = need.merge(case.sites[["site", "region", "energy_mwh_per_wafer"]], on="site", how="left")
    cols = ["contract", "region", "first_year", "last_year", "price_usd_per_mwh", "co2_t_per_mwh"]
    use = need.reset_index(names="need_row").merge(
        contracts[cols].reset_index(names="mw_pos"), on="region"
    )
    use = use[(use["year"] >= use["first_year"]) & (use["year"] <= use["last_year"])]
    use = use.sort_values(["scenario", "contract", "site", "year"]).reset_index(drop=True)
    ctx.data["use"] = use
    ctx.add_vars("use", use[["scenario", "contract", "site", "year"]], s.mwh)

    # energy need: sum_e use[e,s,t,w] >= energy_mwh_per_wafer * sum_k make[s,k,t,w]
    mk = (
        make[["scenario", "site", "year"]]
        .reset_index(names="pos")
        .merge(
            need[["scenario", "site", "year"]].reset_index(names="row"),
            on=["scenario", "site", "year"],
        )
    )
    mwh_per_wafer = mk["site"].map(case.sites.set_index("site")["energy_mwh_per_wafer"])
    terms = pd.concat(
        [
            terms_frame(use["need_row"], "use", np.arange(len(use)), 1.0),
            make_terms(ctx, mk["pos"], mk["row"], -mwh_per_wafer.to_numpy() * s.wafers / s.mwh),
        ]
    )
    ctx.add_constraints(
        "energy_need",
        need[["scenario", "site", "year"]],
        terms,
        ">=",
        0.0,
    )

    # contract supply: sum_s use[e,s,t,w] <= 8760 * capacity_factor * mw[e]
    supply = (
        use[["scenario", "contract", "year", "mw_pos"]]
        .drop_duplicates(["scenario", "contract", "year"])
        .reset_index(drop=True)
    )
    u = (
        use[["scenario", "contract", "year"]]
        .reset_index(names="pos")
        .merge(supply.reset_index(names="row"), on=["scenario", "contract", "year"])
    )
    cf = contracts["capacity_factor"].to_numpy()[supply["mw_pos"].to_numpy()]
    terms = pd.concat(
        [
            terms_frame(u["row"], "use", u["pos"], 1.0),
            terms_frame(
                np.arange(len(supply)), "mw", supply["mw_pos"], -HOURS_PER_YEAR * cf * s.mw / s.mwh
            ),
        ]
    )
    ctx.add_constraints(
        "contract_supply",
        supply[["scenario", "contract", "year"]],
        terms,
        "<=",
        0.0,
    )

    # costs
    first = np.maximum(contracts["first_year"].to_numpy(), p.first_year)
    last = np.minimum(contracts["last_year"].to_numpy(), p.last_year)
    df_all = ctx.df(ctx.years)
    cum = np.concatenate([[0.0], np.cumsum(df_all)])
    i0 = np.clip(first - p.first_year, 0, len(df_all))
    i1 = np.clip(last - p.first_year + 1, 0, len(df_all))
    df_sum = np.where(i1 > i0, cum[i1] - cum[i0], 0.0)
    ctx.add_cost(
        "energy_capacity",
        "mw",
        np.arange(len(contracts)),
        contracts["fixed_usd_per_mw_year"].to_numpy() * df_sum * s.mw / s.usd,
    )
    w_df = ctx.prob(use["scenario"]) * ctx.df(use["year"])
    pos = np.arange(len(use))
    ctx.add_cost("energy", "use", pos, w_df * use["price_usd_per_mwh"].to_numpy() * s.mwh / s.usd)
    carbon = use["co2_t_per_mwh"].to_numpy() * p.carbon_price_usd_per_t
    ctx.add_cost("carbon", "use", pos, w_df * carbon * s.mwh / s.usd)


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    cols = ["scenario", "contract", "site", "year", "mwh", "cost_usd", "co2_t"]
    contract_cols = ["contract", "region", "source", "mw", "max_mw"]
    if not active(ctx):
        return {
            "energy": pd.DataFrame(columns=cols),
            "contracts": pd.DataFrame(columns=contract_cols),
        }
    use = ctx.data["use"]
    e = use[["scenario", "contract", "site", "year"]].copy()
    e["mwh"] = sol.value("use")
    e["cost_usd"] = e["mwh"] * use["price_usd_per_mwh"].to_numpy()
    e["co2_t"] = e["mwh"] * use["co2_t_per_mwh"].to_numpy()
    e = e[e["mwh"] > TINY].reset_index(drop=True)
    contracts = ctx.case.energy[
        ["contract", "region", "source", "max_mw", "capacity_factor", "fixed_usd_per_mw_year"]
    ].copy()
    contracts["mw"] = sol.value("mw")
    # Without a capacity charge any MW above what is drawn is free and means nothing (the LP may
    # return any value up to max_mw): report the MW the plan actually needs from that contract.
    drawn = e.groupby(["scenario", "contract", "year"])["mwh"].sum().groupby("contract").max()
    needed = contracts["contract"].map(drawn).fillna(0.0) / (
        HOURS_PER_YEAR * contracts["capacity_factor"]
    )
    free = contracts["fixed_usd_per_mw_year"].to_numpy() == 0.0
    contracts.loc[free, "mw"] = np.minimum(needed[free], contracts.loc[free, "mw"])
    return {"energy": e[cols], "contracts": contracts[contract_cols]}


CONCERN = Concern(
    name="energy",
    requires=("production",),
    families=(
        Family(
            name="energy_need",
            kind="balance",
            elastic=True,
            source="sites.csv energy_mwh_per_wafer",
            unit="MWh",
            words="energy needed by the fabs (sites.csv energy_mwh_per_wafer)",
            binds="energy for {site} in {year} ({scenario})",
            infeasible=explain_energy.energy_need,
        ),
        Family(
            name="contract_supply",
            kind="limit",
            elastic=True,
            source="energy.csv max_mw, capacity_factor",
            unit="MWh",
            words="energy contract volumes (energy.csv max_mw, capacity_factor)",
            binds="contract {contract} delivers all its contracted energy in {year} ({scenario})",
            infeasible=explain_energy.contract_supply,
        ),
    ),
    add=add,
    extract=extract,
)
