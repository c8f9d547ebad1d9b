"""The regret part of "Planning under uncertainty", and the penalty share of each hedging figure.

Split from uncertainty.py (size). Every cost figure of a hedged plan (VSS, EVPI, regret) mixes
cash with the notional unmet-demand penalty; penalty_clause says how much of it is the penalty,
so "VSS $2.4T" is never read as $2.4T of cash saved when $2.3T of it is GPUs not delivered.
"""

from __future__ import annotations

import math

from optimizer.render import charts_regret
from optimizer.render.document import Block, Figure, Heading, para, table
from optimizer.render.fmt import money, money_denoised
from optimizer.report import scenarios

NOT_DELIVERED = "the value of GPUs not delivered"


def penalty_clause(total: float, penalty: float, say_none: bool = True) -> str:
    """', of which $2.3T is the value of GPUs not delivered' for a figure of `total` USD whose
    unmet-demand penalty part is `penalty`; empty when the split is unknown or the total zero."""
    if not (math.isfinite(total) and math.isfinite(penalty)) or abs(total) < 1.0:
        return ""
    if abs(penalty) < 1.0:
        return ", all of it cash (none is the penalty on GPUs not delivered)" if say_none else ""
    if 0 < penalty <= total * (1 + 1e-9):
        return f", of which {money_denoised(penalty)} is {NOT_DELIVERED} (the unmet-demand penalty)"
    if penalty > total > 0:
        return (
            f": {money_denoised(penalty)} of it is {NOT_DELIVERED} (the unmet-demand penalty), "
            f"offset by {money_denoised(penalty - total)} more cash"
        )
    return (
        f" ({money_denoised(total - penalty)} cash and {money_denoised(penalty)} "
        "unmet-demand penalty)"
    )


def regret_sentence(h: scenarios.HedgeNumbers, reg: scenarios.Regret) -> str:
    """Which plan has the least worst-case regret, and which the most."""
    s = reg.summary
    least = reg.least
    first = s.loc[least[0]]
    names = _names(least)
    verb = "tie for" if len(least) > 1 else "has"
    text = (
        f"{names[0].upper()}{names[1:]} {verb} the least worst-case regret of the {len(s)} plans "
        f"compared: {money_denoised(first['worst_regret'])}"
        + (f" (in the {first['worst_in']} scenario)" if first["worst_regret"] >= 1.0 else "")
        + ". "
    )
    worst = s.sort_values(["worst_regret"], ascending=False).index[0]
    if worst not in least:
        text += (
            f"The {worst} has the most: {money_denoised(s.loc[worst, 'worst_regret'])} if the "
            f"{s.loc[worst, 'worst_in']} scenario happens. "
        )
    if scenarios.HEDGED_PLAN in s.index and scenarios.HEDGED_PLAN not in least:
        hedged = s.loc[scenarios.HEDGED_PLAN]
        text += (
            f"The hedged plan's worst case is {money_denoised(hedged['worst_regret'])} "
            f"(in {hedged['worst_in']}): it "
            "minimises the "
            + ("risk-weighted cost" if h.risk is not None else "expected cost")
            + ", not the worst-case regret. "
        )
    return text


def _names(plans: list[str]) -> str:
    named = [f"the {p}" for p in plans]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def plan_label(name: str) -> str:
    """Plan names as in regret.csv; the hedged plan is the one this report is about."""
    return f"{name} (this plan)" if name == scenarios.HEDGED_PLAN else name


def blocks(h: scenarios.HedgeNumbers) -> list[Block]:
    """The regret tables and chart; empty when the plan has no regret.csv."""
    reg = h.regret
    if reg is None:
        return []
    names = list(reg.cost.columns)
    s = reg.summary
    v = h.values
    hedged_is = (
        " The hedged plan is this plan (risk-averse); EVPI and VSS above use the risk-neutral one."
        if h.risk is not None
        else ""
    )
    lead = para(
        "Regret is how much more a plan costs in a scenario than the best plan for that scenario "
        "(the plan one would make knowing that scenario will happen). Below, each scenario's own "
        "plan, the plan for average demand and the hedged plan are each held to their "
        "first-stage decisions and re-optimised in every scenario. ",
        regret_sentence(h, reg),
    )
    cost_note = (
        "Rows: plans, each with its builds, contracts and funding fixed; columns: the scenario "
        "that happens. Expected: weighted by the scenario probabilities."
    )
    if v.known and math.isfinite(v.ws_usd):
        neutral = " (risk-neutral)" if h.risk is not None else ""
        cost_note += (
            " The best possible expected cost is the perfect-foresight cost; in expected cost, "
            f"EVPI = hedged plan{neutral} − best possible and VSS = mean-demand plan − hedged "
            f"plan{neutral}."
        )
    cost_note += hedged_is
    best_expected = float((reg.best * reg.probability).sum())
    split = reg.penalty is not None
    penalty_head = ("Of which not delivered",) if split else ()
    penalty_note = (
        " Of which not delivered: the part of the expected regret that is the unmet-demand "
        "penalty (the value of GPUs not delivered); the rest is cash."
        if split
        else ""
    )

    def penalty_cell(p: str) -> tuple[str, ...]:
        return (money_denoised(s.loc[p, "expected_regret_penalty"]),) if split else ()

    return [
        Heading("Regret: each plan in every scenario"),
        lead,
        table(
            "regret-costs",
            "Cost of each plan in each scenario (NPV)",
            ("Plan", *names, "Expected"),
            [
                (
                    plan_label(p),
                    *[money(reg.cost.loc[p, w]) for w in names],
                    money(s.loc[p, "expected_cost"]),
                )
                for p in reg.plans
            ],
            "l" + "r" * (len(names) + 1),
            total=("Best possible", *[money(reg.best[w]) for w in names], money(best_expected)),
            note=cost_note,
        ),
        table(
            "regret",
            "Regret of each plan in each scenario (NPV)",
            ("Plan", *names, "Expected regret", *penalty_head, "Worst case", "Rank"),
            [
                (
                    plan_label(p),
                    *[money_denoised(reg.regret.loc[p, w]) for w in names],
                    money_denoised(s.loc[p, "expected_regret"]),
                    *penalty_cell(p),
                    money_denoised(s.loc[p, "worst_regret"]),
                    str(int(s.loc[p, "rank"])),
                )
                for p in reg.plans
            ],
            "l" + "r" * (len(names) + 3 + len(penalty_head)),
            note="Regret = the plan's cost minus the best possible cost in that scenario. Rank 1: "
            "the least worst-case regret (from regret.csv)."
            + penalty_note
            + (
                " The hedged plan's expected regret is its EVPI."
                if h.risk is None and scenarios.HEDGED_PLAN in s.index and v.known
                else ""
            ),
        ),
        Figure(
            charts_regret.regret_bars(
                s.rename(index=plan_label), [plan_label(p) for p in reg.least]
            ),
            "Worst-case regret (the scenario where the plan does worst against the best plan) "
            "and expected regret of each plan; in bold, the plan with the least worst-case "
            "regret.",
        ),
    ]
