"""The compact summary printed at the end of `fabplan solve` (and by `fabplan report`).

Cost, capacity built, unmet demand, the top three binding constraints and where the report is;
warnings (not optimal, unmet demand, costs that do not add up) go to stderr even with -q.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from optimizer import console
from optimizer.report import tables
from optimizer.report.fmt import count, money, number, pct
from optimizer.report.reader import Plan, read_plan
from optimizer.report.sections import warnings

REPORT_FILES = ("report.html", "report.md", "plan.xlsx")


def print_summary(plan_dir: Path, reports: list[Path] | None = None) -> None:
    """Print the plan's headline to the terminal; `reports` are the files just written
    (default: whichever report files exist in the plan folder)."""
    plan = read_plan(Path(plan_dir))
    head = tables.headline(plan)
    _, check = tables.costs(plan)
    if console.verbosity() >= 1:
        for line in summary_lines(plan, reports):
            console.out.print(line)
    for w in warnings(plan, head, check):
        console.warn(w)


def summary_lines(plan: Plan, reports: list[Path] | None = None) -> list[Text]:
    """The summary as rich Text lines (plan strings are never parsed as markup)."""
    head = tables.headline(plan)
    lines = [
        Text.assemble(("Plan ", "bold"), (str(plan.folder), "bold"), f" — status {head.status}")
    ]

    def row(label: str, value: str) -> Text:
        return Text.assemble((f"  {label:<9}", "cyan"), value)

    lines.append(
        row(
            "cost",
            f"{money(head.objective_usd)} NPV ({money(head.cost_per_gpu_usd)} per GPU delivered)",
        )
    )
    lines.append(
        row(
            "capacity",
            f"{number(head.wspm_built)} wspm built at {head.sites_built} site"
            f"{'' if head.sites_built == 1 else 's'} ({head.sites_opened} new); capital "
            f"{money(head.capital_usd)} from {head.partners_funding} partner"
            f"{'' if head.partners_funding == 1 else 's'}, grants {money(head.grants_usd)}",
        )
    )
    if head.gpus_unmet > 0.5:
        share = head.gpus_unmet / head.gpus_demanded if head.gpus_demanded else float("nan")
        lines.append(row("unmet", f"{count(head.gpus_unmet)} GPUs ({pct(share, 2)} of demand)"))
    else:
        lines.append(row("unmet", "none: all demand is served"))
    bind = tables.binding_groups(plan).head(3)
    for i, sentence in enumerate(bind["sentence"]):
        lines.append(row("limits" if i == 0 else "", f"{i + 1}. {sentence}"))
    files = (
        reports
        if reports is not None
        else [plan.folder / f for f in REPORT_FILES if (plan.folder / f).exists()]
    )
    if files:
        main, *rest = files
        extra = f" (also {', '.join(p.name for p in rest)})" if rest else ""
        lines.append(row("report", f"{main}{extra}"))
    return lines
