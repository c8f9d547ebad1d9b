"""The executive summary: the plan in one paragraph, its key figures and demand per year."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.plan import figures, power_stats, statistics
from optimizer.plan.read import Plan
from optimizer.render.document import (
    Section,
    Strong,
    para,
    table,
)
from optimizer.render.fmt import (
    count,
    gap,
    money,
    number,
    pct,
    year,
)
from optimizer.report import scenarios
from optimizer.report.sections import integer, uncertainty
from optimizer.report.sections.common import (
    modules_text,
    npv_basis,
    opened_text,
    plural,
    tonnes,
    twh,
    years_text,
)

KEY = "executive-summary"
MAX_IDLE = 3  # idle runs of existing capacity named in the summary (the longest first)


@dataclass(frozen=True)
class ExecutiveNumbers:
    """Every number the executive summary shows, computed before any formatting."""

    head: statistics.Headline
    partners: pd.DataFrame  # statistics.partners
    by_year: pd.DataFrame  # statistics.demand_by_year
    scenarios: int
    risky: bool
    years: str  # "2025–2040"
    npv_basis: str
    whole: integer.IntegerNumbers | None  # for an integer plan
    hedge: scenarios.HedgeNumbers | None  # for a hedged plan
    main_builds: pd.DataFrame | None = None  # figures.main_builds
    idle: pd.DataFrame | None = None  # figures.idle_sites
    fractions: pd.DataFrame | None = None  # figures.lp_fractions
    by_group: pd.Series | None = None  # figures.wspm_by_group
    power_capital_usd: float = 0.0  # power_funding.csv: partner capital for power builds
    view_scenario: str = ""  # a staged plan's view: the scenario its decisions are shown for


def numbers(
    plan: Plan,
    head: statistics.Headline,
    whole: integer.IntegerNumbers | None,
    hedge: scenarios.HedgeNumbers | None,
) -> ExecutiveNumbers:
    """The executive summary's bundle from the plan statistics."""
    power = power_stats.table(plan, "power_funding")
    return ExecutiveNumbers(
        power_capital_usd=float(power["usd"].sum()) if "usd" in power.columns else 0.0,
        view_scenario=str(plan.summary.get("view_scenario") or ""),
        head=head,
        partners=statistics.partners(plan),
        by_year=statistics.demand_by_year(plan),
        scenarios=len(plan.scenario_weights),
        risky=plan.risk is not None,
        years=years_text(plan),
        npv_basis=npv_basis(plan),
        whole=whole,
        hedge=hedge,
        main_builds=figures.main_builds(plan),
        idle=figures.idle_sites(plan),
        fractions=figures.lp_fractions(plan),
        by_group=figures.wspm_by_group(plan),
    )


def section(e: ExecutiveNumbers) -> Section:
    """Section 1: the plan in one paragraph, its key figures and demand per year."""
    head, partners, n, risky, whole = e.head, e.partners, e.scenarios, e.risky, e.whole
    served_share = head.gpus_delivered / head.gpus_demanded if head.gpus_demanded else 1.0
    lead_runs: list = [
        f"In expectation over {n} demand scenarios, the" if n > 1 else "The",
        f" plan meets {pct(served_share)} of the {count(head.gpus_demanded)} GPUs demanded "
        f"over {e.years} at {'an expected' if risky else 'a total'} cost of ",
        Strong(money(head.expected_cost_usd)),
        f" in net present value ({e.npv_basis}), about {money(head.cost_per_gpu_usd)} per "
        "GPU delivered"
        + (
            f" (not counting the {money(head.unmet_penalty_usd)} penalty for GPUs not "
            "delivered, which is part of the total). "
            if head.unmet_penalty_usd >= 0.5
            else ". "
        ),
    ]
    if risky:
        lead_runs.append(
            f"Its risk-weighted objective, which also counts its worst outcomes, is "
            f"{money(head.objective_usd)}. "
        )
    # a staged plan's builds differ by scenario from the stage year: say whose plan this is
    builds_it = f"In scenario {e.view_scenario}, it builds" if e.view_scenario else "It builds"
    if head.builds:
        if whole is not None:
            opened = whole.opened
            lead_runs.append(
                f"{builds_it} {number(head.wspm_built)} wafer starts per month (wspm) of new "
                f"capacity as {modules_text(whole.modules)} in {head.builds} "
                f"build{plural(head.builds)} at {head.sites_built} site{plural(head.sites_built)}, "
                + (
                    f"opening {len(opened)} new site{plural(len(opened))} ({opened_text(opened)}), "
                    if len(opened)
                    else "opening no new site, "
                )
            )
        else:
            lead_runs.append(
                f"{builds_it} {number(head.wspm_built)} wafer starts per month (wspm) of new "
                f"capacity in {head.builds} step{plural(head.builds)} at {head.sites_built} "
                f"site{plural(head.sites_built)} ({head.sites_opened} of them new), "
            )
        funded = (
            f"paid for with {money(head.capital_usd)} of fab capital from "
            f"{head.partners_funding} partner{plural(head.partners_funding)}"
        )
        if len(partners):
            top = partners.iloc[0]
            funded += f", led by {top['partner']} ({pct(top['share'])})"
        lead_runs.append(funded + f", and {money(head.grants_usd)} of government grants. ")
    else:
        lead_runs.append("It builds no new capacity: existing fabs carry the plan. ")
    lead_runs += _builds_sentences(e)
    if head.energy_mwh > 0:
        lead_runs.append(
            f"The fabs use {twh(head.energy_mwh)} of electricity over the horizon and emit "
            f"{tonnes(head.co2_t)} of CO2. "
        )
    lead_runs.append(_status_sentence(head, whole))
    section = Section(KEY, 1, "Executive summary", para(*lead_runs))
    if e.hedge is not None:
        section.blocks.append(uncertainty.summary_paragraph(e.hedge))

    unmet_share = head.gpus_unmet / head.gpus_demanded if head.gpus_demanded else 0.0
    rows = [
        (
            ("Expected cost (NPV)", money(head.expected_cost_usd))
            if risky
            else ("Total cost (NPV)", money(head.objective_usd))
        ),
        *(
            [("of which: value of GPUs not delivered (penalty)", money(head.unmet_penalty_usd))]
            if head.unmet_penalty_usd >= 0.5
            else []
        ),
        *([("Risk-weighted objective (NPV)", money(head.objective_usd))] if risky else []),
        (
            "Cost per GPU delivered (NPV cost less the unmet-demand penalty / GPUs delivered)",
            money(head.cost_per_gpu_usd),
        ),
        ("GPUs demanded", number(head.gpus_demanded)),
        ("GPUs delivered", number(head.gpus_delivered)),
        ("GPUs unmet", f"{number(head.gpus_unmet)} ({pct(unmet_share, 2)})"),
        ("New capacity built (wspm)", number(head.wspm_built)),
        *_group_rows(e.by_group),
        ("Sites built (of which new sites)", f"{head.sites_built} ({head.sites_opened})"),
        ("Capital expenditure", money(head.capex_usd)),
        ("Capital raised from partners for fabs", money(head.capital_usd)),
        *(
            [("Capital raised from partners for power builds", money(e.power_capital_usd))]
            if e.power_capital_usd >= 0.5
            else []
        ),
        ("Grants received", money(head.grants_usd)),
        ("Energy used (MWh)", number(head.energy_mwh)),
        ("CO2 emitted (t)", number(head.co2_t)),
        ("Solver status (optimality gap)", _status_cell(head, whole)),
    ]
    if whole is not None:
        opened, mods = whole.opened, whole.modules
        at = next(i for i, r in enumerate(rows) if r[0].startswith("Sites built")) + 1
        rows[at:at] = [
            (
                "Sites opened during the horizon",
                f"{len(opened)}" + (f": {opened_text(opened)}" if len(opened) else ""),
            ),
            ("Modules built", modules_text(mods)),
        ]
    if e.hedge is not None:
        rows += uncertainty.key_figure_rows(e.hedge)
    caption = "Key figures" + (f" (expected values over {n} scenarios" if n > 1 else "")
    if e.view_scenario:  # a staged plan: its decisions differ by scenario from the stage year
        caption += f"; capacity built, capital and grants: the plan for scenario {e.view_scenario}"
    caption += ")" if n > 1 else ""
    section.blocks.append(table("key-figures", caption, ("Measure", "Value"), rows, "lr"))
    funding = partners[partners["usd"] > 0.5]
    if len(funding):
        unused = partners.loc[partners["usd"] <= 0.5, "partner"].tolist()
        section.blocks.append(
            para(
                "Capital by partner: ",
                "; ".join(
                    f"{p} {money(u)} ({pct(s)})"
                    for p, u, s in zip(
                        funding["partner"], funding["usd"], funding["share"], strict=True
                    )
                ),
                "." + (f" Not drawn on: {', '.join(unused)}." if unused else ""),
            )
        )
    by_year = e.by_year
    section.blocks.append(
        table(
            "demand-by-year",
            "Demand served and unmet per year (GPUs"
            + (", expected over the scenarios)" if n > 1 else ")"),
            ("Year", "Demanded", "Served", "Unmet", "Served share"),
            [
                (
                    year(r.year),
                    number(r.demanded),
                    number(r.served),
                    number(r.unmet),
                    pct(r.served_share),
                )
                for r in by_year.itertuples()
            ],
            "lrrrr",
            total=(
                "Total",
                number(by_year["demanded"].sum()),
                number(by_year["served"].sum()),
                number(by_year["unmet"].sum()),
                pct(
                    by_year["served"].sum() / by_year["demanded"].sum()
                    if by_year["demanded"].sum()
                    else 1.0
                ),
            ),
        )
    )
    return section


def _group_rows(by_group: pd.Series | None) -> list[tuple[str, str]]:
    """'of which logic (wspm)' rows: wafers of different processes are not the same capacity."""
    if by_group is None or len(by_group) < 2:
        return []
    return [(f"of which {g} (wspm)", number(w)) for g, w in by_group.items()]


def _builds_sentences(e: ExecutiveNumbers) -> list[str]:
    """The main builds by name, idle existing capacity and why, LP fractions of a module."""
    out = []
    main = e.main_builds
    if main is not None and len(main):
        many = len(main) > 1
        out.append(
            f"The main build{'s are' if many else ' is'} "
            + "; ".join(main["text"])
            + " (the largest by capital expenditure: site, decision year, new capacity, capex, "
            "funding partners largest first). "
        )
    if e.idle is not None and len(e.idle):
        more = len(e.idle) - MAX_IDLE
        out.append(
            " ".join(e.idle["sentence"].head(MAX_IDLE))
            + (f" {more} more idle run{plural(more)} of existing capacity." if more > 0 else "")
            + " "
        )
    small = e.fractions
    if small is not None and len(small):
        shown = ", ".join(
            f"{r.site} {year(r.year)} ({number(r.wspm)} of a {number(r.module_wspm)} wspm module)"
            for r in small.head(5).itertuples()
        )
        out.append(
            f"{len(small)} build{plural(len(small))} "
            f"{'are' if len(small) > 1 else 'is'} smaller than a tenth of the site's module "
            f"({shown}): LP fractions, not buildable as such; rerun with --integer for whole "
            "modules. "
        )
    return out


def _status_cell(head: statistics.Headline, whole: integer.IntegerNumbers | None) -> str:
    if whole is not None:
        return f"{head.status} (gap {gap(head.gap)}; tolerance {gap(whole.gap_tolerance)})"
    return f"{head.status} ({'–' if head.gap is None else pct(head.gap, 2)})"


def _status_sentence(head: statistics.Headline, whole: integer.IntegerNumbers | None) -> str:
    if whole is not None and head.optimal:
        tolerance = whole.gap_tolerance
        if head.gap is None:
            return "The solver reports this integer plan optimal, without a gap."
        if head.gap <= 0:
            return "The solver proved this integer plan optimal (gap 0%)."
        return (
            f"The solver proved this integer plan is within {gap(head.gap)} of the best possible "
            f"plan (it was asked for {gap(tolerance)}): no plan can be more than "
            f"{money(whole.gap_usd)} cheaper."
        )
    if head.optimal:
        shown = "" if not head.gap else f" (gap {pct(head.gap, 2)})"
        return f"The solver proved this plan optimal{shown}."
    shown = "unknown" if head.gap is None else pct(head.gap, 2)
    return (
        f"The solver did not prove this plan optimal (status {head.status}, gap {shown}); see "
        "the warning above."
    )
