"""What the report says about a hedged plan: "Planning under uncertainty" and its summary.

The shared (first-stage) decisions are shown once, in sections 2, 4 and 5. This subsection shows
what differs per scenario (GPUs supplied and unmet, cost), the risk setting, the value of
hedging (VSS) and of perfect information (EVPI), and the regret table. They come as one bundle,
optimizer.report.scenarios.HedgeNumbers; the executive summary, the warnings and this subsection
only format it (with optimizer.render.fmt).
"""

from __future__ import annotations

import math

from optimizer.plan import statistics
from optimizer.render import charts
from optimizer.render.document import Block, Figure, Heading, Paragraph, para, table
from optimizer.render.fmt import count, money, money_denoised, number, pct, year
from optimizer.report import scenarios
from optimizer.report.sections.common import scenario_demand
from optimizer.report.sections.uncertainty_regret import blocks as regret_blocks
from optimizer.report.sections.uncertainty_regret import (
    penalty_clause,
    regret_sentence,
)

KEY = "planning-under-uncertainty"
TITLE = "Planning under uncertainty"
WHERE = f"section 3, {TITLE}"
MAX_WIDE_SCENARIOS = 4  # beyond this, supplied and unmet go in two tables
SHORT_LABELS = {
    "financing": "Financing",
    "site_fixed": "Site fixed",
    "energy_capacity": "Energy capacity",
    "operations": "Operations",
    "operator_opex": "Operator opex",
    "purchases": "Purchases",
    "energy": "Energy",
    "carbon": "Carbon",
    "shipping": "Shipping",
    "unmet_demand": "Unmet penalty",
}
PROSE_LABELS = {
    "financing": "financing",
    "site_fixed": "fixed site costs",
    "energy_capacity": "energy capacity charges",
}
FIRST_STAGE = ("financing", "site_fixed", "energy_capacity")
CHECK_TOLERANCE = 1e-6


def weights_text(h: scenarios.HedgeNumbers) -> str:
    """'low 25%, base 50%, high 25%'."""
    return ", ".join(f"{s} {pct(p, 0)}" for s, p in h.weights.items())


def risk_sentence(h: scenarios.HedgeNumbers) -> str:
    """The risk setting in one or two sentences, with the CVaR of this plan's scenario costs."""
    if h.risk is None:
        return (
            "Risk setting: risk-neutral. The plan minimises the expected cost, weighting each "
            "scenario by its probability (a risk-averse plan, --cvar ALPHA --risk-weight L, "
            "would also weigh its worst outcomes)."
        )
    alpha, weight = h.risk
    text = (
        f"Risk setting: risk-averse. The plan minimises (1 − {weight:g}) × expected cost + "
        f"{weight:g} × CVaR at {alpha:g}, where the CVaR (conditional value at risk) is the "
        f"average cost of the worst {pct(1 - alpha, 0)} of outcomes: it gives up some expected "
        "cost to be protected when demand turns out badly."
    )
    if h.costs is not None:
        mean, tail, worst = h.costs.expected["total"], h.costs.cvar_usd, h.costs.tail
        objective = (1 - weight) * mean + weight * tail
        text += (
            f" For this plan the expected cost is {money(mean)} and the CVaR {money(tail)} "
            f"(the {' and '.join(worst)} scenario{'s' if len(worst) != 1 else ''})"
        )
        if abs(objective - h.objective_usd) <= CHECK_TOLERANCE * max(h.objective_usd, 1.0):
            text += (
                f", so the objective is (1 − {weight:g}) × {money(mean)} + {weight:g} × "
                f"{money(tail)} = {money(objective)}."
            )
        else:
            text += "."
    return text


def value_sentences(h: scenarios.HedgeNumbers) -> list[str]:
    """VSS and EVPI in plain words with their numbers; empty when the solve did not write them."""
    v = h.values
    if not v.known:
        return []
    out: list[str] = []
    if h.risk is not None and math.isfinite(v.rp_usd):
        mean = h.expected_cost_usd
        extra = mean - v.rp_usd
        out.append(
            "EVPI and VSS are measured, as Birge and Louveaux define them, on the risk-neutral "
            f"hedged plan (expected cost {money(v.rp_usd)}). This risk-averse plan's expected "
            + (
                f"cost is {money(mean)}, {money_denoised(extra)} more: "
                "the price of its protection against "
                "the worst outcomes. "
                if extra >= 1.0
                else f"cost is the same ({money(mean)}). "
            )
        )
    eev = f"; the mean-demand plan's decisions cost {money(v.eev_usd)} in expectation" + (
        f", the hedged plan {money(v.rp_usd)}" if math.isfinite(v.rp_usd) else ""
    )
    if v.vss_usd >= 1.0:
        out.append(
            f"Hedging saves {money_denoised(v.vss_usd)} against planning for average demand "
            "(VSS, the value "
            f"of the stochastic solution{eev if math.isfinite(v.eev_usd) else ''})"
            f"{penalty_clause(v.vss_usd, v.vss_penalty_usd)}. "
        )
    else:
        out.append(
            "Hedging saves nothing here against planning for average demand (VSS $0): the plan "
            "for average demand would do as well. "
        )
    ws = (
        f": with perfect foresight each scenario would get its own plan, at "
        f"{money(v.ws_usd)} in expectation"
        if math.isfinite(v.ws_usd)
        else ""
    )
    out.append(
        f"Knowing the future would save a further {money_denoised(v.evpi_usd)} "
        "(EVPI, the expected value of "
        f"perfect information{ws}){penalty_clause(v.evpi_usd, v.evpi_penalty_usd)}: that is the "
        "most it is worth paying for a better forecast."
    )
    return out


def short_value_sentence(h: scenarios.HedgeNumbers) -> str:
    v = h.values
    if not v.known:
        return ""
    return (
        f"Hedging saves {money_denoised(v.vss_usd)} against planning for average demand "
        f"(VSS){penalty_clause(v.vss_usd, v.vss_penalty_usd, say_none=False)}; knowing the "
        f"future would save a further {money_denoised(v.evpi_usd)} (EVPI)"
        f"{penalty_clause(v.evpi_usd, v.evpi_penalty_usd, say_none=False)}. "
    )


def summary_paragraph(h: scenarios.HedgeNumbers) -> Paragraph:
    """The executive summary's paragraph on uncertainty."""
    runs = [
        f"This is a staged hedged plan over {len(h.weights)} demand scenarios "
        f"({weights_text(h)}): builds, energy contracts and funding before the stage year are "
        "chosen once for all of them, later ones once the scenario is known (Decide now, "
        f"decide later). {h.staged} "
        if h.staged
        else f"This is a hedged plan: its builds, energy contracts and funding are chosen once "
        f"for {len(h.weights)} demand scenarios ({weights_text(h)}), and only "
        "production, energy use and unmet demand adapt to the scenario that happens. "
    ]
    if h.risk is not None:
        alpha, weight = h.risk
        runs.append(
            f"It is risk-averse: the worst {pct(1 - alpha, 0)} of outcomes (CVaR) get a weight "
            f"of {weight:g} in its objective. "
        )
    if h.costs is not None:
        costs = h.costs.frame
        runs.append(
            "Depending on demand it costs "
            + _or(
                f"{money(t)} ({s})"
                for s, t in zip(costs["scenario"], costs["total_usd"], strict=True)
            )
            + ". "
        )
    runs.append(short_value_sentence(h))
    if h.regret is not None:
        runs.append(regret_sentence(h, h.regret).split(". ")[0] + ". ")
    runs.append(f"Details: {WHERE}.")
    return para(*runs)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _or(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def key_figure_rows(h: scenarios.HedgeNumbers) -> list[tuple[str, str]]:
    rows = []
    if h.costs is not None:
        costs = h.costs.frame
        rows.append(
            (
                "Cost by scenario (NPV)",
                "; ".join(
                    f"{s} {money(t)}"
                    for s, t in zip(costs["scenario"], costs["total_usd"], strict=True)
                ),
            )
        )
    v = h.values
    if v.known:
        rows.append(("Value of hedging (VSS)", _with_penalty(v.vss_usd, v.vss_penalty_usd)))
        rows.append(
            ("Value of perfect information (EVPI)", _with_penalty(v.evpi_usd, v.evpi_penalty_usd))
        )
    return rows


def _with_penalty(total: float, penalty: float) -> str:
    """'$2.4T (of which $2.3T GPUs not delivered)' for the key-figures table."""
    text = money_denoised(total)
    if math.isfinite(penalty) and abs(penalty) >= 1.0 and abs(total) >= 1.0:
        text += f" (penalty on GPUs not delivered: {money_denoised(penalty)})"
    return text


def unmet_by_scenario_text(h: scenarios.HedgeNumbers) -> str:
    """'By scenario: low 0, base 0, high 121 million GPUs.' for the unmet-demand warning."""
    parts = [f"{s} {count(gpus)}" for s, gpus in h.unmet_by_scenario.items()]
    return f"By scenario: {', '.join(parts)} GPUs unmet."


# ---------------------------------------------------------------------------------------------
# the subsection


def blocks(h: scenarios.HedgeNumbers, shift: int = 0) -> list[Block]:
    """The "Planning under uncertainty" subsection of section 3; `shift`: how many sections
    (a supply-chain section) come between section 3 and Energy."""
    out: list[Block] = [Heading(TITLE, KEY)]
    n = len(h.weights)
    shared = (
        f"Decisions before the stage year are shared by all scenarios, later ones are taken "
        f"per scenario (section {4 + shift - 1}, Decide now, decide later); the builds "
        f"(section 2), energy contracts (section {4 + shift}) and funding (section {5 + shift}) "
        f"sections show one scenario's plan. {h.staged} "
        if h.staged
        else "The decisions that must be taken before demand is known "
        "are shared by all scenarios and shown once in this report: builds (section 2), "
        f"energy contracts (section {4 + shift}) and funding (section {5 + shift}). "
    )
    out.append(
        para(
            f"Demand is uncertain, so this plan was solved for {n} demand scenarios at once "
            f"({weights_text(h)}). {shared}"
            "Production, energy use and "
            "unmet demand adapt to each scenario; they are shown below scenario by scenario "
            "(elsewhere the report shows their expected values, weighted by probability).",
        )
    )
    out.append(para(risk_sentence(h)))
    out += _outcomes(h)
    out += _costs(h, shift)
    values = value_sentences(h)
    if values:
        out.append(Heading("Value of hedging and of perfect information"))
        out.append(para(*values))
    out += regret_blocks(h)
    return out


def _outcomes(h: scenarios.HedgeNumbers) -> list[Block]:
    out: list[Block] = [scenario_demand(h.by_scenario, "whole horizon")]
    by_year = h.outcomes
    names = list(h.weights)
    if by_year.empty:
        return out
    out.append(
        Figure(
            charts.scenario_outcomes(by_year, names),
            "Dashed: demand; solid: GPUs supplied; the shaded gap between them is unmet demand.",
        )
    )
    wide = h.outcomes_wide
    years = list(wide.index)
    if len(names) <= MAX_WIDE_SCENARIOS:
        cols = [(m, s) for s in names for m in ("served", "unmet")]
        out.append(
            table(
                "scenario-outcomes",
                "GPUs supplied and unmet per year, by scenario",
                ("Year", *[f"{s} {'supplied' if m == 'served' else 'unmet'}" for m, s in cols]),
                [(year(y), *[number(wide.loc[y, c]) for c in cols]) for y in years],
                "l" + "r" * len(cols),
                total=("Total", *[number(wide[c].sum()) for c in cols]),
            )
        )
        return out
    for measure, caption in (("served", "GPUs supplied"), ("unmet", "Unmet GPUs")):
        out.append(
            table(
                f"scenario-{measure}",
                f"{caption} per year, by scenario",
                ("Year", *names),
                [(year(y), *[number(wide.loc[y, (measure, s)]) for s in names]) for y in years],
                "l" + "r" * len(names),
                total=("Total", *[number(wide[(measure, s)].sum()) for s in names]),
            )
        )
    return out


def _costs(h: scenarios.HedgeNumbers, shift: int = 0) -> list[Block]:
    if h.costs is None:
        return []
    costs, components, left_out = h.costs.frame, h.costs.components, h.costs.left_out
    mean = h.costs.expected["total"]
    target = h.expected_cost_usd
    ok = abs(mean - target) <= CHECK_TOLERANCE * max(abs(target), 1.0)
    lo, hi = costs.loc[costs["total_usd"].idxmin()], costs.loc[costs["total_usd"].idxmax()]
    second = [c for c in components if c not in FIRST_STAGE]
    runs = [
        f"The plan costs {money(lo['total_usd'])} if demand turns out {lo['scenario']} and "
        f"{money(hi['total_usd'])} if {hi['scenario']}. "
    ]
    if second:
        driver = max(second, key=lambda c: abs(hi[f"{c}_usd"] - lo[f"{c}_usd"]))
        runs.append(
            f"Most of the difference is the {statistics.COST_LABELS.get(driver, driver).lower()} "
            f"({money(lo[f'{driver}_usd'])} in {lo['scenario']} against "
            f"{money(hi[f'{driver}_usd'])} in {hi['scenario']}). "
        )
    shared = [PROSE_LABELS.get(c, c) for c in components if c in FIRST_STAGE]
    if shared:
        runs.append(
            f"{_and(shared).capitalize()} follow from the shared decisions and are the same in "
            "every scenario. "
        )
    runs.append(
        f"Weighted by probability the scenario costs add up to {money(mean)}, "
        + (
            f"the plan's expected cost in section {6 + shift}."
            if ok
            else f"which DIFFERS from the expected cost in costs.csv ({money(target)})."
        )
    )
    return [
        Heading("Cost by scenario"),
        para(*runs),
        table(
            "scenario-costs",
            "Cost by scenario and component (NPV)",
            ("Scenario", "Probability", *[SHORT_LABELS.get(c, c) for c in components], "Total"),
            [
                (
                    r["scenario"],
                    pct(r["probability"]),
                    *[money(r[f"{c}_usd"]) for c in components],
                    money(r["total_usd"]),
                )
                for _, r in costs.iterrows()
            ],
            "lr" + "r" * (len(components) + 1),
            total=(
                "Expected",
                pct(costs["probability"].sum()),
                *[money(h.costs.expected[c]) for c in components],
                money(mean),
            ),
            note="From scenario_costs.csv. Each scenario's cost includes the shared first-stage "
            "decisions."
            + (
                f" Left out, zero in every scenario: "
                f"{', '.join(SHORT_LABELS.get(c, c).lower() for c in left_out)}."
                if left_out
                else ""
            ),
        ),
    ]
