"""The finance numbers of the report's who-pays section (issue 13): capital by source and its
marginal cost, the capital budget, and make or buy (wafers made against wafers bought).

Pandas only, from the plan tables (capital_sources.csv, binding.csv, production.csv,
purchases.csv, sites.csv); nothing here reads the data folder or the model. Every table is
empty when the plan lacks its file, so a plan without the issue-13 inputs reports as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.plan import statistics
from optimizer.plan.read import Plan

COMMITMENT = "commitment"
MARKET = "market"
# binding.csv families that put a price on one more dollar of capital
CAPITAL_FAMILIES = ("capital_budget", "tranche_limit", "commitment")
TINY = 1e-6  # dollars or wafers below this are solver noise

SOURCE_COLUMNS = ["partner", "source", "kind", "usd", "cost_of_capital", "financing_cost_npv_usd"]
LIMIT_COLUMNS = ["family", "partner", "tranche", "year", "shadow_price", "saving_usd", "sentence"]
MAKE_BUY_COLUMNS = ["year", "process", "made", "bought", "bought_share", "cost_usd"]


def capital_by_source(plan: Plan) -> pd.DataFrame:
    """partner, source, kind (commitment | tranche | market), usd, cost_of_capital,
    financing_cost_npv_usd: capital_sources.csv summed over years, cheapest source first.
    Empty without the table or when the capital comes from commitments alone (the partners
    table already shows that)."""
    if not plan.has("capital_sources"):
        return pd.DataFrame(columns=SOURCE_COLUMNS)
    frame = plan["capital_sources"]
    frame = frame[frame["usd"] > TINY]
    if frame.empty or (frame["source"] == COMMITMENT).all():
        return pd.DataFrame(columns=SOURCE_COLUMNS)
    out = frame.groupby(["partner", "source"], as_index=False).agg(
        usd=("usd", "sum"),
        cost_of_capital=("cost_of_capital", "max"),
        financing_cost_npv_usd=("financing_cost_npv_usd", "sum"),
    )
    out["kind"] = np.select(
        [out["source"] == COMMITMENT, out["source"] == MARKET], [COMMITMENT, MARKET], "tranche"
    )
    out = out.sort_values(["cost_of_capital", "partner", "source"]).reset_index(drop=True)
    return out[SOURCE_COLUMNS]


def marginal_rate(sources: pd.DataFrame, held: set[str] = frozenset()) -> float:
    """The highest cost of capital of any source drawn freely (NaN when nothing is drawn).

    A partner `held` at a binding minimum share is drawn because of that share, not because its
    capital is needed at the margin, so its rate is left out.
    """
    free = sources[~sources["partner"].isin(held)]
    return float(free["cost_of_capital"].max()) if len(free) else float("nan")


def held_by_min_share(plan: Plan) -> set[str]:
    """Partners whose min_share row binds (binding.csv)."""
    b = statistics.binding(plan)
    if b.empty or "partner" not in b.columns:
        return set()
    return set(b.loc[b["family"] == "min_share", "partner"].dropna().astype(str))


def capital_limits(plan: Plan) -> pd.DataFrame:
    """The binding capital_budget, tranche_limit and commitment rows of binding.csv with what
    one more dollar of the limit saves (the shadow price of a <= limit, as a positive saving)."""
    b = statistics.binding(plan)
    if b.empty:
        return pd.DataFrame(columns=LIMIT_COLUMNS)
    b = b[b["family"].isin(CAPITAL_FAMILIES)].copy()
    for c in ("partner", "tranche"):
        b[c] = b[c].fillna("").astype(str) if c in b.columns else ""
    b["saving_usd"] = b["shadow_price"].astype(float).abs()
    order = {f: i for i, f in enumerate(CAPITAL_FAMILIES)}
    b["_order"] = b["family"].map(order)
    b = b.sort_values(["_order", "saving_usd"], ascending=[True, False])
    return b[LIMIT_COLUMNS].reset_index(drop=True)


def budget_binds(limits: pd.DataFrame) -> float | None:
    """What one more dollar of capital budget saves when the budget binds, else None."""
    row = limits[limits["family"] == "capital_budget"]
    return float(row["saving_usd"].max()) if len(row) else None


def offers_modelled(plan: Plan) -> bool:
    """The plan was solved with supply offers (purchases.csv is written only then)."""
    return plan.has("purchases")


def make_or_buy(plan: Plan) -> pd.DataFrame:
    """year, process, made, bought (expected wafers a year), bought_share, cost_usd (purchase
    cost in the dollars of its year) for every process some offer sold wafers of."""
    if not offers_modelled(plan) or plan["purchases"].empty:
        return pd.DataFrame(columns=MAKE_BUY_COLUMNS)
    buys = statistics.expected(
        plan["purchases"], ["process", "year"], ["wafers", "cost_usd"], plan
    ).rename(columns={"wafers": "bought"})
    buys = buys[buys["bought"] > TINY]
    if buys.empty:
        return pd.DataFrame(columns=MAKE_BUY_COLUMNS)
    made = statistics.expected(_production(plan), ["process", "year"], ["wafers"], plan)
    made = made.rename(columns={"wafers": "made"})
    processes = set(buys["process"])
    years = sorted(set(buys["year"]) | set(made.loc[made["process"].isin(processes), "year"]))
    grid = pd.MultiIndex.from_product([sorted(processes), years], names=["process", "year"])
    frame = grid.to_frame(index=False)
    frame = frame.merge(made, on=["process", "year"], how="left")
    frame = frame.merge(buys, on=["process", "year"], how="left")
    frame[["made", "bought", "cost_usd"]] = frame[["made", "bought", "cost_usd"]].fillna(0.0)
    total = frame["made"] + frame["bought"]
    frame["bought_share"] = (frame["bought"] / total.where(total > TINY)).astype(float)
    frame = frame[total > TINY]
    return frame.sort_values(["year", "process"])[MAKE_BUY_COLUMNS].reset_index(drop=True)


def _production(plan: Plan) -> pd.DataFrame:
    """production.csv with its process (from sites.csv node in plans written before issue 12)."""
    p = plan["production"]
    if "process" in p.columns:
        return p.assign(process=p["process"].fillna("").astype(str))
    sites = plan["sites"] if plan.has("sites") else pd.DataFrame(columns=["site", "node"])
    node = sites.set_index("site")["node"] if "node" in sites.columns else pd.Series(dtype=str)
    return p.assign(process=p["site"].map(node).fillna("").astype(str))
