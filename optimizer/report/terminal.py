"""The compact summary printed at the end of `fabplan solve` (and by `fabplan report`).

Cost, capacity built, unmet demand, the top three binding constraints and where the report is;
warnings (not optimal, unmet demand, costs that do not add up) go to stderr even with -q.
"""

from __future__ import annotations

import math
from pathlib import Path

from rich.text import Text

from optimizer import console
from optimizer.plan import figures, statistics
from optimizer.plan.read import Plan, read_plan
from optimizer.render.fmt import count, gap, money, money_denoised, number, pct
from optimizer.report import scenarios
from optimizer.report.sections import integer, warnings

REPORT_FILES = ("report.html", "report.md", "plan.xlsx")


def print_summary(plan_dir: Path, reports: list[Path] | None = None) -> None:
    """Print the plan's headline to the terminal; `reports` are the files just written
    (default: whichever report files exist in the plan folder)."""
    from optimizer.report.sections import staged_plan_view

    full = read_plan(Path(plan_dir))
    plan = staged_plan_view(full)  # a staged plan: its most probable scenario's decisions
    head = statistics.headline(plan)
    _, check = statistics.costs(plan)
    if console.verbosity() >= 1:
        for line in summary_lines(plan, reports):
            console.out.print(line)
    hedge = scenarios.numbers(plan) if plan.hedged else None
    for w in warnings(full, head, check, integer.numbers(plan), hedge):
        console.warn(w)


def _penalty(usd: float) -> str:
    """' (penalty on GPUs not delivered $2.3T)' when summary.json splits it out (issue 15)."""
    if not math.isfinite(usd) or abs(usd) < 1.0:
        return ""
    return f" (penalty on GPUs not delivered {money_denoised(usd)})"


def summary_lines(plan: Plan, reports: list[Path] | None = None) -> list[Text]:
    """The summary as rich Text lines (plan strings are never parsed as markup)."""
    head = statistics.headline(plan)
    lines = [
        Text.assemble(("Plan ", "bold"), (str(plan.folder), "bold"), f" — status {head.status}")
    ]

    def row(label: str, value: str) -> Text:
        return Text.assemble((f"  {label:<10}", "cyan"), value)

    risk = f"; risk-weighted objective {money(head.objective_usd)}" if plan.risk is not None else ""
    lines.append(
        row(
            "cost",
            f"{money(head.expected_cost_usd)} NPV"
            + (" expected" if len(plan.scenario_weights) > 1 else "")
            + (
                f", of which {money(head.unmet_penalty_usd)} values GPUs not delivered (penalty)"
                if head.unmet_penalty_usd >= 0.5
                else ""
            )
            + f" ({money(head.cost_per_gpu_usd)} per GPU delivered, without the penalty{risk})",
        )
    )
    if plan.hedged:
        costs = scenarios.scenario_costs(plan)
        by_scenario = " · ".join(
            f"{s} {money(t)}" for s, t in zip(costs["scenario"], costs["total_usd"], strict=True)
        )
        value = scenarios.value_measures(plan)
        measures = (
            f"; VSS {money_denoised(value.vss_usd)}{_penalty(value.vss_penalty_usd)}, "
            f"EVPI {money_denoised(value.evpi_usd)}{_penalty(value.evpi_penalty_usd)}"
            if value.known
            else ""
        )
        lines.append(row("scenarios", f"{by_scenario}{measures}"))
    lines.append(
        row(
            "capacity",
            f"{number(head.wspm_built)} wspm built at {head.sites_built} site"
            f"{'' if head.sites_built == 1 else 's'} ({head.sites_opened} new); fab capital "
            f"{money(head.capital_usd)} from {head.partners_funding} partner"
            f"{'' if head.partners_funding == 1 else 's'}, grants {money(head.grants_usd)}"
            + (
                f" (plan for scenario {plan.summary['view_scenario']}; decisions before "
                f"{plan.summary.get('stage_year')} are the same in every scenario)"
                if plan.summary.get("view_scenario")
                else ""
            ),
        )
    )
    if plan.integer:
        whole = integer.numbers(plan)
        sites = ", ".join(f"{r.site} {r.open_year}" for r in whole.opened.itertuples()) or "none"
        lines.append(
            row(
                "integer",
                f"{number(whole.modules['modules'].sum())} modules; sites opened: "
                f"{sites}; gap {gap(head.gap)}",
            )
        )
    if head.gpus_unmet > 0.5:
        share = head.gpus_unmet / head.gpus_demanded if head.gpus_demanded else float("nan")
        lines.append(row("unmet", f"{count(head.gpus_unmet)} GPUs ({pct(share, 2)} of demand)"))
    else:
        lines.append(row("unmet", "none: all demand is served"))
    bind = figures.shaping_groups(plan).head(3)
    if plan.integer and len(bind):
        lines.append(row("limits", f"({integer.DUALS_LABEL})"))
    for i, sentence in enumerate(bind["sentence"]):
        first = i == 0 and not plan.integer
        lines.append(row("limits" if first else "", f"{i + 1}. {sentence}"))
    files = (
        reports
        if reports is not None
        else [plan.folder / f for f in REPORT_FILES if (plan.folder / f).exists()]
    )
    if files:
        svgs = [p for p in files if p.suffix == ".svg"]
        main, *rest = [p for p in files if p.suffix != ".svg"] or files
        names = [p.name for p in rest] + ([f"{len(svgs)} charts in charts/"] if svgs else [])
        extra = f" (also {', '.join(names)})" if names else ""
        lines.append(row("report", f"{main}{extra}"))
    return lines
