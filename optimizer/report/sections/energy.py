"""Energy: the contracts chosen, where each site's power comes from, cost and emissions."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from optimizer.plan import power_stats, statistics
from optimizer.plan.read import Plan
from optimizer.render import charts, charts_power
from optimizer.render.document import (
    Figure,
    Section,
    para,
    table,
)
from optimizer.render.fmt import (
    money,
    number,
    pct,
    rate,
    year,
)
from optimizer.report.sections.common import (
    MAX_ROWS,
    plural,
    tonnes,
    twh,
    years_text,
)

KEY = "energy"


@dataclass(frozen=True)
class EnergyNumbers:
    """Every number the energy section shows, computed before any formatting."""

    head: statistics.Headline
    chosen: pd.DataFrame  # statistics.contracts_chosen
    npv: dict[str, float]  # cost component -> NPV
    zero_carbon_mwh: float  # energy from contracts without emissions
    by_year: pd.DataFrame  # statistics.energy_by_year
    shares: pd.DataFrame  # statistics.site_energy_shares
    mix: pd.DataFrame  # statistics.energy_mix
    years: str  # "2025–2040"
    hedged: bool
    # issue 14 (each empty / None when the plan lacks the table)
    power_builds: pd.DataFrame = field(default_factory=pd.DataFrame)  # builds_and_funders
    days: pd.DataFrame = field(default_factory=pd.DataFrame)  # representative_days
    firm_share: float | None = None
    co2: pd.DataFrame = field(default_factory=pd.DataFrame)  # co2_by_source
    take_or_pay: pd.DataFrame = field(default_factory=pd.DataFrame)


def numbers(plan: Plan, head: statistics.Headline, cost_frame: pd.DataFrame) -> EnergyNumbers:
    """The energy section's bundle from the plan statistics."""
    chosen = statistics.contracts_chosen(plan)
    modelled = head.energy_mwh > 0
    return EnergyNumbers(
        head=head,
        chosen=chosen,
        npv=dict(zip(cost_frame["component"], cost_frame["npv_usd"], strict=True)),
        zero_carbon_mwh=float(chosen.loc[chosen["co2_t_per_mwh"].fillna(0) <= 0, "mwh"].sum())
        if modelled
        else 0.0,
        by_year=statistics.energy_by_year(plan) if modelled else pd.DataFrame(),
        shares=statistics.site_energy_shares(plan) if modelled else pd.DataFrame(),
        mix=statistics.energy_mix(plan) if modelled else pd.DataFrame(),
        years=years_text(plan),
        hedged=plan.hedged,
        power_builds=power_stats.builds_and_funders(plan),
        days=power_stats.representative_days(plan) if modelled else pd.DataFrame(),
        firm_share=power_stats.firm_share(plan) if modelled else None,
        co2=power_stats.co2_by_source(plan) if modelled else pd.DataFrame(),
        take_or_pay=power_stats.take_or_pay(plan),
    )


def section(n: EnergyNumbers) -> Section:
    """Section 4: the contracts chosen, where each site's power comes from, cost and emissions."""
    head, chosen, npv, by_year = n.head, n.chosen, n.npv, n.by_year
    if head.energy_mwh <= 0:
        return Section(
            KEY,
            4,
            "Energy",
            para(
                "Energy is not modelled in this plan (the data folder has no energy contracts), so "
                "the plan says nothing about power supply, its cost or its emissions."
            ),
        )
    zero = n.zero_carbon_mwh
    runs = [
        f"The fabs use {twh(head.energy_mwh)} over {n.years} from "
        f"{len(chosen)} contract{plural(len(chosen))}, at an average "
        f"{rate(head.energy_cost_usd / head.energy_mwh)} per MWh, and emit "
        f"{tonnes(head.co2_t)} of CO2 ({number(head.co2_t / head.energy_mwh, 3)} t per MWh). ",
        f"{pct(zero / head.energy_mwh)} of the energy comes from zero-carbon contracts. ",
        f"In net present value, energy costs {money(npv.get('energy', 0.0))}, contracted "
        f"capacity {money(npv.get('energy_capacity', 0.0))} and the carbon price "
        f"{money(npv.get('carbon', 0.0))}.",
    ]
    if n.hedged:
        runs.append(
            " The contracts (MW) are the same in every scenario; the energy drawn, its cost and "
            "its emissions are expected values over the scenarios."
        )
    section = Section(KEY, 4, "Energy", para(*runs))
    section.blocks.append(
        table(
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
    shares = n.shares
    section.blocks.append(
        table(
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
    mix = n.mix
    if len(mix):
        section.blocks.append(Figure(charts.energy_mix(mix), "Energy by source per year."))
    section.blocks.extend(power_blocks(n))
    section.blocks.append(
        table(
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


def power_blocks(n: EnergyNumbers) -> list:
    """Issue 14: builds and funders, the dispatch chart, firm share, CO2 by source and
    take-or-pay paid but unused; each part only when the plan has its table."""
    blocks: list = []
    b = n.power_builds
    if len(b):
        blocks.append(
            table(
                "power-builds",
                "Generation and storage built, and who financed them",
                (
                    "Project",
                    "Kind",
                    "Region",
                    "Source",
                    "From",
                    "MW",
                    "MWh",
                    "Capex",
                    "Financed by",
                ),
                [
                    (
                        r.project,
                        r.kind,
                        r.region,
                        r.source,
                        year(r.year),
                        number(r.mw, 1),
                        number(r.mwh, 1) if r.mwh > 0 else "",
                        money(r.capex_usd),
                        r.funders or "—",
                    )
                    for r in b.itertuples()
                ],
                "llllrrrrl",
                limit=MAX_ROWS,
                source="power_builds.csv and power_funding.csv",
                total=("Total", "", "", "", "", number(b["mw"].sum(), 1), "", "", ""),
                note="MWh is a storage project's energy capacity; financed by: each partner's "
                "share of the project's funding.",
            )
        )
    if len(n.days):
        blocks.append(
            Figure(
                charts_power.dispatch(n.days),
                "Average MW by source in each time slice of one representative day per region "
                "(the latest year, the day with the most solar and wind); storage charging "
                "below zero; the black line is the fab load.",
            )
        )
    runs = []
    if n.firm_share is not None:
        runs.append(
            f"Firm share: {pct(n.firm_share)} of the energy delivered comes from sources "
            "available in every time slice (grid, nuclear, gas and storage; not solar or wind). "
        )
    t = n.take_or_pay
    if len(t):
        runs.append(
            f"Take-or-pay: {number(t['unused_paid_mwh'].sum())} MWh are paid for but not used, "
            f"costing {money(t['unused_paid_usd'].sum())} over the horizon "
            f"({plural_contracts(len(t))})."
        )
    if runs:
        blocks.append(para(*runs))
    co2 = n.co2
    if len(co2) and co2["mwh"].sum() > 0:
        total = float(co2["co2_t"].sum())
        blocks.append(
            table(
                "co2-by-source",
                "CO2 by source (whole horizon)",
                ("Source", "Energy (MWh)", "CO2 (t)", "Share of CO2", "t CO2/MWh"),
                [
                    (
                        str(r.source),
                        number(r.mwh),
                        number(r.co2_t),
                        pct(r.co2_t / total) if total > 0 else "",
                        number(r.co2_t / r.mwh, 3) if r.mwh > 0 else "",
                    )
                    for r in co2.itertuples()
                ],
                "lrrrr",
                source="energy.csv, generation_output.csv",
                total=("Total", number(co2["mwh"].sum()), number(total), "", ""),
                note="Energy drawn on contracts (energy.csv) and generated by the plan's own "
                "builds (generation_output.csv), over the horizon (expected)."
                if len(n.power_builds)
                else "",
            )
        )
    if len(t):
        blocks.append(
            table(
                "take-or-pay",
                "Take-or-pay: energy paid for but not used",
                ("Contract", "MWh paid", "MWh paid, unused", "Cost of unused"),
                [
                    (
                        r.contract,
                        number(r.paid_mwh),
                        number(r.unused_paid_mwh),
                        money(r.unused_paid_usd),
                    )
                    for r in t.itertuples()
                ],
                "lrrr",
                source="energy.csv min_take_share",
                total=(
                    "Total",
                    number(t["paid_mwh"].sum()),
                    number(t["unused_paid_mwh"].sum()),
                    money(t["unused_paid_usd"].sum()),
                ),
            )
        )
    return blocks


def plural_contracts(k: int) -> str:
    return f"{k} contract{plural(k)}"
