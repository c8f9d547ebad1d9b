"""Make or buy: wafers of an upstream process bought from a foundry's offer (supply_offers.csv).

Owning capacity costs capex (through the annuity), fixed costs, opex and energy; an offer sells
wafers at one price that includes all of them and uses none of the partnership's capacity. For
offer o (process p, window first_year..last_year) the model adds

    buy[w,o,k,t] >= 0     wafers of p bought for product k, only where k's recipe has p as an
                          upstream stage, t is in the window and k is assembled in (w, t)
    offer_limit:          sum_k buy[w,o,k,t] <= max_wafers_per_year(o)
    stage_balance (+):    per_wafer_eff(k,p,t) x buy[w,o,k,t] joins the (w,k,p,t) row
    cost "purchases":     prob(w) x df(t) x price_usd_per_wafer(o) x buy[w,o,k,t]

Offers of a final (assembly) process are refused by validation (optimizer/inputs/offer_checks.py):
bought GPUs would need region flows for regions without sites. Without supply_offers.csv nothing
is added and the model is unchanged.
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


def buy_index(ctx: ModelContext) -> pd.DataFrame:
    """One row per buy column: its keys, process, stage-balance row, per_wafer_eff and price.

    Offers reach only stage-balance rows (upstream stages of products assembled in (w, t)), so a
    bought wafer always has a use; years outside the offer's window have no column."""
    offers = ctx.case.supply_offers
    stage_rows = ctx.data.get("stage_rows")
    if offers.empty or stage_rows is None or stage_rows.empty:
        return pd.DataFrame(columns=[*BUY, "process", "row", "per_wafer", "price"])
    rows = stage_rows[["scenario", "product", "process", "year"]].reset_index(names="row")
    cols = ["offer", "process", "first_year", "last_year", "price_usd_per_wafer"]
    t = rows.merge(offers[cols], on="process")
    t = t[(t["year"] >= t["first_year"]) & (t["year"] <= t["last_year"])]
    stages = ctx.data["stages"][["product", "process", "year", "per_wafer"]]
    t = t.merge(stages, on=["product", "process", "year"])
    t = t.rename(columns={"price_usd_per_wafer": "price"})
    return t[[*BUY, "process", "row", "per_wafer", "price"]].sort_values(BUY).reset_index(drop=True)


def add(ctx: ModelContext) -> None:
    buy = buy_index(ctx)
    ctx.data["buy"] = buy
    if buy.empty:
        return
    s = ctx.scale
    ctx.add_vars("buy", buy[BUY], s.wafers)
    pos = np.arange(len(buy))
    # bought units feed the stage balance like made ones (rows in the 'unit' scale: s.gpus)
    per_wafer = buy["per_wafer"].to_numpy(dtype=float)
    ctx.extend_constraints(
        "stage_balance", terms_frame(buy["row"], "buy", pos, per_wafer * s.wafers / s.gpus)
    )
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
    requires=("production",),  # feeds production's stage_balance rows (ctx.data["stage_rows"])
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
