"""The report's numbers, derived from the plan tables with pandas (no formatting here).

Scenario tables (production, unmet, energy, prices, demand) are reduced to expected values with
the scenario probabilities of summary.json; with one scenario that is the scenario itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.contract import COST_COMPONENTS
from optimizer.plan.binding_stats import binding, binding_groups, year_list
from optimizer.plan.read import Plan
from optimizer.plan.schema import ALL_SCENARIOS

__all__ = ["binding", "binding_groups", "year_list"]  # kept here for their readers

COST_ORDER = list(COST_COMPONENTS)
COST_LABELS = {
    "financing": "Financing (repaying partners)",
    "site_fixed": "Fixed site costs",
    "energy_capacity": "Energy contract capacity charges",
    "operations": "Wafer operations",
    "operator_opex": "Operators' opex above the site's (operators.csv opex_factor)",
    "purchases": "Wafers bought from foundry offers",
    "energy": "Energy purchased",
    "carbon": "Carbon price on emissions",
    "shipping": "Shipping GPUs to markets",
    "unmet_demand": "Penalty for unmet demand",
    "risk_adjustment": "Risk adjustment (CVaR)",
}
CHECK_TOLERANCE = 1e-6  # relative: costs.csv must sum to objective_usd within this


def expected(frame: pd.DataFrame, by: list[str], values: list[str], plan: Plan) -> pd.DataFrame:
    """Probability-weighted sum over scenarios, grouped by `by` (empty frame stays empty).

    An empty result keeps the key columns' dtypes: a float `contract` key made the report's
    merges fail whenever a table was empty (a case without energy.csv has no energy rows).
    """
    if frame.empty:
        keys = {c: frame[c] if c in frame.columns else pd.Series(dtype="str") for c in by}
        return pd.DataFrame({**keys, **{v: pd.Series(dtype="float64") for v in values}})
    weights = frame["scenario"].map(plan.scenario_weights).fillna(0.0)
    weighted = frame[by].copy()
    for v in values:
        weighted[v] = frame[v].astype(float) * weights
    return weighted.groupby(by, as_index=False, sort=True)[values].sum()


def delivered_frame(plan: Plan) -> pd.DataFrame:
    """GPUs delivered to markets (scenario, product, year, gpus, ...): shipments.csv.

    With a supply chain, production.csv also holds the upstream stages' output (logic dies,
    interposers, memory stacks counted as the GPUs they support), so its sum is not what was
    delivered; plans written before shipments.csv existed had final-stage production only.
    """
    return plan["shipments"] if plan.has("shipments") else plan["production"]


def site_info(plan: Plan) -> pd.DataFrame:
    """One row per site: name, region, existing and maximum wspm, utilization (NaN if unknown).

    Uses sites.csv when the plan has it; otherwise what capacity.csv and builds.csv imply
    (existing = installed in the first year minus builds online by then; region unknown).
    """
    cap = plan["capacity"]
    builds = plan["builds"]
    names = sorted(set(cap["site"]) | set(builds["site"]))
    info = pd.DataFrame({"site": names})
    if plan.has("sites"):
        cols = [
            c
            for c in [
                "site",
                "name",
                "region",
                "country",
                "node",
                "existing_wspm",
                "max_wspm",
                "utilization",
            ]
            if c in plan["sites"].columns
        ]
        info = info.merge(plan["sites"][cols], on="site", how="outer")
    for c, dtype in [
        ("name", "str"),
        ("region", "str"),
        ("existing_wspm", "float64"),
        ("max_wspm", "float64"),
        ("utilization", "float64"),
    ]:
        if c not in info.columns:
            info[c] = pd.Series(np.nan, index=info.index, dtype=dtype)
    if info["existing_wspm"].isna().any() and not cap.empty:
        first = cap["year"].min()
        installed = cap[cap["year"] == first].set_index("site")["installed_wspm"]
        online = builds[builds["online_year"] <= first].groupby("site")["wspm"].sum()
        implied = installed.sub(online, fill_value=0.0)
        info["existing_wspm"] = info["existing_wspm"].fillna(info["site"].map(implied))
    info["region"] = info["region"].fillna("").astype(str)
    info["name"] = info["name"].fillna("").astype(str)
    return info.sort_values("site").reset_index(drop=True)


def has_regions(plan: Plan) -> bool:
    return bool((site_info(plan)["region"] != "").any())


def chart_groups(plan: Plan) -> list[str]:
    """Every region (or every site when regions are unknown): the keys of the shared colours."""
    info = site_info(plan)
    return sorted(set(info["region"] if has_regions(plan) else info["site"]))


@dataclass(frozen=True)
class Headline:
    """The executive summary's numbers."""

    objective_usd: float
    expected_cost_usd: float  # objective without the risk adjustment (= objective if none)
    gpus_demanded: float
    gpus_delivered: float
    gpus_unmet: float
    cost_per_gpu_usd: float  # cost less the unmet-demand penalty, per GPU delivered
    unmet_penalty_usd: float  # NPV (expected) of the penalty for GPUs not delivered
    wspm_built: float
    builds: int
    sites_built: int
    sites_opened: int  # sites with no existing capacity that get built
    capex_usd: float
    capital_usd: float
    grants_usd: float
    partners_funding: int
    energy_mwh: float
    co2_t: float
    energy_cost_usd: float
    status: str
    optimal: bool
    gap: float | None
    termination: str


def headline(plan: Plan) -> Headline:
    delivered = expected(delivered_frame(plan), ["year"], ["gpus"], plan)["gpus"].sum()
    unmet = expected(plan["unmet"], ["year"], ["gpus"], plan)["gpus"].sum()
    demanded = (
        expected(plan["demand"], ["year"], ["gpus"], plan)["gpus"].sum()
        if plan.has("demand")
        else delivered + unmet
    )
    builds = plan["builds"]
    info = site_info(plan).set_index("site")
    built_sites = sorted(set(builds.loc[builds["wspm"] > 0, "site"]))
    opened = [s for s in built_sites if not (info["existing_wspm"].get(s, 0.0) > 0)]
    energy = expected(supplied_energy(plan), ["year"], ["mwh", "co2_t", "cost_usd"], plan)
    funding = plan["funding"]
    grants = _grants(plan)
    gap = plan.summary.get("mip_gap")
    cost_rows = plan["costs"]
    risk = cost_rows.loc[cost_rows["component"] == "risk_adjustment", "npv_usd"].sum()
    expected_cost = plan.objective_usd - float(risk)
    # the penalty values GPUs NOT delivered: it is no cost of the GPUs that were
    penalty = float(cost_rows.loc[cost_rows["component"] == "unmet_demand", "npv_usd"].sum())
    return Headline(
        objective_usd=plan.objective_usd,
        expected_cost_usd=expected_cost,
        gpus_demanded=float(demanded),
        gpus_delivered=float(delivered),
        gpus_unmet=float(unmet),
        cost_per_gpu_usd=(expected_cost - penalty) / delivered if delivered > 0 else float("nan"),
        unmet_penalty_usd=penalty,
        wspm_built=float(builds["wspm"].sum()),
        builds=int((builds["wspm"] > 0).sum()),
        sites_built=len(built_sites),
        sites_opened=len(opened),
        capex_usd=float(builds["capex_usd"].sum()),
        capital_usd=float(funding["usd"].sum()),
        grants_usd=float(grants["usd"].sum()),
        partners_funding=int(funding.loc[funding["usd"] > 0.5, "partner"].nunique()),  # not noise
        energy_mwh=float(energy["mwh"].sum()),
        co2_t=float(energy["co2_t"].sum()),
        energy_cost_usd=float(energy["cost_usd"].sum()),
        status=str(plan.summary.get("status", "unknown")),
        optimal=plan.optimal,
        gap=None if gap is None else float(gap),
        termination=str(plan.summary.get("termination", "")),
    )


def _grants(plan: Plan) -> pd.DataFrame:
    """Grants per build: grants.csv, or the grant_usd column of builds.csv when it is absent."""
    if plan.has("grants"):
        return plan["grants"]
    b = plan["builds"]
    return b.loc[b["grant_usd"] > 0, ["site", "year", "grant_usd"]].rename(
        columns={"grant_usd": "usd"}
    )


def demand_by_year(plan: Plan) -> pd.DataFrame:
    """year, demanded, served, unmet, served_share (expected GPUs over all products/markets)."""
    frame = (
        demand_by_year_product(plan)
        .groupby("year", as_index=False)[["demanded", "served", "unmet"]]
        .sum()
    )
    frame["served_share"] = np.where(
        frame["demanded"] > 0, frame["served"] / frame["demanded"].where(frame["demanded"] > 0), 1.0
    )
    return frame


def demand_by_year_product(plan: Plan) -> pd.DataFrame:
    """year, product, demanded, served, unmet; demanded = demand.csv or served + unmet."""
    keys = ["year", "product"]
    served = expected(delivered_frame(plan), keys, ["gpus"], plan)
    served = served.rename(columns={"gpus": "served"})
    unmet = expected(plan["unmet"], keys, ["gpus"], plan).rename(columns={"gpus": "unmet"})
    frame = served.merge(unmet, on=keys, how="outer")
    if plan.has("demand"):
        demand = expected(plan["demand"], keys, ["gpus"], plan).rename(columns={"gpus": "demanded"})
        frame = frame.merge(demand, on=keys, how="outer")
    frame = frame.fillna({"served": 0.0, "unmet": 0.0})
    if "demanded" not in frame.columns:
        frame["demanded"] = frame["served"] + frame["unmet"]
    frame["demanded"] = frame["demanded"].fillna(frame["served"] + frame["unmet"])
    return frame.sort_values(keys).reset_index(drop=True)[
        ["year", "product", "demanded", "served", "unmet"]
    ]


def unmet_by_year_market(plan: Plan) -> pd.DataFrame:
    """year, product, market, gpus (expected), rows with unmet demand only."""
    frame = expected(plan["unmet"], ["year", "product", "market"], ["gpus"], plan)
    return frame[frame["gpus"] > 0].reset_index(drop=True)


def builds_table(plan: Plan) -> pd.DataFrame:
    """Builds with region and name, in decision-year order."""
    info = site_info(plan)[["site", "name", "region"]]
    frame = plan["builds"].merge(info, on="site", how="left")
    frame = frame[frame["wspm"] > 0]
    return frame.sort_values(["year", "site"]).reset_index(drop=True)


def capacity_by_group(plan: Plan) -> tuple[pd.DataFrame, str]:
    """Installed wspm per year by region (or by site when regions are unknown): wide frame."""
    cap = plan["capacity"].merge(site_info(plan)[["site", "region"]], on="site", how="left")
    group = "region" if (cap["region"].fillna("") != "").any() else "site"
    wide = cap.pivot_table(
        index="year", columns=group, values="installed_wspm", aggfunc="sum", fill_value=0.0
    )
    wide = wide.loc[:, (wide > 0).any()]  # candidate regions never built add nothing to read
    wide = wide.loc[:, sorted(wide.columns, key=lambda c: (-wide[c].iloc[-1], str(c)))]
    return wide, group


def per_scenario(frame: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """A staged decision table with every shared ("all") row repeated once per scenario, so
    each scenario's rows are the plan it gets (optimizer.plan.staged_view); unstaged: as is."""
    if "scenario" not in frame.columns or not (frame["scenario"] == ALL_SCENARIOS).any():
        return frame
    shared = frame[frame["scenario"] == ALL_SCENARIOS]
    own = frame[frame["scenario"] != ALL_SCENARIOS]
    copies = [shared.assign(scenario=w) for w in plan.scenario_weights]
    return pd.concat([*copies, own], ignore_index=True)


def view_scenario(plan: Plan) -> str | None:
    """The scenario a staged plan's view shows (optimizer.report.sections.staged_plan_view)."""
    return plan.summary.get("view_scenario")


def utilization_by_scenario_site(plan: Plan) -> pd.DataFrame:
    """scenario, site, year, available_wspm, wafers, load: each scenario's wafers made against
    that scenario's own available capacity (a staged plan's capacity differs by scenario)."""
    cap = per_scenario(plan["capacity"], plan)
    if "scenario" not in cap.columns:  # one plan for every scenario
        scenarios = pd.DataFrame({"scenario": list(plan.scenario_weights)})
        cap = cap.merge(scenarios, how="cross")
    cap = cap[["scenario", "site", "year", "available_wspm"]]
    made = plan["production"].groupby(["scenario", "site", "year"], as_index=False)["wafers"].sum()
    frame = cap.merge(made, on=["scenario", "site", "year"], how="left")
    frame["wafers"] = frame["wafers"].fillna(0.0)
    avail = frame["available_wspm"].astype(float)
    frame["load"] = (frame["wafers"] / (12 * avail.where(avail > 0))).astype(float)
    return frame.sort_values(["scenario", "site", "year"]).reset_index(drop=True)


def site_year_load(plan: Plan) -> pd.DataFrame:
    """site, year, available_wspm, wafers, load = wafers made / (12 x available wspm) (NaN where
    none is available): expected wafers over the scenarios; in a staged plan's view (one
    scenario's capacity) only that scenario's wafers, not weighted by its probability."""
    prod, shown = plan["production"], view_scenario(plan)
    if shown is None:
        wafers = expected(prod, ["site", "year"], ["wafers"], plan)
    else:
        prod = prod[prod["scenario"] == shown]
        wafers = prod.groupby(["site", "year"], as_index=False)["wafers"].sum()
    cap = plan["capacity"][["site", "year", "available_wspm"]].merge(
        wafers, on=["site", "year"], how="left"
    )
    cap["wafers"] = cap["wafers"].fillna(0.0)
    avail = cap["available_wspm"].astype(float)
    cap["load"] = (cap["wafers"] / (12 * avail.where(avail > 0))).astype(float)
    return cap


def utilization(plan: Plan) -> pd.DataFrame:
    """Wide frame site x year: wafers made / (12 x available wspm); NaN where none is available."""
    cap = site_year_load(plan)
    wide = cap.pivot(index="site", columns="year", values="load")
    has_capacity = cap.groupby("site")["available_wspm"].max() > 0
    return wide.loc[[s for s in wide.index if has_capacity.get(s, False)]]


def contracts_chosen(plan: Plan) -> pd.DataFrame:
    """Contracts with MW > 0 (or energy drawn): MW, MWh drawn, average price and CO2 per MWh."""
    use = expected(plan["energy"], ["contract"], ["mwh", "cost_usd", "co2_t"], plan)
    frame = (
        plan["contracts"]
        .merge(use, on="contract", how="left")
        .fillna({"mwh": 0.0, "cost_usd": 0.0, "co2_t": 0.0})
    )
    frame = frame[(frame["mw"] > 0) | (frame["mwh"] > 0)].copy()
    pos = frame["mwh"].where(frame["mwh"] > 0)
    frame["price_usd_per_mwh"] = frame["cost_usd"] / pos
    frame["co2_t_per_mwh"] = frame["co2_t"] / pos
    years = max(len(plan.years), 1)
    # average load over the horizon against contracted MW (8760 h a year)
    frame["load_factor"] = frame["mwh"] / (8760 * years * frame["mw"].where(frame["mw"] > 0))
    return frame.sort_values(["region", "contract"]).reset_index(drop=True)


def site_energy_shares(plan: Plan) -> pd.DataFrame:
    """site, contract, source, mwh, share of the site's energy over the horizon."""
    use = expected(plan["energy"], ["site", "contract"], ["mwh"], plan)
    use = use.merge(plan["contracts"][["contract", "source"]], on="contract", how="left")
    use["share"] = use["mwh"] / use.groupby("site")["mwh"].transform("sum")
    return use.sort_values(["site", "mwh"], ascending=[True, False]).reset_index(drop=True)


def supplied_energy(plan: Plan) -> pd.DataFrame:
    """scenario, year, supplier, source, mwh, cost_usd, co2_t: energy.csv's contracts plus the
    output of built generation (generation_output.csv, issue 14), which serves the fabs too."""
    use = plan["energy"].merge(plan["contracts"][["contract", "source"]], on="contract", how="left")
    use = use.rename(columns={"contract": "supplier"})
    use["source"] = use["source"].fillna("unknown")
    cols = ["scenario", "year", "supplier", "source", "mwh", "cost_usd", "co2_t"]
    if not plan.has("generation_output"):
        return use[cols]
    gen = plan["generation_output"].rename(columns={"project": "supplier"})
    return pd.concat([use[cols], gen[cols]], ignore_index=True)


def energy_mix(plan: Plan) -> pd.DataFrame:
    """Wide frame year x source: MWh (expected), contracts and built generation."""
    frame = expected(supplied_energy(plan), ["year", "source"], ["mwh"], plan)
    if frame.empty:
        return pd.DataFrame()
    return frame.pivot_table(index="year", columns="source", values="mwh", fill_value=0.0)


def energy_by_year(plan: Plan) -> pd.DataFrame:
    """year, mwh, cost_usd, co2_t, price_usd_per_mwh, co2_t_per_mwh (contracts and built
    generation; cost_usd is the energy price or the generation's variable cost)."""
    frame = expected(supplied_energy(plan), ["year"], ["mwh", "cost_usd", "co2_t"], plan)
    pos = frame["mwh"].where(frame["mwh"] > 0)
    frame["price_usd_per_mwh"] = frame["cost_usd"] / pos
    frame["co2_t_per_mwh"] = frame["co2_t"] / pos
    return frame


def partners(plan: Plan) -> pd.DataFrame:
    """partner_summary.csv with headroom against each partner's commitment limit."""
    frame = plan["partner_summary"].copy()
    for c in ["kind"]:
        if c not in frame.columns:
            frame[c] = ""
    for c in ["max_share", "min_share", "max_commitment_usd", "cost_of_capital"]:
        if c not in frame.columns:
            frame[c] = np.nan
    # headroom of the commitment: capital drawn from a partner's tranches (capital_sources.csv)
    # lies beyond its commitment and does not use it up twice
    committed = frame["usd"]
    if plan.has("capital_sources") and len(plan["capital_sources"]):
        src = plan["capital_sources"]
        beyond = src[src["source"] != "commitment"].groupby("partner")["usd"].sum()
        committed = frame["usd"] - frame["partner"].map(beyond).fillna(0.0)
    frame["headroom_usd"] = frame["max_commitment_usd"] - committed
    return frame.sort_values(["usd", "partner"], ascending=[False, True]).reset_index(drop=True)


def partner_region_shares(plan: Plan) -> pd.DataFrame:
    """partner, region, usd, share of the region's capital, max_share (NaN when no limit)."""
    info = site_info(plan)[["site", "region"]]
    fund = plan["funding"].merge(info, on="site", how="left")
    fund["region"] = fund["region"].fillna("")
    frame = fund.groupby(["region", "partner"], as_index=False)["usd"].sum()
    frame["share"] = frame["usd"] / frame.groupby("region")["usd"].transform("sum")
    limits = plan["partner_regions"][["partner", "region", "max_share"]]
    frame = frame.merge(limits, on=["partner", "region"], how="left")
    return frame.sort_values(["region", "usd"], ascending=[True, False]).reset_index(drop=True)


def grants_by_site(plan: Plan) -> pd.DataFrame:
    """site, usd, capex_usd, share of the site's capex."""
    g = _grants(plan).groupby("site", as_index=False)["usd"].sum()
    capex = plan["builds"].groupby("site", as_index=False)["capex_usd"].sum()
    frame = g.merge(capex, on="site", how="left")
    frame["share_of_capex"] = frame["usd"] / frame["capex_usd"].where(frame["capex_usd"] > 0)
    return frame.sort_values(["usd", "site"], ascending=[False, True]).reset_index(drop=True)


def grants_by_program(plan: Plan) -> pd.DataFrame:
    """program, kind, year, usd: the grants of subsidies.csv programs (issue 13) by year; empty
    when the plan has only the sites' own programs (named after their sites) or predates them."""
    g = _grants(plan)
    if "program" not in g.columns or not (g["program"] != g["site"]).any():
        return pd.DataFrame(columns=["program", "kind", "year", "usd"])
    g = g.assign(kind=g["kind"] if "kind" in g.columns else "")
    frame = g.groupby(["program", "kind", "year"], as_index=False)["usd"].sum()
    return frame.sort_values(["program", "year"]).reset_index(drop=True)


@dataclass(frozen=True)
class CostCheck:
    total_usd: float
    objective_usd: float
    difference_usd: float
    relative: float
    ok: bool


def costs(plan: Plan) -> tuple[pd.DataFrame, CostCheck]:
    """costs.csv in the documented order, each component's share, and the sum check."""
    frame = plan["costs"][["component", "npv_usd"]].copy()
    order = {c: i for i, c in enumerate(COST_ORDER)}
    frame["_order"] = frame["component"].map(order).fillna(len(order))
    frame = frame.sort_values(["_order", "component"]).drop(columns="_order").reset_index(drop=True)
    frame["label"] = frame["component"].map(COST_LABELS).fillna(frame["component"])
    total = float(frame["npv_usd"].sum())
    objective = plan.objective_usd
    diff = total - objective
    relative = abs(diff) / max(abs(objective), 1.0)
    # shares of the cash cost: a risk adjustment (CVaR weight) is not paid by anyone
    risk = frame["component"] == "risk_adjustment"
    cash = float(frame.loc[~risk, "npv_usd"].sum())
    # a plan that costs nothing has no shares (np.nan alone has no .where: the report crashed)
    share = frame["npv_usd"] / cash if cash else pd.Series(np.nan, index=frame.index)
    frame["share"] = share.where(~risk)
    return frame, CostCheck(total, objective, diff, relative, relative <= CHECK_TOLERANCE)


def prices(plan: Plan) -> pd.DataFrame:
    """Expected marginal USD per GPU: wide frame year x 'product market'."""
    frame = plan["prices"].copy()
    if frame.empty:
        return pd.DataFrame()
    frame["series"] = frame["product"] + " · " + frame["market"]
    exp = expected(frame, ["year", "series"], ["usd_per_gpu"], plan)
    return exp.pivot_table(index="year", columns="series", values="usd_per_gpu")


def prices_by_product(plan: Plan) -> pd.DataFrame:
    """Wide frame year x product: marginal USD per GPU averaged over markets (demand-weighted
    when demand.csv is present, else a plain mean)."""
    frame = expected(plan["prices"], ["year", "product", "market"], ["usd_per_gpu"], plan)
    if frame.empty:
        return pd.DataFrame()
    if plan.has("demand"):
        d = expected(plan["demand"], ["year", "product", "market"], ["gpus"], plan)
        frame = frame.merge(d, on=["year", "product", "market"], how="left")
        frame["w"] = frame["gpus"].fillna(0.0)
    else:
        frame["w"] = 1.0
    frame["wp"] = frame["w"] * frame["usd_per_gpu"]
    g = frame.groupby(["year", "product"], as_index=False)[["wp", "w"]].sum()
    plain = frame.groupby(["year", "product"], as_index=False)["usd_per_gpu"].mean()
    g = g.merge(plain, on=["year", "product"])
    g["price"] = np.where(g["w"] > 0, g["wp"] / g["w"].where(g["w"] > 0), g["usd_per_gpu"])
    return g.pivot_table(index="year", columns="product", values="price")


def by_scenario(plan: Plan) -> pd.DataFrame:
    """scenario, probability, demanded, served, unmet (GPUs), total_usd (NaN if unknown)."""
    weights = plan.scenario_weights
    frame = pd.DataFrame({"scenario": list(weights), "probability": list(weights.values())})
    served = delivered_frame(plan).groupby("scenario")["gpus"].sum()
    unmet = plan["unmet"].groupby("scenario")["gpus"].sum()
    frame["served"] = frame["scenario"].map(served).fillna(0.0)
    frame["unmet"] = frame["scenario"].map(unmet).fillna(0.0)
    if plan.has("demand"):
        demand = plan["demand"].groupby("scenario")["gpus"].sum()
        frame["demanded"] = frame["scenario"].map(demand).fillna(frame["served"] + frame["unmet"])
    else:
        frame["demanded"] = frame["served"] + frame["unmet"]
    totals = plan["scenario_costs"].set_index("scenario")["total_usd"]
    frame["total_usd"] = frame["scenario"].map(totals)
    return frame
