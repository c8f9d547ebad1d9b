"""The report's content: eight sections in business language, one module each, built from the
plan statistics (optimizer.plan.statistics) and formatted with optimizer.render.fmt; a ninth,
Supply chain, follows Meeting demand when the plan models a stage before assembly or a tool
supply, and Decide now, decide later follows them for a staged plan (parameters.csv
stage_year; the sections after each are numbered one higher). The other sections of a staged
plan read the view of its most probable scenario (staged_plan_view), labelled as such.

Each section opens with a one-paragraph lead a strategy analyst can read without the tables.
"""

from __future__ import annotations

import dataclasses
import math

from optimizer.plan import statistics, unmet_causes
from optimizer.plan import supply_chain as supply_chain_stats
from optimizer.plan.read import Plan
from optimizer.plan.staged_view import scenario_view
from optimizer.render.document import Document
from optimizer.render.fmt import count, exact_usd, money, pct
from optimizer.report import scenarios
from optimizer.report.sections import (
    assumptions,
    builds,
    costs,
    demand,
    energy,
    executive,
    integer,
    limits,
    partners,
    stages,
    supply_chain,
    uncertainty,
)
from optimizer.report.sections.common import (
    plan_kind,
    year_span,
    years_text,
)

SECTION_KEYS = [  # supply_chain's only with a supply chain, stages' only for a staged plan
    m.KEY
    for m in (
        executive,
        builds,
        demand,
        supply_chain,
        stages,
        energy,
        partners,
        costs,
        limits,
        assumptions,
    )
]


def staged_plan_view(plan: Plan) -> Plan:
    """The plan the single-plan sections read: for a staged plan the view of its most probable
    scenario (decisions before the stage year plus that scenario's own; operational tables
    keep every scenario), marked with summary["view_scenario"]; an unstaged plan as is."""
    if stages.stage_year(plan) is None:
        return plan
    weights = plan.scenario_weights
    shown = max(weights, key=lambda w: (weights[w], -list(weights).index(w)))
    return dataclasses.replace(
        plan,
        summary={**plan.summary, "view_scenario": shown},
        tables=scenario_view(plan.tables, shown),
    )


def build_document(plan: Plan) -> Document:
    """The whole report for one plan folder (a staged plan: see staged_plan_view)."""
    full, plan = plan, staged_plan_view(plan)
    head = statistics.headline(plan)
    cost_frame, check = statistics.costs(plan)
    whole = integer.numbers(plan)
    modules = whole if plan.integer else None
    hedge = scenarios.numbers(plan) if plan.hedged else None
    chain = supply_chain_stats.modelled(plan)
    staged = full is not plan
    sections = [
        executive.section(executive.numbers(plan, head, modules, hedge)),
        builds.section(builds.numbers(plan, head, modules, full)),
        demand.section(demand.numbers(plan, head, hedge), shift=int(chain) + int(staged)),
    ]
    if chain:
        sections.append(supply_chain.section(supply_chain.numbers(plan), len(sections) + 1))
    if staged:  # before Energy: the sections after it are numbered one higher
        sections.append(stages.section(stages.numbers(full), len(sections) + 1))
    sections += [
        energy.section(energy.numbers(plan, head, cost_frame)),
        partners.section(partners.numbers(plan, head)),
        costs.section(costs.numbers(plan, cost_frame, check)),
        limits.section(limits.numbers(plan)),
        assumptions.section(assumptions.numbers(plan, whole)),
    ]
    for number, s in enumerate(sections, start=1):  # one higher after a supply-chain section
        s.number = number
    solver = plan.summary.get("solver") or {}
    subtitle = " · ".join(
        x
        for x in [
            plan_kind(plan),
            f"{years_text(plan)}",
            f"solved {plan.summary.get('created', '')}".strip(),
            f"{solver.get('name', '')} {solver.get('version', '')}".strip(),
            f"status {head.status}",
        ]
        if x and x != "solved"
    )
    return Document(
        title=_title(plan),
        subtitle=subtitle,
        warnings=warnings(full, head, check, whole, hedge),
        sections=sections,
        alert="" if head.optimal else _alert(head, whole),
        critical=0 if head.optimal else 1,
    )


def _title(plan: Plan) -> str:
    """The title names the case (its data folder), so reports of different cases differ."""
    case = plan.summary.get("case")
    return f"Chip-fab build-out plan — {case} case" if case else "Chip-fab build-out plan"


def _alert(head: statistics.Headline, whole: integer.IntegerNumbers) -> str:
    """One line under the title for a plan the solver did not prove optimal."""
    saving = whole.gap_usd
    if head.gap is not None and math.isfinite(head.gap):
        bound = f"with a gap of {pct(head.gap, 2)}: the best possible plan may cost up to " + (
            f"{money(saving)} less" if math.isfinite(saving) else f"{pct(head.gap, 2)} less"
        )
    else:
        bound = "with an unknown gap"
    return (
        f"The solver stopped (status {head.status}) {bound}. This is a feasible plan, not "
        "necessarily the best one; see the warning in the executive summary."
    )


MAX_CAUSE_SENTENCES = 8  # (scenario, run of years) sentences in the unmet-demand warning


def _causes_text(plan: Plan) -> str:
    """Why demand goes unmet, one sentence per scenario and run of years (issue 15 §2)."""
    said = unmet_causes.sentences(plan)
    if not said:
        return ""
    more = len(said) - MAX_CAUSE_SENTENCES
    return (
        " Why, from the binding limits (impact = |shadow price| x the size of the limit): "
        + " ".join(said[:MAX_CAUSE_SENTENCES])
        + (f" ({more} more runs of years in binding.csv.)" if more > 0 else "")
    )


def warnings(
    plan: Plan,
    head: statistics.Headline,
    check: statistics.CostCheck,
    whole: integer.IntegerNumbers,
    hedge: scenarios.HedgeNumbers | None,
) -> list[str]:
    """What a reader must know before trusting the numbers."""
    out: list[str] = []
    if not head.optimal:
        saving = whole.gap_usd
        dollars = f" ({money(saving)})" if math.isfinite(saving) and saving >= 1.0 else ""
        gap_text = (
            f"The remaining optimality gap is {pct(head.gap, 2)}, so the best possible plan may "
            f"cost up to {pct(head.gap, 2)}{dollars} less."
            if head.gap is not None and math.isfinite(head.gap)
            else "The remaining optimality gap is unknown."
        )
        term = f" ({head.termination})" if head.termination else ""
        out.append(
            f"This plan is NOT proven optimal: the solver stopped with status "
            f"'{head.status}'{term}. It is a feasible plan, not necessarily the cheapest. "
            f"{gap_text} "
            "Rerun with a longer --time-limit (or a larger --mip-gap tolerance accepted "
            "knowingly) before relying on it."
        )
    if head.gpus_unmet > 0.5:
        unmet = statistics.unmet_by_year_market(plan)
        years = year_span(unmet["year"].tolist())
        penalty = plan.params.get("unmet_penalty_usd_per_gpu")
        cost_frame, _ = statistics.costs(plan)
        penalty_npv = cost_frame.loc[cost_frame["component"] == "unmet_demand", "npv_usd"].sum()
        share = head.gpus_unmet / head.gpus_demanded if head.gpus_demanded else float("nan")
        priced = f" at {money(float(penalty))} per GPU" if penalty is not None else ""
        if plan.params.get("unmet_penalty_by_product"):  # products.csv sets their own
            priced = " of each product (costs section)"
        hedged = hedge is not None
        out.append(
            ("In expectation over the scenarios, the" if hedged else "The")
            + f" plan leaves {count(head.gpus_unmet)} GPUs of demand unmet ({pct(share, 2)} of "
            f"all demand), in {years}. Each GPU short is charged the unmet-demand "
            f"penalty{priced}; the penalty adds "
            f"{money(penalty_npv)} (NPV) to the "
            + ("expected cost. " + uncertainty.unmet_by_scenario_text(hedge) if hedge else "cost.")
            + _causes_text(plan)
            + (
                ""
                if head.optimal
                else " As the plan is not proven optimal, part of this "
                "shortfall may be due to the solver stopping early."
            )
        )
    if not check.ok:
        out.append(
            f"The cost components add up to {money(check.total_usd)}, not to the objective the "
            f"solver reported ({money(check.objective_usd)}): the plan tables are inconsistent "
            f"(difference {exact_usd(check.difference_usd)} USD)."
        )
    return out


__all__ = ["build_document", "warnings", "SECTION_KEYS"]
