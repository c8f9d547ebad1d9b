"""The report's content: eight sections in business language, built from the plan tables.

Each section opens with a one-paragraph lead a strategy analyst can read without the tables.
All numbers come from optimizer.report.tables and are formatted with optimizer.report.fmt.
"""

from __future__ import annotations

import math
import platform
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd

from optimizer.report import charts, integer, tables, uncertainty
from optimizer.report.document import (
    Bullets,
    Document,
    Figure,
    Heading,
    Paragraph,
    Section,
    Strong,
    Table,
    para,
    table,
)
from optimizer.report.fmt import count, exact_usd, gap, money, number, pct, rate, year
from optimizer.report.reader import Plan

MAX_BINDING_SENTENCES = 10
MAX_BINDING_ROWS = 25
MAX_YEAR_COLUMNS = 8
MAX_ROWS = 50  # longer tables show their first rows; the rest is in the CSV files and workbook
MAX_TIMELINE = 40
SECTION_KEYS = [
    "executive-summary",
    "where-and-when",
    "meeting-demand",
    "energy",
    "who-pays",
    "costs",
    "limits",
    "assumptions",
]


def build_document(plan: Plan) -> Document:
    """The whole report for one plan folder."""
    head = tables.headline(plan)
    cost_frame, check = tables.costs(plan)
    sections = [
        _executive(plan, head),
        _builds(plan, head),
        _demand(plan, head),
        _energy(plan, head, cost_frame),
        _partners(plan, head),
        _costs(plan, cost_frame, check),
        _limits(plan),
        _assumptions(plan),
    ]
    solver = plan.summary.get("solver") or {}
    subtitle = " · ".join(
        x
        for x in [
            _plan_kind(plan),
            f"{_years_text(plan)}",
            f"solved {plan.summary.get('created', '')}".strip(),
            f"{solver.get('name', '')} {solver.get('version', '')}".strip(),
            f"status {head.status}",
        ]
        if x and x != "solved"
    )
    return Document(
        title=_title(plan),
        subtitle=subtitle,
        warnings=warnings(plan, head, check),
        sections=sections,
        alert="" if head.optimal else _alert(plan, head),
        critical=0 if head.optimal else 1,
    )


def _title(plan: Plan) -> str:
    """The title names the case (its data folder), so reports of different cases differ."""
    case = plan.summary.get("case")
    return f"Chip-fab build-out plan — {case} case" if case else "Chip-fab build-out plan"


def _alert(plan: Plan, head: tables.Headline) -> str:
    """One line under the title for a plan the solver did not prove optimal."""
    saving = integer.gap_usd(plan)
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


def warnings(plan: Plan, head: tables.Headline, check: tables.CostCheck) -> list[str]:
    """What a reader must know before trusting the numbers."""
    out: list[str] = []
    if not head.optimal:
        saving = integer.gap_usd(plan)
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
        unmet = tables.unmet_by_year_market(plan)
        years = _year_span(unmet["year"].tolist())
        penalty = plan.params.get("unmet_penalty_usd_per_gpu")
        cost_frame, _ = tables.costs(plan)
        penalty_npv = cost_frame.loc[cost_frame["component"] == "unmet_demand", "npv_usd"].sum()
        share = head.gpus_unmet / head.gpus_demanded if head.gpus_demanded else float("nan")
        priced = f" at {money(float(penalty))} per GPU" if penalty is not None else ""
        hedged = plan.hedged
        out.append(
            ("In expectation over the scenarios, the" if hedged else "The")
            + f" plan leaves {count(head.gpus_unmet)} GPUs of demand unmet ({pct(share, 2)} of "
            f"all demand), in {years}. Serving them would cost more than the unmet-demand "
            f"penalty{priced}, or capacity cannot be built in time; the penalty adds "
            f"{money(penalty_npv)} (NPV) to the "
            + ("expected cost. " + uncertainty.unmet_by_scenario_text(plan) if hedged else "cost.")
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


# ---------------------------------------------------------------------------------------------
# 1. Executive summary


def _executive(plan: Plan, head: tables.Headline) -> Section:
    served_share = head.gpus_delivered / head.gpus_demanded if head.gpus_demanded else 1.0
    partners = tables.partners(plan)
    n = len(plan.scenario_weights)
    risky = plan.risk is not None
    lead_runs: list = [
        f"In expectation over {n} demand scenarios, the" if n > 1 else "The",
        f" plan meets {pct(served_share)} of the {count(head.gpus_demanded)} GPUs demanded "
        f"over {_years_text(plan)} at {'an expected' if risky else 'a total'} cost of ",
        Strong(money(head.expected_cost_usd)),
        f" in net present value ({_npv_basis(plan)}), about {money(head.cost_per_gpu_usd)} per "
        f"GPU delivered. ",
    ]
    if risky:
        lead_runs.append(
            f"Its risk-weighted objective, which also counts its worst outcomes, is "
            f"{money(head.objective_usd)}. "
        )
    if head.builds:
        if plan.integer:
            opened = integer.sites_opened(plan)
            lead_runs.append(
                f"It builds {number(head.wspm_built)} wafer starts per month (wspm) of new "
                f"capacity as {_modules_text(integer.modules(plan))} in {head.builds} "
                f"build{_s(head.builds)} at {head.sites_built} site{_s(head.sites_built)}, "
                + (
                    f"opening {len(opened)} new site{_s(len(opened))} ({_opened_text(opened)}), "
                    if len(opened)
                    else "opening no new site, "
                )
            )
        else:
            lead_runs.append(
                f"It builds {number(head.wspm_built)} wafer starts per month (wspm) of new "
                f"capacity in {head.builds} step{_s(head.builds)} at {head.sites_built} "
                f"site{_s(head.sites_built)} ({head.sites_opened} of them new), "
            )
        funded = (
            f"paid for with {money(head.capital_usd)} from {head.partners_funding} "
            f"partner{_s(head.partners_funding)}"
        )
        if len(partners):
            top = partners.iloc[0]
            funded += f", led by {top['partner']} ({pct(top['share'])})"
        lead_runs.append(funded + f", and {money(head.grants_usd)} of government grants. ")
    else:
        lead_runs.append("It builds no new capacity: existing fabs carry the plan. ")
    if head.energy_mwh > 0:
        lead_runs.append(
            f"The fabs use {_twh(head.energy_mwh)} of electricity over the horizon and emit "
            f"{_tonnes(head.co2_t)} of CO2. "
        )
    lead_runs.append(_status_sentence(plan, head))
    section = Section(SECTION_KEYS[0], 1, "Executive summary", para(*lead_runs))
    if plan.hedged:
        section.blocks.append(uncertainty.summary_paragraph(plan))

    unmet_share = head.gpus_unmet / head.gpus_demanded if head.gpus_demanded else 0.0
    rows = [
        (
            ("Expected cost (NPV)", money(head.expected_cost_usd))
            if risky
            else ("Total cost (NPV)", money(head.objective_usd))
        ),
        *([("Risk-weighted objective (NPV)", money(head.objective_usd))] if risky else []),
        ("Cost per GPU delivered (NPV cost / GPUs delivered)", money(head.cost_per_gpu_usd)),
        ("GPUs demanded", number(head.gpus_demanded)),
        ("GPUs delivered", number(head.gpus_delivered)),
        ("GPUs unmet", f"{number(head.gpus_unmet)} ({pct(unmet_share, 2)})"),
        ("New capacity built (wspm)", number(head.wspm_built)),
        ("Sites built (of which new sites)", f"{head.sites_built} ({head.sites_opened})"),
        ("Capital expenditure", money(head.capex_usd)),
        ("Capital raised from partners", money(head.capital_usd)),
        ("Grants received", money(head.grants_usd)),
        ("Energy used (MWh)", number(head.energy_mwh)),
        ("CO2 emitted (t)", number(head.co2_t)),
        ("Solver status (optimality gap)", _status_cell(plan, head)),
    ]
    if plan.integer:
        opened = integer.sites_opened(plan)
        mods = integer.modules(plan)
        at = next(i for i, r in enumerate(rows) if r[0].startswith("Sites built")) + 1
        rows[at:at] = [
            (
                "Sites opened during the horizon",
                f"{len(opened)}" + (f": {_opened_text(opened)}" if len(opened) else ""),
            ),
            ("Modules built", _modules_text(mods)),
        ]
    if plan.hedged:
        rows += uncertainty.key_figure_rows(plan)
    n = len(plan.scenario_weights)
    caption = "Key figures" + (f" (expected values over {n} scenarios)" if n > 1 else "")
    section.blocks.append(_table("key-figures", caption, ("Measure", "Value"), rows, "lr"))
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
    by_year = tables.demand_by_year(plan)
    section.blocks.append(
        _table(
            "demand-by-year",
            "Demand served and unmet per year (GPUs"
            + (", expected over the scenarios)" if len(plan.scenario_weights) > 1 else ")"),
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


def _status_cell(plan: Plan, head: tables.Headline) -> str:
    if plan.integer:
        return f"{head.status} (gap {gap(head.gap)}; tolerance {gap(integer.gap_tolerance(plan))})"
    return f"{head.status} ({'–' if head.gap is None else pct(head.gap, 2)})"


def _modules_text(mods: pd.DataFrame) -> str:
    """'19 modules of 10,000 wspm' (or a list of sizes; or the wspm left continuous)."""
    sized = mods[mods["modules"].notna()]
    if not len(sized):
        return "builds of any size (no module sizes given)"
    total = sized["modules"].sum()
    sizes = sorted(set(sized["module_wspm"]))
    size = (
        f"{number(sizes[0])} wspm"
        if len(sizes) == 1
        else "sizes " + ", ".join(number(x) for x in sizes) + " wspm"
    )
    text = f"{number(total)} module{_s(round(total))} of {size}"
    rest = mods.loc[mods["modules"].isna(), "wspm"].sum()
    return text + (f" and {number(rest)} wspm in builds of any size" if rest > 0 else "")


def _opened_text(opened: pd.DataFrame) -> str:
    """'KR_YONGIN in 2025 and JP_KUMAMOTO in 2031'."""
    parts = [f"{r.site} in {year(r.open_year)}" for r in opened.itertuples()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _status_sentence(plan: Plan, head: tables.Headline) -> str:
    if plan.integer and head.optimal:
        tolerance = integer.gap_tolerance(plan)
        if head.gap is None:
            return "The solver reports this integer plan optimal, without a gap."
        if head.gap <= 0:
            return "The solver proved this integer plan optimal (gap 0%)."
        return (
            f"The solver proved this integer plan is within {gap(head.gap)} of the best possible "
            f"plan (it was asked for {gap(tolerance)}): no plan can be more than "
            f"{money(integer.gap_usd(plan))} cheaper."
        )
    if head.optimal:
        shown = "" if not head.gap else f" (gap {pct(head.gap, 2)})"
        return f"The solver proved this plan optimal{shown}."
    shown = "unknown" if head.gap is None else pct(head.gap, 2)
    return (
        f"The solver did not prove this plan optimal (status {head.status}, gap {shown}); see "
        "the warning above."
    )


# ---------------------------------------------------------------------------------------------
# 2. Where and when to build


def _builds(plan: Plan, head: tables.Headline) -> Section:
    builds = tables.builds_table(plan)
    shown_builds = builds
    if len(builds) > MAX_ROWS:
        shown_builds = builds.nlargest(MAX_ROWS, "wspm").sort_values(["year", "site"])
    wide, group = tables.capacity_by_group(plan)
    info = tables.site_info(plan)
    years = plan.years
    if len(builds):
        by_site = builds.groupby("site")["wspm"].sum().sort_values(ascending=False)
        top_site = by_site.index[0]
        runs = [
            f"{len(builds)} build{_s(len(builds))} at {head.sites_built} "
            f"site{_s(head.sites_built)} "
            f"add {number(head.wspm_built)} wspm for {money(builds['capex_usd'].sum())} of "
            f"capital expenditure. The first decision is due in {year(builds['year'].min())} and "
            f"the first new capacity comes online in {year(builds['online_year'].min())}. "
            f"{top_site} gets the most ({number(by_site.iloc[0])} wspm). ",
        ]
    else:
        runs = ["The plan builds nothing new; the existing fabs carry it. "]
    if len(wide):
        last = wide.iloc[-1]
        total = float(last.sum())
        leader = str(last.idxmax()) if total > 0 else ""
        if total > 0:
            runs.append(
                f"By {year(wide.index[-1])} installed capacity is {number(total)} wspm, "
                f"{pct(last.max() / total)} of it in {leader}. "
            )
    not_built = sorted(
        set(info["site"])
        - set(builds["site"])
        - set(plan["capacity"].loc[plan["capacity"]["installed_wspm"] > 0, "site"])
    )
    if not_built:
        runs.append(f"Candidate sites left unbuilt: {', '.join(not_built)}. ")
    whole = plan.integer and len(builds)
    if whole:
        opened = integer.sites_opened(plan)
        runs.append(
            f"Capacity comes in whole modules ({_modules_text(integer.modules(plan))}) and a "
            "site is either open, paying its fixed cost every year, or not; "
            + (
                f"the plan opens {_opened_text(opened)}. "
                if len(opened)
                else "the plan opens no new site. "
            )
        )
    if plan.hedged and len(builds):
        runs.append(
            f"These decisions are the same in all {len(plan.scenario_weights)} demand scenarios: "
            "they are taken before demand is known."
        )
    section = Section(SECTION_KEYS[1], 2, "Where and when to build", para(*runs))
    region_col = group == "region"
    cols = [
        "Site",
        *(["Region"] if region_col else []),
        "Decision year",
        "Online year",
        "New capacity (wspm)",
        *(["Modules"] if whole else []),
        "Capex",
        "Grants",
    ]
    if whole:
        shown_builds = shown_builds.merge(
            integer.modules(plan)[["site", "year", "module_wspm", "modules"]],
            on=["site", "year"],
            how="left",
        )
    rows = [
        (
            r.site,
            *([r.region] if region_col else []),
            year(r.year),
            year(r.online_year),
            number(r.wspm),
            *([_module_cell(r.modules, r.module_wspm)] if whole else []),
            money(r.capex_usd),
            money(r.grant_usd),
        )
        for r in shown_builds.itertuples()
    ]
    total = (
        "Total",
        *([""] if region_col else []),
        "",
        "",
        number(builds["wspm"].sum()),
        *([number(integer.modules(plan)["modules"].sum())] if whole else []),
        money(builds["capex_usd"].sum()),
        money(builds["grant_usd"].sum()),
    )
    if len(builds):
        align = "l" * (3 + region_col) + "r" * (3 + bool(whole))
        section.blocks.append(_builds_table(builds, shown_builds, cols, rows, total, align, whole))
    if whole and len(opened):
        section.blocks.append(_opened_table(plan, opened))
    colors = charts.colors_for(tables.chart_groups(plan))
    if len(builds):
        timeline = builds if len(builds) <= MAX_TIMELINE else builds.nlargest(MAX_TIMELINE, "wspm")
        caption = "Hatched: under construction; solid: producing."
        if len(timeline) < len(builds):
            caption += f" The {len(timeline)} largest of {len(builds)} builds."
        section.blocks.append(
            Figure(charts.build_timeline(timeline, years, group, colors), caption)
        )
    if len(wide):
        shown = _pick_years(list(wide.index))
        last_total = float(wide.iloc[-1].sum())
        rows = [
            (
                str(g),
                *[number(wide.loc[y, g]) for y in shown],
                pct(wide.iloc[-1][g] / last_total) if last_total else "–",
            )
            for g in wide.columns
        ]
        total = ("Total", *[number(wide.loc[y].sum()) for y in shown], pct(1.0))
        section.blocks.append(
            _table(
                "capacity",
                f"Installed capacity by {group} (wspm)",
                (group.capitalize(), *[year(y) for y in shown], f"Share {year(wide.index[-1])}"),
                rows,
                "l" + "r" * (len(shown) + 1),
                total=total,
                note="Installed capacity counts existing fabs and builds that are online, at "
                "nameplate (before ramp-up).",
            )
        )
        section.blocks.append(
            Figure(
                charts.capacity_area(wide, group, colors),
                f"Installed capacity by {group}, stacked.",
            )
        )
    return section


def _module_cell(modules: float, size: float) -> str:
    """'3 × 10,000': whole modules of the site's module size; '–' for a site without one."""
    if pd.isna(modules):
        return "–"
    shown = number(modules) if float(modules).is_integer() else number(modules, 2)
    return f"{shown} × {number(size)}"


def _opened_table(plan: Plan, opened: pd.DataFrame) -> Table:
    info = tables.site_info(plan).set_index("site")
    sites = plan["sites"].set_index("site")
    has_fixed = "fixed_cost_usd_per_year" in sites.columns
    return _table(
        "sites-opened",
        "Sites opened during the horizon",
        (
            "Site",
            "Region",
            "Open from",
            "Modules built",
            "New capacity (wspm)",
            *(["Fixed cost a year"] if has_fixed else []),
        ),
        [
            (
                r.site,
                str(info["region"].get(r.site, "")),
                year(r.open_year),
                "–" if pd.isna(r.modules) else number(r.modules),
                number(r.wspm_built),
                *([money(sites["fixed_cost_usd_per_year"].get(r.site))] if has_fixed else []),
            )
            for r in opened.itertuples()
        ],
        "lllrr" + ("r" if has_fixed else ""),
        note="Open from: the first year the site is open (capacity.csv open = 1); an open site "
        "stays open and pays its fixed cost every year.",
    )


def _builds_table(builds, shown_builds, cols, rows, total, align, whole=False) -> Table:
    more = len(builds) - len(shown_builds)
    return _table(
        "builds",
        "Builds per site",
        tuple(cols),
        rows,
        align,
        total=total,
        note="Decision year: the year the build is decided and funded; online year: its first "
        "year of output, which then ramps up to full capacity."
        + (
            " Modules: the number of whole modules built × the module size in wspm "
            "(sites.csv module_wspm)."
            if whole
            else ""
        )
        + (
            f" Showing the {len(shown_builds)} largest builds; {more} smaller ones are in "
            "builds.csv and plan.xlsx (the total covers all)."
            if more
            else ""
        ),
    )


# ---------------------------------------------------------------------------------------------
# 3. Meeting demand


def _demand(plan: Plan, head: tables.Headline) -> Section:
    by_product = tables.demand_by_year_product(plan)
    by_year = tables.demand_by_year(plan)
    unmet = tables.unmet_by_year_market(plan)
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
            f"{count(head.gpus_unmet)} GPUs go unserved in {_year_span(unmet['year'].tolist())} "
            f"(markets: {markets}), where building or running more capacity would cost more "
            "than the unmet-demand penalty or cannot be ready in time. "
        )
    else:
        runs.append("The plan serves all of it. ")
    runs.append(
        "Utilization is the share of a site's available capacity (after ramp-up) that runs: "
        "wafers started / (12 x available wspm)."
    )
    if plan.hedged:
        runs.append(
            " Figures here are expected values over the scenarios; each scenario on its own is in "
            f"{uncertainty.TITLE} below."
        )
    section = Section(SECTION_KEYS[2], 3, "Meeting demand", para(*runs))
    if len(plan.scenario_weights) > 1 and not plan.hedged:
        scen = tables.by_scenario(plan)
        section.blocks.append(
            _table(
                "demand-by-scenario",
                f"GPUs demanded and served by scenario, {_years_text(plan)}",
                ("Scenario", "Probability", "Demanded", "Served", "Unmet", "Served share"),
                [
                    (
                        r.scenario,
                        pct(r.probability),
                        number(r.demanded),
                        number(r.served),
                        number(r.unmet),
                        pct(r.served / r.demanded if r.demanded else 1.0),
                    )
                    for r in scen.itertuples()
                ],
                "lrrrrr",
                note="The other tables and charts show expected values (weighted by probability).",
            )
        )
    products = sorted(by_product["product"].unique())
    if 1 < len(products) <= 3:
        wide = by_product.set_index(["year", "product"])[["demanded", "served", "unmet"]]
        wide = wide.unstack("product").fillna(0.0)
        cols = [(m, p) for p in products for m in ("demanded", "served", "unmet")]
        names = {"demanded": "demanded", "served": "supplied", "unmet": "unmet"}
        section.blocks.append(
            _table(
                "demand-by-product",
                "GPUs demanded and supplied per year and product",
                ("Year", *[f"{p} {names[m]}" for m, p in cols]),
                [(year(y), *[number(wide.loc[y, c]) for c in cols]) for y in wide.index],
                "l" + "r" * len(cols),
            )
        )
    elif len(products) > 3:
        totals = by_product.groupby("product")[["demanded", "served", "unmet"]].sum()
        section.blocks.append(
            _table(
                "demand-by-product",
                f"GPUs demanded and supplied per product, {_years_text(plan)}",
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
                + (" (expected over the scenarios)." if len(plan.scenario_weights) > 1 else "."),
            )
        )
    if len(unmet):
        section.blocks.append(
            _table(
                "unmet",
                "Unmet demand (GPUs"
                + (", expected over the scenarios)" if len(plan.scenario_weights) > 1 else ")"),
                ("Year", "Product", "Market", "Unmet GPUs"),
                [(year(r.year), r.product, r.market, number(r.gpus)) for r in unmet.itertuples()],
                "lllr",
                total=("Total", "", "", number(unmet["gpus"].sum())),
                limit=MAX_ROWS,
                source="unmet.csv",
            )
        )
    util = tables.utilization(plan)
    if len(util):
        info = tables.site_info(plan).set_index("site")
        shown = _pick_years(list(util.columns))
        rows = [
            (
                site,
                pct(info["utilization"].get(site, np.nan), 0),
                *[pct(util.loc[site, y], 0) for y in shown],
            )
            for site in util.index
        ]
        section.blocks.append(
            _table(
                "utilization",
                "Utilization per site (share of available capacity running)",
                ("Site", "Limit", *[year(y) for y in shown]),
                rows,
                "lr" + "r" * len(shown),
                limit=MAX_ROWS,
                source="production.csv and capacity.csv",
                note="Limit: the site's utilization ceiling from the input data. "
                "A dash: no capacity available that year."
                + (" Expected over the scenarios." if plan.hedged else ""),
            )
        )
    if plan.hedged:
        section.blocks += uncertainty.blocks(plan)
    return section


# ---------------------------------------------------------------------------------------------
# 4. Energy


def _energy(plan: Plan, head: tables.Headline, cost_frame: pd.DataFrame) -> Section:
    chosen = tables.contracts_chosen(plan)
    if head.energy_mwh <= 0:
        return Section(
            SECTION_KEYS[3],
            4,
            "Energy",
            para(
                "Energy is not modelled in this plan (the data folder has no energy contracts), so "
                "the plan says nothing about power supply, its cost or its emissions."
            ),
        )
    npv = dict(zip(cost_frame["component"], cost_frame["npv_usd"], strict=True))
    by_year = tables.energy_by_year(plan)
    zero = chosen.loc[chosen["co2_t_per_mwh"].fillna(0) <= 0, "mwh"].sum()
    runs = [
        f"The fabs use {_twh(head.energy_mwh)} over {_years_text(plan)} from "
        f"{len(chosen)} contract{_s(len(chosen))}, at an average "
        f"{rate(head.energy_cost_usd / head.energy_mwh)} per MWh, and emit "
        f"{_tonnes(head.co2_t)} of CO2 ({number(head.co2_t / head.energy_mwh, 3)} t per MWh). ",
        f"{pct(zero / head.energy_mwh)} of the energy comes from zero-carbon contracts. ",
        f"In net present value, energy costs {money(npv.get('energy', 0.0))}, contracted "
        f"capacity {money(npv.get('energy_capacity', 0.0))} and the carbon price "
        f"{money(npv.get('carbon', 0.0))}.",
    ]
    if plan.hedged:
        runs.append(
            " The contracts (MW) are the same in every scenario; the energy drawn, its cost and "
            "its emissions are expected values over the scenarios."
        )
    section = Section(SECTION_KEYS[3], 4, "Energy", para(*runs))
    section.blocks.append(
        _table(
            "contracts",
            "Energy contracts chosen",
            (
                "Contract",
                "Region",
                "Source",
                "MW contracted",
                "Max MW",
                "MWh drawn",
                "Share of energy",
                "Avg $/MWh",
                "t CO2/MWh",
            ),
            [
                (
                    r.contract,
                    r.region,
                    r.source,
                    number(r.mw, 1),
                    number(r.max_mw, 1),
                    number(r.mwh),
                    pct(r.mwh / head.energy_mwh),
                    rate(r.price_usd_per_mwh),
                    number(r.co2_t_per_mwh, 3),
                )
                for r in chosen.itertuples()
            ],
            "lllrrrrrr",
            limit=MAX_ROWS,
            source="contracts.csv and energy.csv",
            total=(
                "Total",
                "",
                "",
                number(chosen["mw"].sum(), 1),
                "",
                number(chosen["mwh"].sum()),
                pct(chosen["mwh"].sum() / head.energy_mwh),
                "",
                "",
            ),
            note="MWh drawn over the whole horizon; average price is the energy price only.",
        )
    )
    shares = tables.site_energy_shares(plan)
    section.blocks.append(
        _table(
            "site-energy",
            "Where each site's energy comes from (whole horizon)",
            ("Site", "Contract", "Source", "Energy (MWh)", "Share of site's energy"),
            [
                (r.site, r.contract, str(r.source), number(r.mwh), pct(r.share))
                for r in shares.itertuples()
            ],
            "lllrr",
            limit=MAX_ROWS,
            source="energy.csv",
        )
    )
    mix = tables.energy_mix(plan)
    if len(mix):
        section.blocks.append(Figure(charts.energy_mix(mix), "Energy by source per year."))
    section.blocks.append(
        _table(
            "energy-by-year",
            "Energy, cost and emissions per year",
            ("Year", "Energy (MWh)", "Energy cost", "CO2 (t)", "Avg price ($/MWh)", "CO2 (t/MWh)"),
            [
                (
                    year(r.year),
                    number(r.mwh),
                    money(r.cost_usd),
                    number(r.co2_t),
                    rate(r.price_usd_per_mwh),
                    number(r.co2_t_per_mwh, 3),
                )
                for r in by_year.itertuples()
            ],
            "lrrrrr",
            total=(
                "Total",
                number(by_year["mwh"].sum()),
                money(by_year["cost_usd"].sum()),
                number(by_year["co2_t"].sum()),
                "",
                "",
            ),
            note="Energy cost is the energy price only (in each year's dollars); the carbon price "
            "and capacity charges are separate cost components.",
        )
    )
    return section


# ---------------------------------------------------------------------------------------------
# 5. Who pays


def _partners(plan: Plan, head: tables.Headline) -> Section:
    partners = tables.partners(plan)
    if not len(partners):
        return Section(
            SECTION_KEYS[4],
            5,
            "Who pays",
            para("No capital is raised: the plan builds nothing that needs funding."),
        )
    at_limit = partners.loc[
        partners["headroom_usd"].abs() <= 1e-6 * partners["usd"].abs().clip(lower=1.0), "partner"
    ].tolist()
    fin = partners["financing_cost_npv_usd"].sum()
    top = partners.iloc[0]
    runs = [
        f"Partners put up {money(head.capital_usd)} and government grants "
        f"{money(head.grants_usd)} of the {money(head.capex_usd)} capital expenditure. "
        f"{top['partner']} provides the most ({money(top['usd'])}, {pct(top['share'])}). ",
    ]
    if at_limit:
        runs.append(f"At their commitment limit: {', '.join(at_limit)}. ")
    runs.append(
        "Each dollar a partner puts in is repaid as an annuity at its cost of capital over the "
        f"asset life; the payments inside the planning horizon cost {money(fin)} in net present "
        "value (the financing component of the cost)."
    )
    if plan.hedged:
        runs.append(
            " The funding is the same in every scenario: it is raised before demand is known."
        )
    section = Section(SECTION_KEYS[4], 5, "Who pays", para(*runs))
    rows = [
        (
            r.partner,
            str(r.kind),
            money(r.usd),
            pct(r.share),
            f"{pct(r.min_share, 0)} – {pct(r.max_share, 0)}",
            _limit(r.max_commitment_usd),
            _limit(r.headroom_usd),
            pct(r.cost_of_capital),
            money(r.financing_cost_npv_usd),
        )
        for r in partners.itertuples()
    ]
    section.blocks.append(
        _table(
            "partners",
            "Capital by partner",
            (
                "Partner",
                "Kind",
                "Capital",
                "Share",
                "Share limits",
                "Commitment limit",
                "Headroom",
                "Cost of capital",
                "Financing (NPV)",
            ),
            rows,
            "llrrrrrrr",
            limit=MAX_ROWS,
            source="partner_summary.csv",
            total=(
                "Total",
                "",
                money(partners["usd"].sum()),
                pct(partners["share"].sum()),
                "",
                "",
                "",
                "",
                money(fin),
            ),
            note="Capital in the dollars of the year it is raised; "
            "headroom: commitment limit minus capital raised.",
        )
    )
    section.blocks.append(
        Figure(
            charts.partner_capital(partners),
            "Capital per partner; the black tick marks its commitment limit.",
        )
    )
    regional = tables.partner_region_shares(plan)
    if len(regional) and (regional["region"] != "").any():
        section.blocks.append(
            _table(
                "partner-regions",
                "Each partner's share of the capital raised per region",
                ("Region", "Partner", "Capital", "Share of region", "Limit", "At limit"),
                [
                    (
                        r.region,
                        r.partner,
                        money(r.usd),
                        pct(r.share),
                        pct(r.max_share, 0),
                        "yes" if pd.notna(r.max_share) and r.share >= r.max_share - 1e-6 else "",
                    )
                    for r in regional.itertuples()
                ],
                "llrrrl",
                limit=MAX_ROWS,
                source="funding.csv",
                note="Limit: the partner's maximum share of that region's capital (–: no limit).",
            )
        )
    grants = tables.grants_by_site(plan)
    if len(grants):
        section.blocks.append(
            _table(
                "grants",
                "Grants received",
                ("Site", "Grants", "Capex at the site", "Share of capex"),
                [
                    (r.site, money(r.usd), money(r.capex_usd), pct(r.share_of_capex))
                    for r in grants.itertuples()
                ],
                "lrrr",
                total=("Total", money(grants["usd"].sum()), money(grants["capex_usd"].sum()), ""),
                limit=MAX_ROWS,
                source="grants.csv",
            )
        )
    return section


# ---------------------------------------------------------------------------------------------
# 6. Costs


def _costs(plan: Plan, frame: pd.DataFrame, check: tables.CostCheck) -> Section:
    cash = frame[frame["component"] != "risk_adjustment"]
    big = cash.sort_values("npv_usd", ascending=False).head(2)
    risky = "risk_adjustment" in set(frame["component"])
    if risky:
        expected = float(cash["npv_usd"].sum())
        runs = [
            f"The plan's expected cost is {money(expected)} in net present value "
            f"({_npv_basis(plan)}); its risk-weighted objective adds a risk adjustment of "
            f"{money(check.objective_usd - expected)}, to {money(check.objective_usd)}. ",
        ]
    else:
        runs = [
            f"The plan costs {money(check.objective_usd)} in net present value "
            f"({_npv_basis(plan)})"
            + (", in expectation over the scenarios" if len(plan.scenario_weights) > 1 else "")
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
    if check.ok:
        runs.append(
            Strong(
                f"Check: the {len(frame)} components add up to {exact_usd(check.total_usd)} USD, "
                "equal to the objective the solver reported "
                f"({exact_usd(check.objective_usd)} USD) "
                f"within {pct(tables.CHECK_TOLERANCE, 4)} (difference "
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
    section = Section(SECTION_KEYS[5], 6, "Costs", para(*runs))
    section.blocks.append(
        _table(
            "costs",
            "Cost by component (NPV)",
            ("Component", "NPV", "Share", "NPV (USD)"),
            [
                (r.label, money(r.npv_usd), pct(r.share), exact_usd(r.npv_usd))
                for r in frame.itertuples()
            ],
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
    if "risk_adjustment" in set(frame["component"]):
        section.blocks.append(
            para(
                "The risk adjustment is not a cash cost: it is the extra weight the plan gives to "
                "its most expensive scenarios (conditional value at risk), so that the plan guards "
                "against them."
            )
        )
    if plan.hedged:
        section.blocks.append(
            para(
                "The cost of each scenario, the value of hedging (VSS), of perfect information "
                f"(EVPI) and the regret of each plan are in {uncertainty.WHERE}."
            )
        )
    elif len(plan.scenario_weights) > 1:
        scen = tables.by_scenario(plan)
        section.blocks.append(
            _table(
                "scenario-costs",
                "Cost and unmet demand by scenario",
                ("Scenario", "Probability", "Cost (NPV)", "Unmet GPUs"),
                [
                    (r.scenario, pct(r.probability), money(r.total_usd), number(r.unmet))
                    for r in scen.itertuples()
                ],
                "lrrr",
                note="Each scenario's cost includes the shared first-stage decisions (builds, "
                "funding, contracts).",
            )
        )
    value = [] if plan.hedged else _stochastic_values(plan.summary)
    if value:
        section.blocks.append(para(*value))
    return section


def _stochastic_values(summary: dict) -> list[str]:
    """The value of planning for uncertainty, when the solve computed it."""
    out = []
    vss, evpi = summary.get("vss_usd"), summary.get("evpi_usd")
    if isinstance(vss, int | float) and math.isfinite(vss):
        out.append(
            f"Planning for the spread of scenarios instead of their average saves "
            f"{money(vss)} (value of the stochastic solution). "
        )
    if isinstance(evpi, int | float) and math.isfinite(evpi):
        out.append(
            f"Knowing in advance which scenario will happen would save a further {money(evpi)} "
            "(expected value of perfect information)."
        )
    return out


# ---------------------------------------------------------------------------------------------
# 7. What limits the plan


def _limits(plan: Plan) -> Section:
    bind = tables.binding(plan)
    groups = tables.binding_groups(plan)
    runs = []
    if len(bind):
        runs.append(
            f"{len(bind)} constraint{_s(len(bind))} {'are' if len(bind) != 1 else 'is'} binding "
            f"({len(groups)} distinct limit{_s(len(groups))}, counting a limit that binds in "
            "several years once): the plan would be cheaper if these limits were looser. The "
            "list ranks them by impact. A shadow price is the change in total cost (NPV) if the "
            "limit were relaxed by one unit. "
        )
    else:
        runs.append("No constraint is reported as binding. ")
    runs.append(
        "The marginal cost of a GPU is what one more GPU of demand in a given year would cost "
        "the plan; it equals the unmet-demand penalty in years when demand goes unmet."
    )
    label = f" ({integer.DUALS_LABEL})" if plan.integer else ""
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
                if not plan.optimal
                else ""
            ),
        )
        if plan.integer
        else None
    )
    if plan.hedged:
        runs.append(
            " In a hedged plan a limit on operations binds scenario by scenario (the scenario is "
            "named in the constraint); GPU prices are expected values over the scenarios."
        )
    if _no_duals(plan, bind):
        return Section(
            SECTION_KEYS[6],
            7,
            "What limits the plan",
            para(
                "The LP with the integer decisions fixed returned no prices for this plan: every "
                "GPU price in prices.csv is zero and no constraint is reported as binding"
                + (
                    ", as happens when the time limit is used up before that LP is solved"
                    if str(plan.summary.get("status", "")) == "time_limit"
                    else ""
                )
                + ". This section therefore cannot say which limits bind or what one more GPU "
                "would cost; rerun without a time limit (or with a longer one) to get them."
            ),
        )
    section = Section(SECTION_KEYS[6], 7, "What limits the plan", para(*runs))
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
            _table(
                "binding",
                f"Binding constraints{label}",
                ("Rank", "Constraint", "Where", "Shadow price", "Unit"),
                [
                    (
                        str(i + 1),
                        str(r.family).replace("_", " "),
                        str(r.index),
                        _shadow(r.shadow_price),
                        str(r.unit),
                    )
                    for i, r in enumerate(shown.itertuples())
                ],
                "lllrl",
                note=""
                if len(bind) <= MAX_BINDING_ROWS
                else f"The {len(bind) - MAX_BINDING_ROWS} further binding constraints are in "
                "binding.csv and the workbook.",
            )
        )
    prices = tables.prices(plan)
    by_product = tables.prices_by_product(plan)
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
        penalty = plan.params.get("unmet_penalty_usd_per_gpu")
        section.blocks.append(
            Figure(
                charts.gpu_prices(shown, float(penalty) if penalty is not None else None),
                "Marginal cost of one more GPU of demand, in each year's dollars"
                + (", expected over the scenarios" if len(plan.scenario_weights) > 1 else "")
                + f"{label}.",
            )
        )
        table = prices if prices.shape[1] <= 6 else by_product
        section.blocks.append(
            _table(
                "prices",
                "Marginal cost of one more GPU (USD per GPU, that year's dollars"
                + (", expected over the scenarios" if len(plan.scenario_weights) > 1 else "")
                + (f"; {integer.DUALS_LABEL})" if plan.integer else ")"),
                ("Year", *[str(c) for c in table.columns]),
                [(year(y), *[money(table.loc[y, c]) for c in table.columns]) for y in table.index],
                "l" + "r" * table.shape[1],
                note=""
                if table is prices
                else "Averaged over markets, weighted by demand where the plan records it.",
            )
        )
    return section


def _no_duals(plan: Plan, bind: pd.DataFrame) -> bool:
    """An integer plan whose fixed-LP re-solve gave no duals: all prices zero, nothing binding.
    (Every GPU of demand costs something to serve or to leave unmet, so a real price is > 0.)"""
    prices = plan["prices"]["usd_per_gpu"].astype(float)
    return plan.integer and len(prices) > 0 and bool((prices.abs() < 1e-9).all()) and not len(bind)


def _shadow(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    a = abs(value)
    if a >= 1e6:
        return money(value)
    if a >= 100:
        return f"{'-' if value < 0 else ''}${a:,.0f}"
    return f"{'-' if value < 0 else ''}${a:,.4g}"


# ---------------------------------------------------------------------------------------------
# 8. Assumptions


def _assumptions(plan: Plan) -> Section:
    s = plan.summary
    scenario = _scenario_name(plan)
    weights = plan.scenario_weights
    overrides = s.get("overrides") or {}
    runs = [
        (
            f"This plan was solved over {len(weights)} demand scenarios ("
            + ", ".join(f"{k} {pct(v, 0)}" for k, v in weights.items())
            + ")"
            if len(weights) > 1
            else f"This plan was solved for scenario {scenario}"
        )
        + f" for {_years_text(plan)}"
        + _risk_text(s)
        + (
            ", as an integer plan (sites open or not, builds in whole modules; the solver "
            f"stops within a gap of {gap(integer.gap_tolerance(plan))})"
            if plan.integer
            else ""
        )
        + ". The parameters below drive it; the input files are "
        "identified by their SHA-256 hashes, so anyone can check they have the same data. ",
        (
            f"Parameters changed on the command line: "
            f"{', '.join(f'{k}={v}' for k, v in sorted(overrides.items()))}. "
            if overrides
            else "No parameter was overridden on the command line. "
        ),
        f"Data folder: {s.get('data_dir', 'unknown')}.",
    ]
    section = Section(SECTION_KEYS[7], 8, "Assumptions", para(*runs))
    params = plan.params
    section.blocks.append(
        _table(
            "parameters",
            "Parameters",
            ("Parameter", "Value"),
            [(k, _param(k, params[k])) for k in params],
            "ll",
        )
    )
    section.blocks.append(
        _table(
            "scenarios",
            "Scenarios",
            ("Scenario", "Probability"),
            [(k, number(v, 4)) for k, v in weights.items()],
            "lr",
        )
    )
    inputs = s.get("inputs") or {}
    section.blocks.append(
        _table(
            "inputs",
            "Input files",
            ("File", "SHA-256"),
            [(k, str(v)) for k, v in sorted(inputs.items())],
            "ll",
        )
    )
    section.blocks.append(
        _table(
            "software",
            "Software and run",
            ("Item", "Value"),
            _software_rows(plan),
            "ll",
        )
    )
    return section


def _risk_text(summary: dict) -> str:
    risk = summary.get("risk") or {}
    alpha, weight = risk.get("cvar_alpha"), risk.get("risk_weight")
    if alpha is None:
        return ""
    return (
        f", risk-averse: the objective weights the worst {pct(1 - float(alpha), 0)} of outcomes "
        f"(CVaR at {alpha}) by {weight}"
    )


def _software_rows(plan: Plan) -> list[tuple[str, str]]:
    s = plan.summary
    solver = s.get("solver") or {}
    rows = [
        ("fabplan", str(s.get("fabplan_version", "unknown"))),
        ("Solver", f"{solver.get('name', 'unknown')} {solver.get('version', '')}".strip()),
        ("Mode", str(s.get("mode", "lp"))),
        ("Termination", str(s.get("termination", ""))),
        ("Created", str(s.get("created", ""))),
    ]
    if s.get("python"):
        rows.append(("Python (solve)", str(s["python"])))
    for k, v in sorted((s.get("software") or {}).items()):
        rows.append((str(k), str(v)))
    for k, v in sorted((s.get("options") or {}).items()):
        rows.append((f"option {k}", "default" if v is None else str(v)))
    size = s.get("size") or {}
    if size:
        rows.append(("Model size", ", ".join(f"{number(v)} {k}" for k, v in size.items())))
    timings = s.get("timings") or {}
    if timings:
        rows.append(
            (
                "Timings (s)",
                ", ".join(
                    f"{k.removesuffix('_s')} {v:.2f}"
                    for k, v in timings.items()
                    if isinstance(v, int | float)
                ),
            )
        )
    rows.append(
        (
            "Report rendered with",
            ", ".join(
                [f"Python {platform.python_version()}"]
                + [f"{p} {_version(p)}" for p in ("pandas", "matplotlib", "jinja2", "openpyxl")]
            ),
        )
    )
    return rows


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def _param(name: str, value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_param(name, v) for v in value)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float):
        if "year" in name and float(value).is_integer() and not name.endswith("years"):
            return year(value)
        if float(value).is_integer():
            return number(value)
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------------------------------------
# helpers


_table = table


def _pick_years(years: list) -> list:
    """All years when few, else evenly spaced ones including the first and the last."""
    if len(years) <= MAX_YEAR_COLUMNS:
        return list(years)
    idx = np.unique(np.linspace(0, len(years) - 1, MAX_YEAR_COLUMNS).round().astype(int))
    return [years[i] for i in idx]


def _year_span(years: list[int]) -> str:
    ys = sorted({int(y) for y in years})
    return tables.year_list(ys) if ys else "no year"


def _years_text(plan: Plan) -> str:
    ys = plan.years
    return f"{ys[0]}–{ys[-1]}" if ys else "the horizon"


def _npv_basis(plan: Plan) -> str:
    p = plan.params
    rate = p.get("discount_rate")
    first = p.get("first_year", plan.years[0] if plan.years else "")
    return (
        f"{first} dollars, discounted at {pct(float(rate))} a year"
        if rate is not None
        else f"{first} dollars"
    )


def _plan_kind(plan: Plan) -> str:
    """The subtitle's description of the run: scenario or hedge, risk, integer."""
    if plan.hedged:
        text = f"hedged over {len(plan.scenario_weights)} scenarios"
        if plan.risk is not None:
            alpha, weight = plan.risk
            text += f", risk-averse (CVaR {pct(alpha, 0)}, weight {weight:g})"
    else:
        text = f"scenario {_scenario_name(plan)}"
    return text + (" · integer plan" if plan.integer else "")


def _scenario_name(plan: Plan) -> str:
    s = plan.summary.get("scenario")
    if s:
        return str(s)
    return ", ".join(plan.scenario_weights) or "base"


def _twh(mwh: float) -> str:
    return f"{mwh / 1e6:,.1f} TWh" if mwh >= 1e5 else f"{number(mwh)} MWh"


def _tonnes(t: float) -> str:
    if t >= 1e6:
        return f"{t / 1e6:,.2f} million tonnes"
    return f"{number(t)} tonnes"


def _limit(value: float) -> str:
    """A dollar limit or headroom; solver noise below one dollar reads as $0."""
    if value is None or not np.isfinite(value):
        return "none"
    return money(0.0 if abs(value) < 1.0 else value)


def _s(n: int) -> str:
    return "" if n == 1 else "s"


__all__ = ["build_document", "warnings", "SECTION_KEYS", "Paragraph", "Bullets"]
