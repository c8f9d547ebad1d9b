"""Where and when to build: builds per site, sites opened, installed capacity."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.plan import figures, statistics
from optimizer.plan.read import Plan
from optimizer.render import charts
from optimizer.render.document import (
    Figure,
    Section,
    Table,
    para,
    table,
)
from optimizer.render.fmt import (
    money,
    number,
    pct,
    year,
)
from optimizer.report.scenarios import staged_label
from optimizer.report.sections import integer
from optimizer.report.sections.common import (
    MAX_ROWS,
    MAX_TIMELINE,
    modules_text,
    opened_text,
    pick_years,
    plural,
)

KEY = "where-and-when"


@dataclass(frozen=True)
class BuildNumbers:
    """Every number the builds section shows, computed before any formatting."""

    head: statistics.Headline
    builds: pd.DataFrame  # statistics.builds_table
    shown: pd.DataFrame  # the builds the table shows (the largest), with modules when integer
    timeline: pd.DataFrame  # the builds the timeline chart draws (the largest)
    by_site: pd.Series  # wspm built per site, largest first
    wide: pd.DataFrame  # installed capacity, year x group
    group: str  # "region" or "site"
    not_built: list[str]  # candidate sites left unbuilt
    info: pd.DataFrame  # statistics.site_info, by site
    fixed_cost: pd.Series | None  # sites.csv fixed_cost_usd_per_year, by site
    colors: dict  # chart colour per group
    years: list[int]
    scenarios: int
    hedged: bool
    whole: integer.IntegerNumbers | None  # for an integer plan with builds
    utilisation: pd.DataFrame | None = None  # figures.utilisation_by_scenario: scenario x year
    staged: str = ""  # common.staged_label: the scenario a staged plan's view shows


def numbers(
    plan: Plan,
    head: statistics.Headline,
    whole: integer.IntegerNumbers | None,
    full: Plan | None = None,
) -> BuildNumbers:
    """The builds section's bundle from the plan statistics; `full`: the whole staged plan when
    `plan` is one scenario's view (utilisation per scenario needs every scenario's capacity)."""
    builds = statistics.builds_table(plan)
    shown = builds
    if len(builds) > MAX_ROWS:
        shown = builds.nlargest(MAX_ROWS, "wspm").sort_values(["year", "site"])
    whole = whole if whole is not None and len(builds) else None
    if whole is not None:
        shown = shown.merge(
            whole.modules[["site", "year", "module_wspm", "modules"]],
            on=["site", "year"],
            how="left",
        )
    wide, group = statistics.capacity_by_group(plan)
    info = statistics.site_info(plan)
    sites = plan["sites"].set_index("site")
    installed = plan["capacity"].loc[plan["capacity"]["installed_wspm"] > 0, "site"]
    return BuildNumbers(
        head=head,
        builds=builds,
        shown=shown,
        timeline=builds if len(builds) <= MAX_TIMELINE else builds.nlargest(MAX_TIMELINE, "wspm"),
        by_site=builds.groupby("site")["wspm"].sum().sort_values(ascending=False),
        wide=wide,
        group=group,
        not_built=sorted(set(info["site"]) - set(builds["site"]) - set(installed)),
        info=info.set_index("site"),
        fixed_cost=sites["fixed_cost_usd_per_year"]
        if "fixed_cost_usd_per_year" in sites.columns
        else None,
        colors=charts.colors_for(statistics.chart_groups(plan)),
        years=plan.years,
        scenarios=len(plan.scenario_weights),
        hedged=plan.hedged,
        whole=whole,
        utilisation=figures.utilisation_by_scenario(full or plan)
        if len(plan.scenario_weights) > 1
        else None,
        staged=staged_label(plan),
    )


def section(n: BuildNumbers) -> Section:
    """Section 2: where and when to build, and the installed capacity that results."""
    head, builds, shown_builds, wide, group = n.head, n.builds, n.shown, n.wide, n.group
    whole = n.whole
    if len(builds):
        by_site = n.by_site
        top_site = by_site.index[0]
        runs = [
            f"{len(builds)} build{plural(len(builds))} at {head.sites_built} "
            f"site{plural(head.sites_built)} "
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
    if n.not_built:
        runs.append(f"Candidate sites left unbuilt: {', '.join(n.not_built)}. ")
    if whole is not None:
        opened = whole.opened
        runs.append(
            f"Capacity comes in whole modules ({modules_text(whole.modules)}) and a "
            "site is either open, paying its fixed cost every year, or not; "
            + (
                f"the plan opens {opened_text(opened)}. "
                if len(opened)
                else "the plan opens no new site. "
            )
        )
    if n.staged:
        runs.append(n.staged)
    elif n.hedged and len(builds):
        runs.append(
            f"These decisions are the same in all {n.scenarios} demand scenarios: "
            "they are taken before demand is known."
        )
    section = Section(KEY, 2, "Where and when to build", para(*runs))
    region_col = group == "region"
    cols = [
        "Site",
        *(["Region"] if region_col else []),
        "Decision year",
        "Online year",
        "New capacity (wspm)",
        *(["Modules"] if whole is not None else []),
        "Capex",
        "Grants",
    ]
    rows = [
        (
            r.site,
            *([r.region] if region_col else []),
            year(r.year),
            year(r.online_year),
            number(r.wspm),
            *([_module_cell(r.modules, r.module_wspm)] if whole is not None else []),
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
        *([number(whole.modules["modules"].sum())] if whole is not None else []),
        money(builds["capex_usd"].sum()),
        money(builds["grant_usd"].sum()),
    )
    if len(builds):
        align = "l" * (3 + region_col) + "r" * (3 + (whole is not None))
        section.blocks.append(
            _builds_table(builds, shown_builds, cols, rows, total, align, whole is not None)
        )
    if whole is not None and len(whole.opened):
        section.blocks.append(_opened_table(n))
    colors = n.colors
    if len(builds):
        timeline = n.timeline
        caption = "Hatched: under construction; solid: producing."
        if len(timeline) < len(builds):
            caption += f" The {len(timeline)} largest of {len(builds)} builds."
        section.blocks.append(
            Figure(charts.build_timeline(timeline, n.years, group, colors), caption)
        )
    if len(wide):
        shown = pick_years(list(wide.index))
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
            table(
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
    if n.utilisation is not None and len(n.utilisation):
        section.blocks.append(_utilisation_table(n.utilisation))
    return section


def _utilisation_table(util: pd.DataFrame) -> Table:
    """Fleet utilisation per scenario: each scenario's own load, not only the weighted average."""
    shown = pick_years(list(util.columns))
    return table(
        "utilisation-by-scenario",
        "Utilisation of the available capacity, by scenario",
        ("Scenario", *[year(y) for y in shown]),
        [(str(s), *[pct(util.loc[s, y], 0) for y in shown]) for s in util.index],
        "l" + "r" * len(shown),
        note="Wafers made in the scenario / (12 × available wspm of all sites) in the year; "
        "available capacity is after ramp-up and before the utilization ceiling.",
    )


def _module_cell(modules: float, size: float) -> str:
    """'3 × 10,000': whole modules of the site's module size; '–' for a site without one."""
    if pd.isna(modules):
        return "–"
    shown = number(modules) if float(modules).is_integer() else number(modules, 2)
    return f"{shown} × {number(size)}"


def _opened_table(n: BuildNumbers) -> Table:
    info, fixed = n.info, n.fixed_cost
    has_fixed = fixed is not None
    return table(
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
                *([money(fixed.get(r.site))] if has_fixed else []),
            )
            for r in n.whole.opened.itertuples()
        ],
        "lllrr" + ("r" if has_fixed else ""),
        note="Open from: the first year the site is open (capacity.csv open = 1); an open site "
        "stays open and pays its fixed cost every year.",
    )


def _builds_table(builds, shown_builds, cols, rows, total, align, whole=False) -> Table:
    more = len(builds) - len(shown_builds)
    return table(
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
