"""What limits the plan: binding constraints ranked by impact, marginal cost of a GPU."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.plan import figures, statistics
from optimizer.plan.read import Plan
from optimizer.render import charts
from optimizer.render.document import (
    Bullets,
    Figure,
    Heading,
    Section,
    Strong,
    para,
    table,
)
from optimizer.render.fmt import (
    exact_usd,
    money,
    price,
    year,
)
from optimizer.report.sections import integer
from optimizer.report.sections.common import (
    MAX_BINDING_ROWS,
    MAX_BINDING_SENTENCES,
    plural,
)

KEY = "limits"


@dataclass(frozen=True)
class LimitNumbers:
    """Every number the limits section shows, computed before any formatting."""

    binding: pd.DataFrame  # figures.shaping_binding: the rows that shape the plan, by impact
    groups: pd.DataFrame  # figures.shaping_groups: one sentence per distinct limit
    prices: pd.DataFrame  # statistics.prices: year x (product, market)
    by_product: pd.DataFrame  # statistics.prices_by_product
    penalty_usd: float | None  # the unmet-demand penalty per GPU
    integer: bool
    optimal: bool
    hedged: bool
    scenarios: int
    no_duals: bool  # an integer plan whose fixed LP gave no prices
    time_limit: bool  # the solve stopped at its time limit
    dropped: int = 0  # binding.csv rows left out: no impact, or grant rates on builds of zero


def numbers(plan: Plan) -> LimitNumbers:
    """The limits section's bundle from the plan statistics."""
    bind = figures.shaping_binding(plan)
    penalty = plan.params.get("unmet_penalty_usd_per_gpu")
    return LimitNumbers(
        binding=bind,
        groups=statistics.binding_groups(plan, bind),
        prices=statistics.prices(plan),
        by_product=statistics.prices_by_product(plan),
        penalty_usd=float(penalty) if penalty is not None else None,
        integer=plan.integer,
        optimal=plan.optimal,
        hedged=plan.hedged,
        scenarios=len(plan.scenario_weights),
        no_duals=_no_duals(plan, bind),
        time_limit=str(plan.summary.get("status", "")) == "time_limit",
        dropped=len(plan["binding"]) - len(bind),
    )


def section(n: LimitNumbers) -> Section:
    """Section 7: the binding constraints ranked by impact and the marginal cost of a GPU."""
    bind, groups = n.binding, n.groups
    runs = []
    if len(bind):
        runs.append(
            f"{len(bind)} constraint{plural(len(bind))} "
            f"{'are' if len(bind) != 1 else 'is'} binding and "
            f"shape{'' if len(bind) != 1 else 's'} the plan "
            f"({len(groups)} distinct limit{plural(len(groups))}, counting a limit that binds in "
            "several years once): the plan would be cheaper if these limits were looser. The "
            "list ranks them by impact. A shadow price is the change in total cost (NPV) if the "
            "limit were relaxed by one unit. "
            + figures.IMPACT_MEANING
            + (
                f" Left out here: {n.dropped} row{plural(n.dropped)} of binding.csv. "
                if n.dropped
                else " "
            )
        )
    else:
        runs.append("No constraint is reported as binding. ")
    runs.append(
        "The marginal cost of a GPU is what one more GPU of demand in a given year would cost "
        "the plan; it equals the unmet-demand penalty in years when demand goes unmet."
    )
    label = f" ({integer.DUALS_LABEL})" if n.integer else ""
    duals_note = (
        para(
            "This is an integer plan, so its shadow prices and GPU prices come ",
            Strong(integer.DUALS_LABEL),
            ": the sites opened and the modules built are held as they are, and the prices "
            "value a small change with those decisions unchanged. They do not price opening "
            "another site or building one more whole module."
            + (
                " As this plan is not proven optimal, they are the prices of this plan, not "
                "necessarily those of the best one."
                if not n.optimal
                else ""
            ),
        )
        if n.integer
        else None
    )
    if n.hedged:
        runs.append(
            " In a hedged plan a limit on operations binds scenario by scenario (the scenario is "
            "named in the constraint); GPU prices are expected values over the scenarios."
        )
    if n.no_duals:
        return Section(
            KEY,
            7,
            "What limits the plan",
            para(
                "The LP with the integer decisions fixed returned no prices for this plan: every "
                "GPU price in prices.csv is zero and no constraint is reported as binding"
                + (
                    ", as happens when the time limit is used up before that LP is solved"
                    if n.time_limit
                    else ""
                )
                + ". This section therefore cannot say which limits bind or what one more GPU "
                "would cost; rerun without a time limit (or with a longer one) to get them."
            ),
        )
    section = Section(KEY, 7, "What limits the plan", para(*runs))
    if duals_note is not None:
        section.blocks.append(duals_note)
    if len(bind):
        section.blocks.append(
            Bullets(
                tuple(para(s) for s in groups["sentence"].head(MAX_BINDING_SENTENCES)), ordered=True
            )
        )
        if len(groups) > MAX_BINDING_SENTENCES:
            section.blocks.append(
                para(
                    f"{len(groups) - MAX_BINDING_SENTENCES} more limits bind with smaller impact; "
                    "the table below lists the binding constraints one by one."
                )
            )
        shown = bind.head(MAX_BINDING_ROWS)
        section.blocks.append(
            table(
                "binding",
                f"Binding constraints{label}",
                ("Rank", "Constraint", "Where", "Shadow price", "Unit", "Impact (USD, NPV)"),
                [
                    (
                        str(i + 1),
                        str(r.family).replace("_", " "),
                        str(r.where),
                        price(r.shadow_price),
                        str(r.unit),
                        exact_usd(abs(float(r.impact_usd))),
                    )
                    for i, r in enumerate(shown.itertuples())
                ],
                "lllrlr",
                note=""
                if len(bind) <= MAX_BINDING_ROWS
                else f"The {len(bind) - MAX_BINDING_ROWS} further binding constraints are in "
                "binding.csv and the workbook.",
            )
        )
    prices, by_product = n.prices, n.by_product
    if len(by_product):
        section.blocks.append(Heading(f"Marginal cost of a GPU{label}"))
        values = prices.stack().dropna()
        if len(values):
            hi, lo = values.idxmax(), values.idxmin()
            section.blocks.append(
                para(
                    f"One more GPU of demand would cost between {money(values.min())} "
                    f"({lo[1]}, {year(lo[0])}) and {money(values.max())} ({hi[1]}, {year(hi[0])}), "
                    "in each year's dollars. High values mark years where capacity is tight."
                )
            )
        shown = prices if prices.shape[1] <= 8 else by_product
        section.blocks.append(
            Figure(
                charts.gpu_prices(shown, n.penalty_usd),
                "Marginal cost of one more GPU of demand, in each year's dollars"
                + (", expected over the scenarios" if n.scenarios > 1 else "")
                + f"{label}.",
            )
        )
        shown_table = prices if prices.shape[1] <= 6 else by_product
        section.blocks.append(
            table(
                "prices",
                "Marginal cost of one more GPU (USD per GPU, that year's dollars"
                + (", expected over the scenarios" if n.scenarios > 1 else "")
                + (f"; {integer.DUALS_LABEL})" if n.integer else ")"),
                ("Year", *[str(c) for c in shown_table.columns]),
                [
                    (year(y), *[money(shown_table.loc[y, c]) for c in shown_table.columns])
                    for y in shown_table.index
                ],
                "l" + "r" * shown_table.shape[1],
                note=""
                if shown_table is prices
                else "Averaged over markets, weighted by demand where the plan records it.",
            )
        )
    return section


def _no_duals(plan: Plan, bind: pd.DataFrame) -> bool:
    """An integer plan whose fixed-LP re-solve gave no duals: all prices zero, nothing binding.
    (Every GPU of demand costs something to serve or to leave unmet, so a real price is > 0.)"""
    prices = plan["prices"]["usd_per_gpu"].astype(float)
    return plan.integer and len(prices) > 0 and bool((prices.abs() < 1e-9).all()) and not len(bind)
