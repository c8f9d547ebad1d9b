"""Decide now, decide later: what a staged plan (parameters.csv stage_year) commits before the
stage year, the same in every scenario, and what it leaves to each scenario from then on.

Only for staged plans. Reads the full plan (all scenarios) through optimizer.plan.staged_view.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.plan import statistics
from optimizer.plan.power_stats import table as optional_table
from optimizer.plan.read import Plan
from optimizer.plan.schema import ALL_SCENARIOS
from optimizer.plan.staged_view import decide_now
from optimizer.render.document import Heading, Section, para, table
from optimizer.render.fmt import money, number, pct, year
from optimizer.report.sections.common import plural

KEY = "decide-now"
MAX_ROWS = 25
MAIN_SITES = 3  # sites named per scenario in the decide-later table
POWER_HEADERS = {
    "project": "Project",
    "kind": "Kind",
    "region": "Region",
    "year": "Decided",
    "mw": "MW",
    "capex_usd": "Capex",
}


@dataclass(frozen=True)
class StageNumbers:
    """Every number the section shows, before formatting."""

    stage_year: int
    builds_now: pd.DataFrame  # site, name, region, year, online_year, wspm, capex_usd, partners
    grants_now_usd: float
    capital_now_usd: float  # fab funding rows "all"
    power_now: pd.DataFrame  # power builds before the stage year (project, kind, year, mw, capex)
    power_capital_now_usd: float
    contracts_now: pd.DataFrame  # contracts starting before the stage year (contract, mw, ...)
    later: pd.DataFrame  # per scenario: probability, wspm, by_region, sites, capital, cost, unmet


def stage_year(plan: Plan) -> int | None:
    """The plan's stage year, None for an unstaged plan (or a staged plan's one-scenario view,
    whose decision tables have no scenario column)."""
    return plan.stage_year if plan.staged else None


def numbers(plan: Plan) -> StageNumbers:
    staged = stage_year(plan)
    assert staged is not None, "only for staged plans"
    info = statistics.site_info(plan)[["site", "name", "region"]]
    builds = decide_now(plan["builds"]).merge(info, on="site", how="left")
    builds = builds[builds["wspm"] > 0.5]
    funding = decide_now(plan["funding"])
    funding = funding[funding["usd"] > 0.5]
    funders = (
        funding.groupby(["site", "year", "partner"], as_index=False)["usd"]
        .sum()
        .sort_values(["usd", "partner"], ascending=[False, True])
        .groupby(["site", "year"], sort=False)["partner"]
        .agg(", ".join)
        .rename("partners")
    )
    builds = builds.merge(funders, on=["site", "year"], how="left").fillna({"partners": ""})
    grants = decide_now(plan["grants"]) if plan.has("grants") else builds.assign(usd=0.0)
    power = optional_table(plan, "power_builds")
    power_now = decide_now(power) if len(power) and "year" in power.columns else pd.DataFrame()
    if len(power_now):
        power_now = power_now[power_now["year"] < staged]
    power_funding = optional_table(plan, "power_funding")
    power_capital = (
        float(decide_now(power_funding)["usd"].sum()) if "usd" in power_funding.columns else 0.0
    )
    return StageNumbers(
        stage_year=staged,
        builds_now=builds.sort_values(["year", "site"]).reset_index(drop=True),
        grants_now_usd=float(grants["usd"].sum()) if "usd" in grants.columns else 0.0,
        capital_now_usd=float(funding["usd"].sum()),
        power_now=power_now.reset_index(drop=True),
        power_capital_now_usd=power_capital,
        contracts_now=_contracts_now(plan, staged),
        later=_later(plan, info),
    )


def _contracts_now(plan: Plan, staged: int) -> pd.DataFrame:
    """Contracts with MW > 0 signed before the stage year (contracts.csv first_year): their MW
    is one decision for every scenario. A contract without a capacity charge or take-or-pay
    reports the MW its scenario draws (its MW costs nothing), so the MW shown is the largest."""
    cols = ["contract", "region", "source", "mw", "first_year"]
    c = plan["contracts"]
    if c.empty or "scenario" not in c.columns or "first_year" not in c.columns:
        return pd.DataFrame(columns=cols)
    c = c[(c["mw"] > 1e-6) & (c["first_year"] < staged)]
    c = c.sort_values("mw", ascending=False).drop_duplicates("contract")
    return c[cols].sort_values(["region", "contract"]).reset_index(drop=True)


def _later(plan: Plan, info: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario: what it builds from the stage year on and what it costs."""
    b = plan["builds"]
    b = b[(b["scenario"] != ALL_SCENARIOS) & (b["wspm"] > 0.5)].merge(info, on="site", how="left")
    f = plan["funding"]
    capital = f[f["scenario"] != ALL_SCENARIOS].groupby("scenario")["usd"].sum()
    unmet = plan["unmet"].groupby("scenario")["gpus"].sum()
    costs = plan["scenario_costs"].set_index("scenario")
    penalty = costs.get("unmet_demand_usd", 0.0)
    cash = costs["total_usd"] - penalty
    rows = []
    for w, p in plan.scenario_weights.items():
        mine = b[b["scenario"] == w]
        regions = mine.groupby("region")["wspm"].sum().sort_values(ascending=False)
        sites = mine.groupby("site")["wspm"].sum().sort_values(ascending=False)
        rows.append(
            {
                "scenario": w,
                "probability": p,
                "wspm": float(mine["wspm"].sum()),
                "capex_usd": float(mine["capex_usd"].sum()),
                "by_region": ", ".join(f"{r or '?'} {number(v)}" for r, v in regions.items()),
                "sites": ", ".join(f"{s} {number(v)}" for s, v in sites.head(MAIN_SITES).items()),
                "capital_usd": float(capital.get(w, 0.0)),
                "cost_usd": float(cash.get(w, float("nan"))),
                "unmet_gpus": float(unmet.get(w, 0.0)),
            }
        )
    return pd.DataFrame(rows)


def advice(n: StageNumbers) -> str:
    """The one or two sentences a reader can act on."""
    b = n.builds_now
    sites = b.groupby("site")["capex_usd"].sum().sort_values(ascending=False).index.tolist()
    where = ", ".join(sites[:4]) + (f" and {len(sites) - 4} more" if len(sites) > 4 else "")
    now = (
        f"Commit {money(float(b['capex_usd'].sum()))} to {len(b)} build{plural(len(b))} "
        f"({number(float(b['wspm'].sum()))} wspm) at {where} before {n.stage_year}"
        if len(b)
        else f"Commit to no new fab capacity before {n.stage_year}"
    )
    also = []
    if len(n.contracts_now):
        also.append(f"sign {len(n.contracts_now)} energy contract{plural(len(n.contracts_now))}")
    if len(n.power_now):
        also.append(f"build {len(n.power_now)} power project{plural(len(n.power_now))}")
    if also:
        now += " and " + " and ".join(also)
    later = n.later.sort_values(["wspm", "scenario"])
    if later.empty:
        return now + "."
    if later["wspm"].max() - later["wspm"].min() <= 0.5:
        return now + (
            f"; from {n.stage_year} every scenario builds about "
            f"{number(float(later['wspm'].max()))} wspm more."
        )
    parts = [f"{number(r.wspm)} wspm if {r.scenario} does" for r in later.itertuples()]
    parts[0] = parts[0].replace(" wspm if", " wspm more if").replace(" does", " comes true")
    listed = ", ".join(parts[:-1]) + " and " + parts[-1]
    return now + f"; from {n.stage_year} build {listed}."


def section(n: StageNumbers, number_: int = 0) -> Section:
    s = n.stage_year
    b = n.builds_now
    lead = para(
        f"This is a staged plan with stage year {s}: decisions dated before {s} are taken now, "
        "before anyone knows which scenario comes true, and are the same in every scenario; "
        f"decisions from {s} on are taken once the scenario is known, one set per scenario. ",
        advice(n),
    )
    out = Section(KEY, number_, "Decide now, decide later", lead)
    out.blocks.append(Heading(f"Decide now (before {s}): the same in every scenario"))
    committed = n.capital_now_usd + n.power_capital_now_usd
    out.blocks.append(
        para(
            f"{len(b)} fab build{plural(len(b))} of {number(float(b['wspm'].sum()))} wspm "
            f"(capex {money(float(b['capex_usd'].sum()))}), grants "
            f"{money(n.grants_now_usd)}; capital committed now {money(committed)} "
            f"({money(n.capital_now_usd)} for fabs"
            + (
                f", {money(n.power_capital_now_usd)} for power builds)."
                if n.power_capital_now_usd > 0.5
                else ")."
            )
        )
    )
    if len(b):
        out.blocks.append(
            table(
                "decide-now-builds",
                f"Fab builds to commit before {s}",
                ["Site", "Region", "Decided", "Online", "wspm", "Capex", "Funded by"],
                [
                    (
                        r.site,
                        r.region or "",
                        year(r.year),
                        year(r.online_year),
                        number(r.wspm),
                        money(r.capex_usd),
                        r.partners,
                    )
                    for r in b.itertuples()
                ],
                ["l", "l", "r", "r", "r", "r", "l"],
                total=(
                    "Total",
                    "",
                    "",
                    "",
                    number(float(b["wspm"].sum())),
                    money(float(b["capex_usd"].sum())),
                    "",
                ),
                limit=MAX_ROWS,
                source="builds.csv (scenario all)",
            )
        )
    if len(n.contracts_now):
        c = n.contracts_now
        out.blocks.append(
            table(
                "decide-now-contracts",
                f"Energy contracts to sign before {s} (one MW decision for every scenario; "
                "where MW carry no charge, the most any scenario draws)",
                ["Contract", "Region", "Source", "Signed (first year)", "MW"],
                [
                    (r.contract, r.region, r.source, year(r.first_year), number(r.mw))
                    for r in c.itertuples()
                ],
                ["l", "l", "l", "r", "r"],
                limit=MAX_ROWS,
                source="contracts.csv",
            )
        )
    if len(n.power_now):
        p = n.power_now
        cols = [c for c in ["project", "kind", "region", "year", "mw", "capex_usd"] if c in p]
        out.blocks.append(
            table(
                "decide-now-power",
                f"Power builds to commit before {s}",
                [POWER_HEADERS[c] for c in cols],
                [
                    tuple(
                        money(v)
                        if c == "capex_usd"
                        else number(v)
                        if c == "mw"
                        else year(v)
                        if c == "year"
                        else str(v)
                        for c, v in zip(cols, row, strict=True)
                    )
                    for row in p[cols].itertuples(index=False)
                ],
                ["r" if c in ("mw", "capex_usd", "year") else "l" for c in cols],
                limit=MAX_ROWS,
                source="power_builds.csv (scenario all)",
            )
        )
    out.blocks.append(Heading(f"Decide later (from {s}), by scenario"))
    later = n.later
    out.blocks.append(
        table(
            "decide-later",
            f"What each scenario builds from {s} on, and what it costs",
            [
                "Scenario",
                "Probability",
                "wspm built",
                "By region",
                "Main sites",
                "Capital raised",
                "Cost without penalty (NPV)",
                "GPUs unmet",
            ],
            [
                (
                    r.scenario,
                    pct(r.probability, 0),
                    number(r.wspm),
                    r.by_region or "none",
                    r.sites or "none",
                    money(r.capital_usd),
                    money(r.cost_usd),
                    number(r.unmet_gpus),
                )
                for r in later.itertuples()
            ],
            ["l", "r", "r", "l", "l", "r", "r", "r"],
            note="Capital raised: partner funding of the scenario's own fab builds. Cost: the "
            "scenario's own total (scenario_costs.csv) less its unmet-demand penalty.",
        )
    )
    return out
