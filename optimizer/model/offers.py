"""Make or buy: wafers bought from a foundry's offer (supply_offers.csv).

Owning capacity costs capex (through the annuity), fixed costs, opex and energy; an offer sells
wafers at one price that includes all of them and uses none of the partnership's capacity. For
offer o (process p, region r, window first_year..last_year) the model adds

    buy[w,o,k,t] >= 0     wafers of p bought for product k, t in the window, only where
                          - p is an upstream stage of k's recipe and k is assembled in (w, t), or
                          - p is k's final (assembly) process and r ships k in (w, t)
    offer_limit:          sum_k buy[w,o,k,t] <= max_wafers_per_year(o)
    stage_balance (+):    per_wafer_eff(k,p,t) x buy[w,o,k,t] joins the (w,k,p,t) row (upstream)
    region_balance (+):   gpus_per_wafer(k,t) x buy[w,o,k,t] joins the (w,r,k,t) row (final):
                          bought GPUs are shipped on r's shipping.csv lanes like made ones
    cost "purchases":     prob(w) x df(t) x price_usd_per_wafer(o) x buy[w,o,k,t]

production.prepare gives every (r, k, t) a final-stage offer reaches lanes and a region balance
row (final_offer_flows), even without a site of p in r. Without supply_offers.csv nothing is
added and the model is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_offers
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family

TINY = 1e-9
BUY = ["scenario", "offer", "product", "year"]  # one buy column
LIMIT = ["scenario", "offer", "year"]  # one offer_limit row


COLUMNS = [*BUY, "process", "final", "row", "per_wafer", "price"]
OFFER = ["offer", "process", "region", "first_year", "last_year", "price_usd_per_wafer"]


def _in_window(t: pd.DataFrame) -> pd.DataFrame:
    return t[(t["year"] >= t["first_year"]) & (t["year"] <= t["last_year"])]


def final_offer_flows(case, final: pd.DataFrame) -> pd.DataFrame:
    """(region, product, year) a final-stage offer can supply: the offer's process assembles the
    product (`final`: production's final stage rows) and the year is in its window."""
    offers = case.supply_offers
    if offers.empty:
        return pd.DataFrame(columns=["region", "product", "year"])
    t = _in_window(final[["product", "process", "year"]].merge(offers[OFFER], on="process"))
    return t[["region", "product", "year"]].drop_duplicates().reset_index(drop=True)


def buy_index(ctx: ModelContext) -> pd.DataFrame:
    """One row per buy column: its keys, process, whether it is final, the row it joins (a
    stage_balance row, or for a final stage a region_balance row), units (dies, or GPUs for a
    final stage) per bought wafer and price.

    Upstream offers reach stage-balance rows of products assembled in (w, t); final offers reach
    the region balance of their region (production keeps one for every flow they reach), so a
    bought wafer always has a use; years outside the offer's window have no column."""
    offers = ctx.case.supply_offers
    if offers.empty:
        return pd.DataFrame(columns=COLUMNS)
    stages = ctx.data["stages"][["product", "process", "year", "per_wafer", "per_gpu", "final"]]
    is_final = stages["final"].to_numpy(dtype=bool)
    parts = []
    stage_rows = ctx.data.get("stage_rows")
    if stage_rows is not None and not stage_rows.empty:
        rows = stage_rows[["scenario", "product", "process", "year"]].reset_index(names="row")
        t = _in_window(rows.merge(offers[OFFER], on="process"))
        t = t.merge(stages[~is_final], on=["product", "process", "year"])
        parts.append(t.assign(final=False))
    flows = ctx.data["flows"].reset_index(names="flow_row")
    final = stages[is_final]
    t = _in_window(
        flows.merge(offers[OFFER], on="region").merge(final, on=["product", "process", "year"])
    )
    row_of = ctx.data.get("balance_row_of")
    if len(t) and row_of is not None:
        # per_wafer of a final stage in GPUs: gpus_per_wafer = per_wafer_eff / per_gpu
        t = t.assign(row=row_of[t["flow_row"].to_numpy()], per_wafer=t["per_wafer"] / t["per_gpu"])
        parts.append(t[t["row"] >= 0].assign(final=True))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    t = pd.concat(parts, ignore_index=True).rename(columns={"price_usd_per_wafer": "price"})
    return t[COLUMNS].sort_values(BUY).reset_index(drop=True)


def add(ctx: ModelContext) -> None:
    buy = buy_index(ctx)
    ctx.data["buy"] = buy
    if buy.empty:
        return
    s = ctx.scale
    ctx.add_vars("buy", buy[BUY], s.wafers)
    pos = np.arange(len(buy))
    # bought units feed the stage balance like made ones (rows in the 'unit' scale: s.gpus);
    # bought final wafers feed their region's balance like made GPUs (rows in s.gpus too)
    coef = buy["per_wafer"].to_numpy(dtype=float) * s.wafers / s.gpus
    final = buy["final"].to_numpy(dtype=bool)
    for family, mask in (("stage_balance", ~final), ("region_balance", final)):
        if mask.any():
            terms = terms_frame(buy["row"].to_numpy()[mask], "buy", pos[mask], coef[mask])
            ctx.extend_constraints(family, terms)
    limits = buy[LIMIT].drop_duplicates().reset_index(drop=True)
    key = buy[LIMIT].merge(limits.reset_index(names="lim"), on=LIMIT, how="left")
    most = limits["offer"].map(ctx.case.supply_offers.set_index("offer")["max_wafers_per_year"])
    ctx.add_constraints(
        "offer_limit",
        limits,
        terms_frame(key["lim"], "buy", pos, 1.0),
        "<=",
        most.to_numpy(dtype=float) / s.wafers,
    )
    weight = ctx.prob(buy["scenario"]) * ctx.df(buy["year"])
    price = buy["price"].to_numpy(dtype=float)
    ctx.add_cost("purchases", "buy", pos, weight * price * s.wafers / s.usd)


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    """purchases.csv: wafers bought per offer, product and year, and their price (undiscounted)."""
    buy = ctx.data.get("buy")
    if buy is None or buy.empty:
        return {}
    table = buy[["scenario", "offer", "process", "product", "year"]].copy()
    table["wafers"] = sol.value("buy")
    table["cost_usd"] = table["wafers"] * buy["price"].to_numpy(dtype=float)
    return {"purchases": table[table["wafers"] > TINY].reset_index(drop=True)}


def bought(ctx: ModelContext, sol) -> pd.DataFrame:
    """scenario, product, process, year, wafers bought (for stages.csv's wafers made or bought)."""
    buy = ctx.data.get("buy")
    if buy is None or buy.empty:
        return pd.DataFrame(columns=["scenario", "product", "process", "year", "wafers"])
    keys = ["scenario", "product", "process", "year"]
    table = buy[keys].assign(wafers=sol.value("buy"))
    return table.groupby(keys, as_index=False)["wafers"].sum()


CONCERN = Concern(
    name="offers",
    requires=("production",),  # feeds production's stage_balance and region_balance rows
    families=(
        Family(
            name="offer_limit",
            kind="limit",
            elastic=True,
            source="supply_offers.csv max_wafers_per_year, first_year, last_year",
            unit="wafer",
            words="supply offer limits (supply_offers.csv max_wafers_per_year)",
            binds="offer {offer} sells all the wafers it offers in {year} ({scenario})",
            infeasible=explain_offers.offer_limit,
        ),
    ),
    add=add,
    extract=extract,
)
