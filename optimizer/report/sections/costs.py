"""Costs: the cost components, their check against the objective, cost by scenario."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from optimizer.plan import statistics
from optimizer.plan.read import Plan
from optimizer.render import charts
from optimizer.render.document import (
    Figure,
    Section,
    Strong,
    para,
    table,
)
from optimizer.render.fmt import (
    exact_usd,
    money,
    number,
    pct,
)
from optimizer.report.sections import uncertainty
from optimizer.report.sections.common import (
    npv_basis,
)

KEY = "costs"


@dataclass(frozen=True)
class CostNumbers:
    """Every number the costs section shows, computed before any formatting."""

    frame: pd.DataFrame  # statistics.costs: component, label, npv_usd, share
    check: statistics.CostCheck
    npv_basis: str  # "2025 dollars, discounted at 7.0% a year"
    scenarios: int
    hedged: bool
    by_scenario: pd.DataFrame | None  # statistics.by_scenario, for an unhedged multi-scenario plan
    vss_usd: float | None
    evpi_usd: float | None
    # product, penalty_usd_per_gpu, gpus, npv_usd, share: only when products.csv sets penalties
    unmet_by_product: pd.DataFrame | None = None

    @property
    def risky(self) -> bool:
        return "risk_adjustment" in set(self.frame["component"])


def numbers(plan: Plan, frame: pd.DataFrame, check: statistics.CostCheck) -> CostNumbers:
    """The costs section's bundle from the plan statistics."""
    many = len(plan.scenario_weights) > 1
    return CostNumbers(
        frame=frame,
        check=check,
        npv_basis=npv_basis(plan),
        scenarios=len(plan.scenario_weights),
        hedged=plan.hedged,
        by_scenario=_by_scenario(plan) if many and not plan.hedged else None,
        vss_usd=_finite(plan.summary.get("vss_usd")),
        evpi_usd=_finite(plan.summary.get("evpi_usd")),
        unmet_by_product=_unmet_by_product(plan, frame),
    )


PENALTY = "unmet_demand"
SUBTOTAL = "Cost of the plan, without the penalty"
PENALTY_LINE = "Plus: value of GPUs not delivered (penalty)"


def _cost_rows(frame: pd.DataFrame, penalty: float) -> list[tuple[str, str, str, str]]:
    """The components; with a penalty, the cash components, their subtotal, then the penalty on
    its own line (it values GPUs not delivered: nobody pays it)."""

    def row(label: str, usd: float, share: float) -> tuple[str, str, str, str]:
        return (label, money(usd), pct(share), exact_usd(usd))

    if abs(penalty) < 0.5:
        return [row(r.label, r.npv_usd, r.share) for r in frame.itertuples()]
    is_pen = frame["component"] == PENALTY
    cash = frame[~is_pen & (frame["component"] != "risk_adjustment")]
    pen = frame[is_pen].iloc[0]
    risk = frame[frame["component"] == "risk_adjustment"]
    return [
        *(row(r.label, r.npv_usd, r.share) for r in cash.itertuples()),
        row(SUBTOTAL, float(cash["npv_usd"].sum()), float(cash["share"].sum())),
        row(PENALTY_LINE, float(pen["npv_usd"]), float(pen["share"])),
        *(row(r.label, r.npv_usd, r.share) for r in risk.itertuples()),
    ]


def _by_scenario(plan: Plan) -> pd.DataFrame:
    """statistics.by_scenario with each scenario's penalty (scenario_costs unmet_demand_usd)."""
    frame = statistics.by_scenario(plan)
    sc = plan["scenario_costs"].set_index("scenario")
    col = "unmet_demand_usd"
    frame["penalty_usd"] = frame["scenario"].map(sc[col]) if col in sc.columns else float("nan")
    return frame


def _unmet_by_product(plan: Plan, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The unmet-demand penalty split by product (expected GPUs, NPV at the product's own
    penalty, share of the cash cost), when products.csv gives per-product penalties."""
    penalties = plan.params.get("unmet_penalty_by_product")
    if not penalties:
        return None
    unmet = plan["unmet"]
    p = plan.params
    first, rate = int(p.get("first_year", 0)), float(p.get("discount_rate", 0.0))
    weight = unmet["scenario"].map(plan.scenario_weights).fillna(0.0).astype(float)
    df = (1.0 + rate) ** -(unmet["year"].astype(int) - first)
    penalty = unmet["product"].map(penalties).astype(float)
    out = pd.DataFrame(
        {
            "product": list(penalties),
            "penalty_usd_per_gpu": [float(v) for v in penalties.values()],
        }
    )
    gpus = (unmet["gpus"] * weight).groupby(unmet["product"]).sum()
    npv = (unmet["gpus"] * weight * df * penalty).groupby(unmet["product"]).sum()
    out["gpus"] = out["product"].map(gpus).fillna(0.0)
    out["npv_usd"] = out["product"].map(npv).fillna(0.0)
    cash = float(frame.loc[frame["component"] != "risk_adjustment", "npv_usd"].sum())
    out["share"] = out["npv_usd"] / cash if cash else math.nan
    return out


def _finite(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def section(n: CostNumbers) -> Section:
    """Section 6: what the plan costs, by component, checked against the objective."""
    frame, check, risky = n.frame, n.check, n.risky
    cash = frame[frame["component"] != "risk_adjustment"]
    paid = cash[cash["component"] != PENALTY]  # the penalty has a line and a sentence of its own
    big = paid.sort_values("npv_usd", ascending=False).head(2)
    if risky:
        expected = float(cash["npv_usd"].sum())
        runs = [
            f"The plan's expected cost is {money(expected)} in net present value "
            f"({n.npv_basis}); its risk-weighted objective adds a risk adjustment of "
            f"{money(check.objective_usd - expected)}, to {money(check.objective_usd)}. ",
        ]
    else:
        runs = [
            f"The plan costs {money(check.objective_usd)} in net present value "
            f"({n.npv_basis})"
            + (", in expectation over the scenarios" if n.scenarios > 1 else "")
            + ". ",
        ]
    if len(big):
        runs.append(
            "The largest components are "
            + " and ".join(
                f"{r.label.lower()} ({money(r.npv_usd)}, {pct(r.share)})" for r in big.itertuples()
            )
            + ". "
        )
    penalty = float(frame.loc[frame["component"] == PENALTY, "npv_usd"].sum())
    if abs(penalty) >= 0.5:
        runs.append(
            f"Of the cost, {money(penalty)} ({pct(penalty / cash['npv_usd'].sum())}) is the value "
            "of GPUs not delivered (the unmet-demand penalty), not a payment; without it the plan "
            f"costs {money(float(cash['npv_usd'].sum()) - penalty)}. "
        )
    if check.ok:
        runs.append(
            Strong(
                f"Check: the {len(frame)} components add up to {exact_usd(check.total_usd)} USD, "
                "equal to the objective the solver reported "
                f"({exact_usd(check.objective_usd)} USD) "
                f"within {pct(statistics.CHECK_TOLERANCE, 4)} (difference "
                f"{exact_usd(check.difference_usd)} USD)."
            )
        )
    else:
        runs.append(
            Strong(
                f"Check FAILED: the components add up to {exact_usd(check.total_usd)} USD but the "
                f"objective is {exact_usd(check.objective_usd)} USD (difference "
                f"{exact_usd(check.difference_usd)} USD, {pct(check.relative, 4)})."
            )
        )
    section = Section(KEY, 6, "Costs", para(*runs))
    section.blocks.append(
        table(
            "costs",
            "Cost by component (NPV)",
            ("Component", "NPV", "Share", "NPV (USD)"),
            _cost_rows(frame, penalty),
            "lrrr",
            total=(
                "Total",
                money(check.total_usd),
                "" if risky else pct(1.0),
                exact_usd(check.total_usd),
            ),
            note=f"Objective reported by the solver: {exact_usd(check.objective_usd)} USD."
            + (" Shares are of the expected cost, without the risk adjustment." if risky else ""),
        )
    )
    section.blocks.append(Figure(charts.cost_components(frame), "Net present value by component."))
    if risky:
        section.blocks.append(
            para(
                "The risk adjustment is not a cash cost: it is the extra weight the plan gives to "
                "its most expensive scenarios (conditional value at risk), so that the plan guards "
                "against them."
            )
        )
    if n.hedged:
        section.blocks.append(
            para(
                "The cost of each scenario, the value of hedging (VSS), of perfect information "
                f"(EVPI) and the regret of each plan are in {uncertainty.WHERE}."
            )
        )
    elif n.by_scenario is not None:
        scen = n.by_scenario
        section.blocks.append(
            table(
                "scenario-costs",
                "Cost and unmet demand by scenario",
                (
                    "Scenario",
                    "Probability",
                    "Cost (NPV)",
                    "of which: value of GPUs not delivered (penalty)",
                    "Unmet GPUs",
                ),
                [
                    (
                        r.scenario,
                        pct(r.probability),
                        money(r.total_usd),
                        money(r.penalty_usd),
                        number(r.unmet),
                    )
                    for r in scen.itertuples()
                ],
                "lrrrr",
                note="Each scenario's cost includes the shared first-stage decisions (builds, "
                "funding, contracts).",
            )
        )
    if n.unmet_by_product is not None:
        section.blocks.append(_unmet_table(n.unmet_by_product))
    value = [] if n.hedged else _stochastic_values(n.vss_usd, n.evpi_usd)
    if value:
        section.blocks.append(para(*value))
    return section


def _unmet_table(by: pd.DataFrame):
    """One line per product: its own penalty, the GPUs it leaves undelivered, their NPV."""
    return table(
        "unmet-by-product",
        "Penalty for GPUs not delivered, by product (NPV)",
        ("Product", "Penalty per GPU", "GPUs not delivered", "NPV", "Share"),
        [
            (
                r.product,
                money(r.penalty_usd_per_gpu),
                number(r.gpus),
                money(r.npv_usd),
                pct(r.share),
            )
            for r in by.itertuples()
        ],
        "lrrrr",
        note="The penalty is the value to the buyer of a GPU not delivered (products.csv "
        "unmet_penalty_usd_per_gpu, else the parameter), not a cash cost; the executive summary "
        "states the cost without it.",
    )


def _stochastic_values(vss: float | None, evpi: float | None) -> list[str]:
    """The value of planning for uncertainty, when the solve computed it."""
    out = []
    if vss is not None:
        out.append(
            f"Planning for the spread of scenarios instead of their average saves "
            f"{money(vss)} (value of the stochastic solution). "
        )
    if evpi is not None:
        out.append(
            f"Knowing in advance which scenario will happen would save a further {money(evpi)} "
            "(expected value of perfect information)."
        )
    return out
