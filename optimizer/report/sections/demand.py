"""Meeting demand: demand served and unmet, by scenario, product and market; utilization."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.plan import statistics
from optimizer.plan.read import Plan
from optimizer.render import charts
from optimizer.render.document import (
    Figure,
    Section,
    para,
    table,
)
from optimizer.render.fmt import (
    count,
    number,
    pct,
    year,
)
from optimizer.report import scenarios
from optimizer.report.sections import uncertainty
from optimizer.report.sections.common import (
    MAX_ROWS,
    pick_years,
    scenario_demand,
    year_span,
    years_text,
)

KEY = "meeting-demand"


@dataclass(frozen=True)
class DemandNumbers:
    """Every number the meeting-demand section shows, computed before any formatting."""

    head: statistics.Headline
    by_year: pd.DataFrame  # statistics.demand_by_year
    by_product: pd.DataFrame  # statistics.demand_by_year_product
    products: list[str]
    product_wide: pd.DataFrame  # year x (demanded|served|unmet, product)
    product_totals: pd.DataFrame  # demanded, served, unmet per product over the horizon
    unmet: pd.DataFrame  # statistics.unmet_by_year_market
    by_scenario: pd.DataFrame | None  # statistics.by_scenario, for an unhedged multi-scenario plan
    utilization: pd.DataFrame  # statistics.utilization: site x year
    utilization_limit: pd.Series  # site -> utilization ceiling
    years: str  # "2025–2040"
    scenarios: int
    hedge: scenarios.HedgeNumbers | None  # for a hedged plan
    view_scenario: str = ""  # a staged plan's view: utilization is this scenario's own


def numbers(
    plan: Plan, head: statistics.Headline, hedge: scenarios.HedgeNumbers | None
) -> DemandNumbers:
    """The meeting-demand section's bundle from the plan statistics."""
    by_product = statistics.demand_by_year_product(plan)
    many = len(plan.scenario_weights) > 1
    return DemandNumbers(
        head=head,
        by_year=statistics.demand_by_year(plan),
        by_product=by_product,
        products=sorted(by_product["product"].unique()),
        product_wide=by_product.set_index(["year", "product"])[["demanded", "served", "unmet"]]
        .unstack("product")
        .fillna(0.0),
        product_totals=by_product.groupby("product")[["demanded", "served", "unmet"]].sum(),
        unmet=statistics.unmet_by_year_market(plan),
        by_scenario=statistics.by_scenario(plan) if many and not plan.hedged else None,
        utilization=statistics.utilization(plan),
        utilization_limit=statistics.site_info(plan).set_index("site")["utilization"],
        years=years_text(plan),
        scenarios=len(plan.scenario_weights),
        hedge=hedge,
        view_scenario=str(statistics.view_scenario(plan) or ""),
    )


def section(n: DemandNumbers, shift: int = 0) -> Section:
    """Section 3: demand served and unmet, by scenario, product and market; utilization.
    `shift`: sections inserted after this one (a supply-chain section), for cross-references."""
    head, by_product, by_year, unmet, hedge = n.head, n.by_product, n.by_year, n.unmet, n.hedge
    runs: list = []
    if len(by_year):
        first, last = by_year.iloc[0], by_year.iloc[-1]
        runs.append(
            f"Demand grows from {count(first['demanded'])} GPUs in {year(first['year'])} to "
            f"{count(last['demanded'])} in {year(last['year'])}. "
        )
    if head.gpus_unmet > 0.5:
        markets = ", ".join(sorted(set(unmet["market"])))
        runs.append(
            f"The plan serves {pct(head.gpus_delivered / head.gpus_demanded)} of it; "
            f"{count(head.gpus_unmet)} GPUs go unserved in {year_span(unmet['year'].tolist())} "
            f"(markets: {markets}); the warning at the top names the limits that bind in "
            "those years, with their numbers. "
        )
    else:
        runs.append("The plan serves all of it. ")
    runs.append(
        "Utilization is the share of a site's available capacity (after ramp-up) that runs: "
        "wafers started / (12 x available wspm)."
    )
    if hedge is not None:
        runs.append(
            " Figures here are expected values over the scenarios; each scenario on its own is in "
            f"{uncertainty.TITLE} below."
        )
    section = Section(KEY, 3, "Meeting demand", para(*runs))
    if n.by_scenario is not None:
        section.blocks.append(
            scenario_demand(
                n.by_scenario,
                n.years,
                note="The other tables and charts show expected values (weighted by probability).",
            )
        )
    products = n.products
    if 1 < len(products) <= 3:
        wide = n.product_wide
        cols = [(m, p) for p in products for m in ("demanded", "served", "unmet")]
        names = {"demanded": "demanded", "served": "supplied", "unmet": "unmet"}
        section.blocks.append(
            table(
                "demand-by-product",
                "GPUs demanded and supplied per year and product",
                ("Year", *[f"{p} {names[m]}" for m, p in cols]),
                [(year(y), *[number(wide.loc[y, c]) for c in cols]) for y in wide.index],
                "l" + "r" * len(cols),
            )
        )
    elif len(products) > 3:
        totals = n.product_totals
        section.blocks.append(
            table(
                "demand-by-product",
                f"GPUs demanded and supplied per product, {n.years}",
                ("Product", "Demanded", "Supplied", "Unmet", "Served share"),
                [
                    (
                        p,
                        number(r.demanded),
                        number(r.served),
                        number(r.unmet),
                        pct(r.served / r.demanded if r.demanded else 1.0),
                    )
                    for p, r in zip(totals.index, totals.itertuples(), strict=True)
                ],
                "lrrrr",
                note="Per year and product: production.csv and unmet.csv, or plan.xlsx.",
            )
        )
    if len(by_product):
        section.blocks.append(
            Figure(
                charts.demand_supply(by_product),
                "Bars: GPUs supplied by product, with unmet demand on top; line: demand"
                + (" (expected over the scenarios)." if n.scenarios > 1 else "."),
            )
        )
    if len(unmet):
        section.blocks.append(
            table(
                "unmet",
                "Unmet demand (GPUs"
                + (", expected over the scenarios)" if n.scenarios > 1 else ")"),
                ("Year", "Product", "Market", "Unmet GPUs"),
                [(year(r.year), r.product, r.market, number(r.gpus)) for r in unmet.itertuples()],
                "lllr",
                total=("Total", "", "", number(unmet["gpus"].sum())),
                limit=MAX_ROWS,
                source="unmet.csv",
            )
        )
    util = n.utilization
    if len(util):
        shown = pick_years(list(util.columns))
        rows = [
            (
                site,
                pct(n.utilization_limit.get(site, np.nan), 0),
                *[pct(util.loc[site, y], 0) for y in shown],
            )
            for site in util.index
        ]
        section.blocks.append(
            table(
                "utilization",
                "Utilization per site (share of available capacity running)",
                ("Site", "Limit", *[year(y) for y in shown]),
                rows,
                "lr" + "r" * len(shown),
                limit=MAX_ROWS,
                source="production.csv and capacity.csv",
                note="Limit: the site's utilization ceiling from the input data. "
                "A dash: no capacity available that year."
                + (
                    f" Scenario {n.view_scenario}'s wafers against its own capacity (the "
                    "builds section has every scenario's fleet utilisation)."
                    if n.view_scenario
                    else " Expected over the scenarios."
                    if hedge is not None
                    else ""
                ),
            )
        )
    if hedge is not None:
        section.blocks += uncertainty.blocks(hedge, shift)
    return section
