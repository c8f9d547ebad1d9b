"""Export lanes as a cause of unmet demand (issue 15 §2): capacity idle where no lane leads.

shipping.csv lists the lanes region -> market a GPU can travel; a pair it leaves out (export
rules, no trade route) has no shipment column at all, so no row binds and no shadow price says
so. From the plan tables alone: a market short of a product in a (scenario, year) while a region
without a lane to that market has assembly capacity of that product idle in that year. The
region's idle capacity is what the lane would have let serve the market: the cause's quantity.

"Assembly capacity of the product" is a site that assembles the product somewhere in the plan
(production.csv rows of the product with GPUs); its idle wspm is available_wspm x utilization
less the wafers it made / 12, in that scenario's own capacity (staged plans, per_scenario).
"""

from __future__ import annotations

import pandas as pd

from optimizer.plan import statistics
from optimizer.plan.read import Plan

KIND = "export lanes"
FAMILY = "no_lane"  # no family: the lane has no column, nothing binds
IDLE_TOLERANCE = 1.0  # wspm: less idle than this is a full site (solver noise)
UNMET_TOLERANCE = 0.5  # GPUs


def lane_causes(plan: Plan, short: pd.DataFrame) -> pd.DataFrame:
    """One row per (scenario, year, market short of a product, region with idle assembly of it
    and no lane to the market): kind "export lanes", item "REGION -> MARKET", quantity = the
    region's idle wspm of that product's assembly sites (unit wspm), impact 0 (structural)."""
    if short.empty or not plan.has("lanes") or not plan.has("sites"):
        return pd.DataFrame()
    unmet = plan["unmet"]
    unmet = unmet[unmet["gpus"] > UNMET_TOLERANCE][["scenario", "product", "market", "year"]]
    unmet = unmet.merge(short[["scenario", "year"]], on=["scenario", "year"])
    idle = _idle_assembly(plan)
    if unmet.empty or idle.empty:
        return pd.DataFrame()
    cand = unmet.merge(idle, on=["scenario", "product", "year"])
    lanes = plan["lanes"][["region", "market"]].drop_duplicates().assign(lane=True)
    cand = cand.merge(lanes, on=["region", "market"], how="left")
    cand = cand[cand["lane"].isna()]
    if cand.empty:
        return pd.DataFrame()
    rows = cand.groupby(["scenario", "year", "region", "market"], as_index=False)["idle_wspm"].max()
    return rows.assign(
        kind=KIND,
        item=rows["region"] + " -> " + rows["market"],
        family=FAMILY,
        impact_usd=0.0,
        quantity=rows["idle_wspm"],
        unit="wspm",
        stage="",
    ).drop(columns=["idle_wspm", "region", "market"])


def _idle_assembly(plan: Plan) -> pd.DataFrame:
    """scenario, product, year, region, idle_wspm: idle capacity of the sites that assemble the
    product (per region), in each scenario's own capacity."""
    prod = plan["production"]
    makers = prod[prod["gpus"] > 0][["site", "product"]].drop_duplicates()
    if makers.empty:
        return pd.DataFrame()
    sites = plan["sites"][["site", "region"]].copy()
    util = plan["sites"].get("utilization", 1.0)
    sites["utilization"] = pd.to_numeric(util, errors="coerce")
    sites["utilization"] = sites["utilization"].fillna(1.0)
    use = statistics.utilization_by_scenario_site(plan).merge(sites, on="site")
    use["idle_wspm"] = (
        use["available_wspm"].astype(float) * use["utilization"] - use["wafers"] / 12.0
    ).clip(lower=0.0)
    use = use[use["idle_wspm"] > IDLE_TOLERANCE]
    per = use.merge(makers, on="site")
    return per.groupby(["scenario", "product", "year", "region"], as_index=False)["idle_wspm"].sum()


def clause(item: str, quantity: float, year: object) -> str:
    """'no shipping lane KR -> CN (30,000 wspm of assembly idle in 2031; shipping.csv)'."""
    from optimizer.render.fmt import number

    when = f" in {int(year)}" if pd.notna(year) else ""
    idle = f"{number(quantity)} wspm of its assembly capacity idle{when}; " if quantity else ""
    return f"no shipping lane {item} ({idle}shipping.csv has no such lane)"
